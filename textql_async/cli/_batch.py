"""``textql-async batch``: ask every question of a file at once, one JSON line per answer.

``textql-async batch questions.txt --concurrency 16 --out answers.jsonl`` reads one question
per line (blank lines and ``#`` comment lines are skipped), asks them through ``client.ana.batch`` and appends a JSON
line ``{"index", "question", "chat_id", "answer", "error", "recovered"}`` to the out file (or
stdout) as each one completes, flushed at once. A rerun skips the questions the out file
already answered, so an interrupted or partly failed batch is finished by running it again.
A rich progress bar shows on a terminal (stderr); otherwise the command is quiet.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import aclosing, contextmanager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from textql_async._batch import BatchItem
from textql_async._client import AsyncTextQL
from textql_async._exceptions import APITimeoutError, StreamError, TextQLError
from textql_async.cli._output import has_rich

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

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
        "questions the out file already answered.",
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
        help="questions in flight at once (default: %(default)s)",
    )
    batch.add_argument(
        "--rate",
        type=_positive_float,
        metavar="PER_SECOND",
        help="cap on questions started a second",
    )
    batch.add_argument("--dataset", help="dataset to ask about")


def batch_options(args: argparse.Namespace) -> BatchOptions:
    """The options of a parsed ``batch`` command line."""
    return BatchOptions(args.questions, args.out, args.concurrency, args.rate, args.dataset)


def read_questions(path: str) -> list[str]:
    """One question per line of ``path`` (``-``: stdin), surrounding spaces removed.

    Blank lines and lines starting with ``#`` (comments) are skipped, so a questions
    file can be annotated.
    """
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as file:
                text = file.read()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    questions = (line.strip() for line in text.splitlines())
    return [q for q in questions if q and not q.startswith("#")]


def answered_questions(path: str) -> set[str]:
    """The questions ``path`` (a previous run's out file) holds an answer for, not an error."""
    try:
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except FileNotFoundError:
        return set()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    done: set[str] = set()
    for line in lines:
        try:
            obj = json.loads(line)
        except ValueError:  # a line cut short by an interrupted run: ask again
            continue
        if (
            isinstance(obj, dict)
            and obj.get("error") is None
            and isinstance(obj.get("question"), str)
        ):
            done.add(obj["question"])
    return done


def record(item: BatchItem, index: int) -> dict[str, Any]:
    """The JSON line for one answered (or failed) question."""
    question = item.query if isinstance(item.query, str) else item.query["query"]
    if item.result is not None:
        result = item.result
        return {
            "index": index,
            "question": question,
            "chat_id": result.chat_id,
            "answer": result.answer,
            "error": None,
            "recovered": result.recovered,
        }
    error = item.error
    snapshot = error.snapshot if isinstance(error, (StreamError, APITimeoutError)) else None
    return {
        "index": index,
        "question": question,
        "chat_id": snapshot.chat_id if snapshot is not None else None,
        "answer": None,
        "error": f"{type(error).__name__}: {error}",
        "recovered": False,
    }


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
def _output(path: str | None) -> Iterator[IO[str] | None]:
    if path is None:
        yield None  # sys.stdout, looked up at each write (rich may redirect it)
        return
    needs_newline = (
        os.path.exists(path) and os.path.getsize(path) > 0 and not _ends_with_newline(path)
    )
    with open(path, "a", encoding="utf-8") as file:
        if needs_newline:
            file.write("\n")
        yield file


def _ends_with_newline(path: str) -> bool:
    with open(path, "rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1) == b"\n"


def _write(file: IO[str] | None, obj: dict[str, Any]) -> None:
    target = file if file is not None else sys.stdout
    target.write(json.dumps(obj, ensure_ascii=False) + "\n")
    target.flush()


@contextmanager
def _progress_bar(total: int) -> Iterator[Progress | None]:
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
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=make_progress_console(),
        # JSON lines on a terminal's stdout print above the bar; piped, they pass untouched
        redirect_stdout=_stdout_is_terminal(),
    )
    with progress:
        progress.add_task("batch", total=total, failed=0)
        yield progress


async def run_batch_command(client: AsyncTextQL, options: BatchOptions) -> None:
    """Ask every question not answered yet; raise :class:`BatchFailedError` if any failed."""
    questions = read_questions(options.questions)
    done = answered_questions(options.out) if options.out is not None else set()
    todo = [(index, q) for index, q in enumerate(questions) if q not in done]
    ask_kwargs: dict[str, Any] = {}
    if options.dataset is not None:
        ask_kwargs["dataset"] = options.dataset
    failed = 0
    batch = client.ana.batch(
        [q for _, q in todo], concurrency=options.concurrency, rate=options.rate, **ask_kwargs
    )
    with _output(options.out) as file, _progress_bar(len(todo)) as bar:
        async with aclosing(batch):  # leaving early cancels the questions in flight at once
            async for item in batch:
                _write(file, record(item, todo[item.index][0]))
                if not item.ok:
                    failed += 1
                if bar is not None:
                    bar.update(bar.task_ids[0], advance=1, failed=failed)
    if is_interactive():
        skipped = len(questions) - len(todo)
        where = f" in {options.out}" if options.out else ""
        print(
            f"{len(todo) - failed} answered, {failed} failed, {skipped} skipped (answered{where} before)",
            file=sys.stderr,
        )
    if failed:
        where = options.out or "the output"
        raise BatchFailedError(
            f"{failed} of {len(todo)} questions failed (see their error in {where}); "
            "run the same command again to retry only those"
        )
