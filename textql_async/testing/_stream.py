"""Writing a scripted event stream to an aiohttp response, with optional faults."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from aiohttp import web

from textql_async.testing._faults import DropAfter, Fault, Stall, Truncate
from textql_async.testing._frames import ScriptEvent, ana_event, sse_comment

__all__ = ["StreamPlan", "write_stream"]


@dataclass(frozen=True)
class StreamPlan:
    """What to stream: the events, pacing, chunking and an optional stream fault."""

    events: Sequence[ScriptEvent]
    event_delay: float = 0.0
    chunk_size: int | None = None
    fault: Fault | None = None


class _Dropped(Exception):
    """Raised internally once the connection was deliberately dropped."""


def _encode(item: ScriptEvent) -> bytes:
    return item if isinstance(item, bytes) else ana_event(item[0], item[1])


def _fault_at(fault: Fault | None, index: int) -> Fault | None:
    """Return the fault that triggers before event number ``index`` (0-based), if any."""
    if isinstance(fault, DropAfter):
        if fault.events is None:
            return fault if fault.bytes is None and index == 0 else None
        return fault if index == fault.events else None
    if isinstance(fault, (Stall, Truncate)) and index == fault.after_events:
        return fault
    return None


async def _write(resp: web.StreamResponse, data: bytes, chunk_size: int | None) -> None:
    if not chunk_size or chunk_size >= len(data):
        await resp.write(data)
        return
    for start in range(0, len(data), chunk_size):
        await resp.write(data[start : start + chunk_size])
        await asyncio.sleep(0)


def _drop(request: web.BaseRequest) -> NoReturn:
    transport = request.transport
    if transport is not None:
        transport.close()
    raise _Dropped


async def _stall(resp: web.StreamResponse, fault: Stall, closing: asyncio.Event) -> None:
    """Hang until the server closes (or the handler is cancelled by a disconnect)."""
    while not closing.is_set():
        if fault.keepalive_interval is None:
            await closing.wait()
            return
        try:
            await asyncio.wait_for(closing.wait(), fault.keepalive_interval)
        except asyncio.TimeoutError:
            await resp.write(sse_comment("keep-alive"))


async def write_stream(
    request: web.BaseRequest,
    resp: web.StreamResponse,
    plan: StreamPlan,
    *,
    closing: asyncio.Event,
    on_event: Callable[[ScriptEvent], None],
) -> None:
    """Write ``plan`` to the prepared ``resp``; ``on_event`` sees each fully written event.

    Raises :class:`ConnectionError` if the client went away. A deliberate ``DropAfter``
    closes the transport and returns normally.
    """
    fault = plan.fault
    budget = fault.bytes if isinstance(fault, DropAfter) else None
    try:
        for index in range(len(plan.events) + 1):
            triggered = _fault_at(fault, index)
            if isinstance(triggered, DropAfter):
                _drop(request)
            elif isinstance(triggered, Stall):
                await _stall(resp, triggered, closing)
                return
            elif isinstance(triggered, Truncate) or index == len(plan.events):
                return
            if plan.event_delay > 0:
                await asyncio.sleep(plan.event_delay)
            item = plan.events[index]
            data = _encode(item)
            if budget is not None and budget < len(data):
                if budget:
                    await _write(resp, data[:budget], plan.chunk_size)
                _drop(request)
            await _write(resp, data, plan.chunk_size)
            on_event(item)
            if budget is not None:
                budget -= len(data)
                if budget == 0:
                    _drop(request)
    except _Dropped:
        return
