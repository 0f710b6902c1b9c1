"""``textql-async batch``: ask every question of a file at once, one JSON line per answer.

``textql-async batch questions.txt --concurrency 16 --out answers.jsonl`` reads one question
per line (blank lines are skipped), asks them through ``client.ana.batch`` and appends a JSON
line ``{"index", "question", "chat_id", "answer", "error", "recovered"}`` to the out file (or
stdout) as each one completes, flushed at once. With ``--out``, a journal
(``OUT.journal``, see :mod:`textql_async._journal`) records each question's chat id the
moment it arrives, so a rerun skips what the out file answered, recovers from the chat
history what was started, and asks Ana only the questions that never reached a chat id.
``--dask ADDRESS`` (or ``local:N``) runs the same batch on a Dask cluster
(:mod:`textql_async.distributed`). A rich progress bar shows on a terminal (stderr);
otherwise the command is quiet.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import aclosing, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from textql_async._batch import BatchItem
from textql_async._client import AsyncTextQL
from textql_async._exceptions import TextQLError
from textql_async._journal import (
    BatchCounts,
    BatchSink,
    answered_questions,
    plan_batch,
    result_line,
)
from textql_async._journaled import BatchInterrupted, Recovery, Work, journaled_batch, work_of
from textql_async.cli._output import has_rich

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "BatchFailedError",
    "BatchOptions",
    "add_batch_parser",
    "answered_questions",
    "batch_options",
    "read_questions",
    "record",
    "run_batch_command",
]


class BatchFailedError(TextQLError):
    """Some questions of the batch failed (their JSON lines carry the error)."""


@dataclass(frozen=True)
class BatchOptions:
    """What ``textql-async batch`` was asked to do."""

    questions: str
    out: str | None = None
    concurrency: int = 8
    rate: float | None = None
    dataset: str | None = None
    dask: str | None = None
    recover_timeout: float = 120.0
    recover_stable_for: float | None = None

    @property
    def recovery(self) -> Recovery:
        """How started questions are read from the chat history."""
        return Recovery(self.recover_timeout, self.recover_stable_for)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def add_batch_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Add the ``batch`` subcommand."""
    batch = commands.add_parser(
        "batch",
        parents=parents,
        help="ask every question of a file at once; JSON lines out as they complete",
        description="Ask Ana every question of QUESTIONS (one per line; - for stdin). Each "
        "answer is written as one JSON line as soon as it completes; a rerun skips the "
        "questions the out file already answered and recovers (never re-asks) the ones "
        "its journal says were started.",
    )
    batch.add_argument("questions", metavar="QUESTIONS", help="a text file, one question a line")
    batch.add_argument(
        "--out", "-o", metavar="FILE", help="append JSON lines here (default: stdout)"
    )
    batch.add_argument(
        "--concurrency",
        type=_positive_int,
        default=8,
        metavar="N",
        help="questions in flight at once, over the whole cluster with --dask "
        "(default: %(default)s)",
    )
    batch.add_argument(
        "--rate",
        type=_positive_float,
        metavar="PER_SECOND",
        help="cap on questions started a second",
    )
    batch.add_argument("--dataset", help="dataset to ask about")
    batch.add_argument(
        "--recover-timeout",
        type=_positive_float,
        default=120.0,
        metavar="SECONDS",
        help="how long to read a started question's answer from its chat history "
        "(default: %(default)s)",
    )
    batch.add_argument(
        "--recover-stable-for",
        type=_positive_float,
        metavar="SECONDS",
        help="how long a recovered answer must stay unchanged to count as complete, "
        "when nothing else proves it (default: the SDK's, 30)",
    )
    batch.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run on Dask: a scheduler address (tcp://host:8786) or local:N for a local "
        "cluster of N worker processes (needs the dask extra and --out)",
    )


def batch_options(args: argparse.Namespace) -> BatchOptions:
    """The options of a parsed ``batch`` command line."""
    return BatchOptions(
        args.questions,
        args.out,
        args.concurrency,
        args.rate,
        args.dataset,
        args.dask,
        args.recover_timeout,
        args.recover_stable_for,
    )


def read_questions(path: str) -> list[str]:
    """One question per non-blank line of ``path`` (``-``: stdin), surrounding spaces removed."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as file:
                text = file.read()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def record(item: BatchItem, index: int) -> dict[str, Any]:
    """The JSON line for one answered (or failed) question."""
    question = item.query if isinstance(item.query, str) else item.query["query"]
    return result_line(index, question, item.result, item.error)


def is_interactive() -> bool:
    """Whether stderr is a terminal (where the progress bar goes)."""
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


def _stdout_is_terminal() -> bool:
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


def make_progress_console() -> Console:
    """The console of the progress bar: stderr, so stdout stays JSON lines."""
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False)


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[BatchCounts], None] | None]:
    """A rich bar on a terminal (done / failed / recovered, answers a second); else ``None``."""
    if not (total and is_interactive() and has_rich()):
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[bold]asking Ana"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        TextColumn("[cyan]{task.fields[recovered]} recovered"),
        TextColumn("{task.fields[speed]}/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=make_progress_console(),
        # JSON lines on a terminal's stdout print above the bar; piped, they pass untouched
        redirect_stdout=_stdout_is_terminal(),
    )
    with progress:
        task = progress.add_task("batch", total=total, failed=0, recovered=0, speed="0.0")

        def update(counts: BatchCounts) -> None:
            elapsed = progress.tasks[0].elapsed or 0.0
            speed = f"{counts.done / elapsed:.1f}" if elapsed > 0 else "0.0"
            progress.update(
                task,
                completed=counts.done,
                failed=counts.failed,
                recovered=counts.recovered,
                speed=speed,
            )

        yield update


def summarize(counts: BatchCounts, skipped: int, out: str | None) -> None:
    """Print the one-line summary on a terminal; raise :class:`BatchFailedError` if any failed."""
    if is_interactive():
        where = f" in {out}" if out else ""
        recovered = f", {counts.recovered} recovered" if counts.recovered else ""
        print(
            f"{counts.answered + counts.recovered} answered{recovered}, {counts.failed} failed, "
            f"{skipped} skipped (answered{where} before)",
            file=sys.stderr,
        )
    if counts.failed:
        where = out or "the output"
        raise BatchFailedError(
            f"{counts.failed} of {counts.total} questions failed (see their error in {where}); "
            "run the same command again to retry only those"
        )


async def run_batch_command(client: AsyncTextQL, options: BatchOptions) -> None:
    """Finish the batch (ask, recover, skip); raise :class:`BatchFailedError` if any failed."""
    if options.dask is not None:
        from textql_async.cli._dask import run_dask_batch

        await run_dask_batch(client, options)
        return
    questions = read_questions(options.questions)
    plan = plan_batch(questions, options.out)
    works = [Work(i, questions[i], plan.recover.get(i)) for i in plan.todo]
    ask_args: dict[str, Any] = {}
    if options.dataset is not None:
        ask_args["dataset"] = options.dataset
    stop = anyio.Event()
    with progress_bar(len(works)) as bar, BatchSink.open(
        options.out, len(works), bar
    ) as sink, _graceful_interrupt(stop):
        batch = journaled_batch(
            client.ana,
            works,
            concurrency=options.concurrency,
            rate=options.rate,
            ask_args=ask_args,
            on_started=sink.started if options.out is not None else None,
            recovery=options.recovery,
            stop=stop,
        )
        async with aclosing(batch):  # leaving early cancels the questions in flight at once
            async for item in batch:
                if isinstance(item.error, BatchInterrupted):
                    continue  # journaled as started (a rerun recovers it) or never asked
                work = work_of(item)
                sink.result(result_line(work.index, work.query, item.result, item.error))
    if stop.is_set():
        raise KeyboardInterrupt
    summarize(sink.counts, len(plan.skipped), options.out)


@contextmanager
def _graceful_interrupt(stop: anyio.Event) -> Iterator[None]:
    """The first Ctrl-C sets ``stop`` (nothing new is asked; questions in flight end once
    their chat id is journaled); a second one cancels at once."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def interrupted() -> None:
        if stop.is_set() and task is not None:
            task.cancel()
        stop.set()

    try:
        loop.add_signal_handler(signal.SIGINT, interrupted)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)
