"""The batch journal: what was asked, so a rerun finishes a question instead of asking it twice.

Every Ana question costs a run, so a batch that crashed or was interrupted must
never ask again a question Ana already has. The moment a question's ``chatId``
arrives it exists server-side and its answer can be read from the chat history,
so that is when it is journaled. Two append-only JSON-lines files, written by
one process (the batch's client side) and flushed at every line:

- ``OUT`` (the answers): one line per question, ``{"index", "question",
  "chat_id", "answer", "error", "recovered"}``, as each one completes.
- ``OUT.journal``: ``{"index", "chat_id", "state": "started"}`` as soon as the
  chat id arrives (flushed and fsynced, so it is on disk before the answer
  is), then ``{"index", "chat_id", "state"}`` with ``"answered"``,
  ``"recovered"`` or ``"failed"`` when the question ends.

A rerun (:func:`plan_batch`) skips every question ``OUT`` answered, recovers
from the chat history every question the journal says was started and not
answered (a worker killed, the batch interrupted, a stream that broke and could
not be recovered in time), and asks only the questions that never reached a
chat id. The one window that cannot be closed: a question whose request was
sent but whose chat id had not arrived yet when the process died is asked again.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import msgspec

from textql_async._exceptions import APITimeoutError, StreamError
from textql_async.models.ana import AnaResult

__all__ = [
    "ANSWERED",
    "FAILED",
    "RECOVERED",
    "STARTED",
    "BatchCounts",
    "BatchPlan",
    "BatchSink",
    "answered_questions",
    "journal_path",
    "plan_batch",
    "result_line",
]

STARTED = "started"
ANSWERED = "answered"
RECOVERED = "recovered"
FAILED = "failed"


def journal_path(out: str) -> str:
    """The journal written next to the out file ``out``."""
    return out + ".journal"


def result_line(
    index: int,
    question: str,
    result: AnaResult | None = None,
    error: BaseException | None = None,
) -> dict[str, Any]:
    """The out-file line of one answered (``result``) or failed (``error``) question."""
    if result is not None:
        return {
            "index": index,
            "question": question,
            "chat_id": result.chat_id,
            "answer": result.answer,
            "error": None,
            "recovered": result.recovered,
        }
    snapshot = error.snapshot if isinstance(error, (StreamError, APITimeoutError)) else None
    return {
        "index": index,
        "question": question,
        "chat_id": snapshot.chat_id if snapshot is not None else None,
        "answer": None,
        "error": f"{type(error).__name__}: {error}",
        "recovered": False,
    }


def _read_lines(path: str) -> list[dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    lines: list[dict[str, Any]] = []
    for line in text.splitlines():
        try:
            obj = json.loads(line)
        except ValueError:  # a line cut short by an interrupted run
            continue
        if isinstance(obj, dict):
            lines.append(obj)
    return lines


def answered_questions(path: str) -> set[str]:
    """The questions ``path`` (a previous run's out file) holds an answer for, not an error."""
    return {
        obj["question"]
        for obj in _read_lines(path)
        if obj.get("error") is None and isinstance(obj.get("question"), str)
    }


class BatchPlan(msgspec.Struct, frozen=True):
    """What a (re)run of a batch does with each question, by index."""

    ask: list[int]
    """Never reached a chat id: ask Ana."""
    recover: dict[int, str]
    """Started before (index -> chat id): read the answer from the chat history, never ask."""
    skipped: list[int]
    """Answered in the out file already."""

    @property
    def todo(self) -> list[int]:
        """Every index to work on, in input order."""
        return sorted([*self.ask, *self.recover])


def plan_batch(questions: list[str], out: str | None) -> BatchPlan:
    """Split ``questions`` by what ``out`` and its journal say a previous run did."""
    if out is None:
        return BatchPlan(list(range(len(questions))), {}, [])
    lines = _read_lines(out)
    answered_text = {
        obj["question"]
        for obj in lines
        if obj.get("error") is None and isinstance(obj.get("question"), str)
    }
    started: dict[int, str] = {}
    finished: set[int] = set()
    for obj in _read_lines(journal_path(out)):
        index, chat_id, state = obj.get("index"), obj.get("chat_id"), obj.get("state")
        if not isinstance(index, int) or not 0 <= index < len(questions):
            continue
        if isinstance(chat_id, str) and chat_id:
            started[index] = chat_id
        if state in (ANSWERED, RECOVERED):
            finished.add(index)
    ask: list[int] = []
    recover: dict[int, str] = {}
    skipped: list[int] = []
    for index, question in enumerate(questions):
        if question in answered_text or index in finished:
            skipped.append(index)
        elif index in started:
            recover[index] = started[index]
        else:
            ask.append(index)
    return BatchPlan(ask, recover, skipped)


class BatchCounts(msgspec.Struct):
    """Progress of a batch: questions finished so far, by outcome."""

    total: int
    answered: int = 0
    recovered: int = 0
    failed: int = 0
    started: int = 0

    @property
    def done(self) -> int:
        """Questions finished (answered, recovered or failed)."""
        return self.answered + self.recovered + self.failed


class BatchSink:
    """The one writer of a batch's out file and journal (use :meth:`open`).

    It drops a second result for an index it already wrote (a question recovered
    twice after a retry), so ``OUT`` holds exactly one line per question and run.
    """

    def __init__(
        self,
        out: IO[str] | None,
        journal: IO[str] | None,
        counts: BatchCounts,
        progress: Callable[[BatchCounts], None] | None = None,
    ) -> None:
        self._out = out
        self._journal = journal
        self.counts = counts
        self._progress = progress
        self._started: dict[int, str] = {}
        self._finished: set[int] = set()

    @classmethod
    @contextmanager
    def open(
        cls,
        out: str | None,
        total: int,
        progress: Callable[[BatchCounts], None] | None = None,
    ) -> Iterator[BatchSink]:
        """Append to ``out`` and its journal (``None``: answers to stdout, no journal)."""
        counts = BatchCounts(total)
        if out is None:
            yield cls(None, None, counts, progress)
            return
        with _append(out) as out_file, _append(journal_path(out)) as journal_file:
            yield cls(out_file, journal_file, counts, progress)

    def started(self, index: int, chat_id: str) -> None:
        """Journal that question ``index`` reached ``chat_id``: durable before its answer is."""
        if self._started.get(index) == chat_id or index in self._finished:
            return
        self._started[index] = chat_id
        self.counts.started += 1
        if self._journal is not None:
            _write(self._journal, {"index": index, "chat_id": chat_id, "state": STARTED})
            os.fsync(self._journal.fileno())

    def result(self, line: dict[str, Any]) -> bool:
        """Write one question's out line (see :func:`result_line`); ``False`` if a duplicate."""
        index = int(line["index"])
        if index in self._finished:
            return False
        self._finished.add(index)
        if line.get("error") is not None:
            state = FAILED
            self.counts.failed += 1
        elif line.get("recovered"):
            state = RECOVERED
            self.counts.recovered += 1
        else:
            state = ANSWERED
            self.counts.answered += 1
        _write(self._out, line)
        if self._journal is not None:
            chat_id = line.get("chat_id") or self._started.get(index)
            if chat_id is not None or state != FAILED:
                _write(self._journal, {"index": index, "chat_id": chat_id, "state": state})
        if self._progress is not None:
            self._progress(self.counts)
        return True

    def is_finished(self, index: int) -> bool:
        """Whether a line for ``index`` was written by this sink."""
        return index in self._finished


@contextmanager
def _append(path: str) -> Iterator[IO[str]]:
    needs_newline = os.path.exists(path) and os.path.getsize(path) > 0 and not _ends_with_newline(path)
    try:
        file = open(path, "a", encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot write {path}: {exc.strerror or exc}") from None
    with file:
        if needs_newline:  # the last line was cut short by an interrupted run
            file.write("\n")
        yield file


def _ends_with_newline(path: str) -> bool:
    with open(path, "rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1) == b"\n"


def _write(file: IO[str] | None, obj: dict[str, Any]) -> None:
    target = file if file is not None else sys.stdout  # looked up at each write (rich redirects)
    target.write(json.dumps(obj, ensure_ascii=False) + "\n")
    target.flush()
