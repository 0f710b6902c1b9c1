"""Every benchmark once, on a tiny size, so the suite cannot rot (no timing assertions).

The full suite runs with ``make bench``; nothing here measures speed.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from benchmarks import run
from benchmarks.contenders import CONTENDERS, FLOOR, OURS_EVERY, chunked, final_state, outcome
from benchmarks.workloads import (
    Workload,
    fold_scaling,
    many_small_answers,
    realistic_answer,
)

_WORKLOADS = {
    "realistic": lambda: realistic_answer(3),
    "small answers": lambda: many_small_answers(5),
    "fold scaling": lambda: fold_scaling(50, 4),
}


@pytest.mark.parametrize("name", list(_WORKLOADS))
@pytest.mark.parametrize("chunk", [64 * 1024, 997])
def test_every_contender_computes_the_same_answer(name: str, chunk: int) -> None:
    workload: Workload = _WORKLOADS[name]()
    for stream in workload.streams:
        chunks = chunked(stream, chunk)
        results = {c.key: c.run(chunks) for c in CONTENDERS}
        assert results[FLOOR] == stream.count(b"\n\n")
        expected = outcome(final_state(results[OURS_EVERY]))
        assert expected.done and expected.chat_id and expected.blocks
        for key, result in results.items():
            if key != FLOOR:
                assert outcome(final_state(result)) == expected, key


def test_workloads_are_deterministic() -> None:
    assert realistic_answer(2).streams == realistic_answer(2).streams
    assert many_small_answers(3).streams == many_small_answers(3).streams
    assert realistic_answer(2, seed=2).streams != realistic_answer(2).streams


@pytest.mark.timeout(240)  # every benchmark, a few child processes each: ~1 min on 2 cores
def test_the_whole_suite_runs_once_on_tiny_sizes(tmp_path: Path) -> None:
    chart = importlib.util.find_spec("matplotlib") is not None
    results = run.run(run.TINY, tmp_path, chart=chart)
    markdown = (tmp_path / "RESULTS.md").read_text()
    assert "## Targets" in markdown and "| met |" in markdown
    assert json.loads((tmp_path / "results.json").read_text())["w1"]["median"]
    assert (tmp_path / "ratios.png").exists() == chart
    # the checks the benchmarks make on themselves
    assert all(results["prompt"].values())
    for mode in results["concurrency"].values():
        for level in mode["levels"]:
            assert level["blocks"] == 4 * level["streams"]
    slow = results["slow_consumer"]["views"]
    assert slow["async for (every version)"]["items"] == results["slow_consumer"]["block_events"]
    assert "## Relay cost per answer, asyncio and uvloop" in markdown
    for loop in results["relay"]["loops"]:
        for workload in results["relay"]["workloads"]:
            for contender in ("raw", "floor", "ask"):
                assert results["relay"]["times"][loop][workload][contender]["cpu"]
    layers = results["relay_layers"]
    for loop in layers["loops"]:
        assert set(layers["times"][loop]) == set(layers["layers"])
    assert "### Where ask()'s CPU goes on the short answer, layer by layer" in markdown
    paced = results["relay_paced"]
    measured = {(row["server"], row["loop"], row["contender"]) for row in paced["rows"]}
    assert len(measured) == len(paced["options"]["servers"]) * len(paced["options"]["loops"]) * len(
        paced["options"]["contenders"]
    )
    assert all(row["blocks"] == 4 * row["streams"] for row in paced["rows"])
    assert "ours against the floors" in markdown
    assert {row["chunk"] for row in results["small_chunks"]["rows"]} == {64}
    compliance = results["compliance"]["parsers"]["ours (SSEDecoder)"]
    assert [case for case, ok in compliance.items() if not ok] == [
        results["compliance"]["tolerance_case"]
    ]


def test_the_otel_overhead_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import otel

    otel.main(["--tiny"])
    out = capsys.readouterr().out
    for mode in otel.MODES:
        assert out.count(f"| {mode} |") == 2  # one row per table
