"""The names of one run's shared Dask objects (semaphore, queue, stop event, partition states)."""

from __future__ import annotations

from typing import Any

import msgspec

from textql_async._journaled import Recovery, Work

__all__ = ["PartitionSpec", "RunNames"]


class RunNames(msgspec.Struct, frozen=True):
    """Everything one run shares through the scheduler is named after its ``run_id``."""

    run_id: str

    @property
    def semaphore(self) -> str:
        """The cluster-wide stream limit."""
        return f"textql-batch-{self.run_id}-streams"

    @property
    def starts(self) -> str:
        """The cluster-wide rate: one lease per question start, held for a window."""
        return f"textql-batch-{self.run_id}-starts"

    @property
    def queue(self) -> str:
        """Workers -> client: ``started`` and ``result`` messages, in order per question."""
        return f"textql-batch-{self.run_id}-events"

    @property
    def stop(self) -> str:
        """Set by the client when the batch is interrupted: workers stop and journal."""
        return f"textql-batch-{self.run_id}-stop"

    @property
    def plugin(self) -> str:
        """The worker plugin holding each worker's ``AsyncTextQL``."""
        return f"textql-async-{self.run_id}"

    def state(self, partition: int) -> str:
        """A partition's progress (started chat ids, finished indexes), kept for its retries."""
        return f"textql-batch-{self.run_id}-p{partition}"


class PartitionSpec(msgspec.Struct, frozen=True):
    """One Dask task: a partition of the batch and how to run it."""

    names: RunNames
    number: int
    works: list[Work]
    ask_args: dict[str, Any]
    concurrency: int
    rate: float | None
    """The whole cluster's rate (questions started a second), or ``None``."""
    recovery: Recovery
    lease_timeout: str | float | None = None
    """The client side's ``distributed.scheduler.locks.lease-timeout``: the scheduler expires
    leases by the registering side's value, so workers must refresh by the same one."""
