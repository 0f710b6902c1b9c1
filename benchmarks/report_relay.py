"""The relay-cost section of ``RESULTS.md``: CPU per relayed answer against the raw transport,
on asyncio and uvloop, the targets of that issue (met / not met), the floors, the profiles."""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks.report_layers import layers_markdown

__all__ = ["paced_summary", "relay_chart_rows", "relay_markdown", "relay_targets"]

_SHORT = "short"
_GOALS = {  # workload -> (figure, goal on asyncio, goal on uvloop)
    "short": ("cpu", 1.5, 1.3),
    "big@65536": ("wall", 3.0, 3.0),
    "big@1048576": ("wall", 2.5, 2.5),
}
_PACED_GOAL = 5.0
_CONTENDER_LABELS = {
    "raw": "raw aiohttp read to EOF",
    "floor": "raw read + AnaDecoder + AnaResult (the floor)",
    "ask": "ours: client.ana.ask()",
}


def _median(times: dict[str, Any], loop: str, workload: str, contender: str, figure: str) -> float:
    return statistics.median(times[loop][workload][contender][figure])


def _ratio(relay: dict[str, Any], loop: str, workload: str, figure: str, who: str = "ask") -> float:
    times = relay["times"]
    return _median(times, loop, workload, who, figure) / _median(
        times, loop, workload, "raw", figure
    )


_PACED_SERVER = "lean"  # the server the target is judged on (see _paced_markdown)
_PACED_LABELS = {
    "ours": "ours: client.ana.stream(q, coalesce=True)",
    "floor": "floor: bare aiohttp + AnaDecoder (coalesce=True)",
    "raw": "raw: bare aiohttp, first `event: block` bytes",
}
_PACED_FIGURES = ("ttfb_p50", "ttfb_p99", "wall", "cpu", "server_cpu")


def paced_summary(r: dict[str, Any]) -> dict[tuple[str, str, str, int], dict[str, float]]:
    """Medians over the rounds of ``run_paced``: (server, loop, contender, streams) -> figures."""
    runs: dict[tuple[str, str, str, int], list[dict[str, Any]]] = {}
    for row in r.get("relay_paced", {}).get("rows", []):
        key = (row["server"], row["loop"], row["contender"], row["streams"])
        runs.setdefault(key, []).append(row)
    return {
        key: {
            f: statistics.median(row[f] for row in rows if row.get(f) is not None)
            for f in _PACED_FIGURES
            if any(row.get(f) is not None for row in rows)
        }
        for key, rows in runs.items()
    }


def _paced_ratio(
    summary: dict[tuple[str, str, str, int], dict[str, float]],
    server: str,
    loop: str,
    contender: str,
    levels: list[int],
) -> float | None:
    one = summary.get((server, loop, contender, levels[0]))
    top = summary.get((server, loop, contender, levels[-1]))
    if one is None or top is None:
        return None
    return top["ttfb_p99"] / one["ttfb_p99"]


def _paced_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    paced = r.get("relay_paced", {})
    options = paced.get("options")
    if not options or len(options["levels"]) < 2:
        return []
    levels = options["levels"]
    servers = options["servers"]
    server = _PACED_SERVER if _PACED_SERVER in servers else servers[0]
    summary = paced_summary(r)
    rows = []
    for loop in options["loops"]:
        x = _paced_ratio(summary, server, loop, "ours", levels)
        if x is None:
            continue
        one = summary[(server, loop, "ours", levels[0])]
        top = summary[(server, loop, "ours", levels[-1])]
        floors = {
            c: _paced_ratio(summary, server, loop, c, levels)
            for c in ("floor", "raw")
            if c in options["contenders"]
        }
        floor_cells = [f"{c} {v:.1f}x" for c, v in floors.items() if v is not None]
        server_cpu = top.get("server_cpu")
        if server_cpu is not None:
            floor_cells.append(f"{server} server CPU {server_cpu:.2f} s in {top['wall']:.2f} s")
        rows.append(
            {
                "loop": loop,
                "target": f"{levels[-1]:,} paced streams: p99 time to first block vs one "
                f"({server} server)",
                "goal": f"<= {_PACED_GOAL:g}x one stream",
                "measured": f"{x:.1f}x ({top['ttfb_p99'] * 1e3:.0f} ms vs "
                f"{one['ttfb_p99'] * 1e3:.1f} ms; client CPU {top['cpu']:.2f} s)",
                "floor": ", ".join(floor_cells) or "-",
                "met": x <= _PACED_GOAL,
                # "the floor" is the aiohttp + AnaDecoder contender (the raw read is shown too)
                "floor_met": floors.get("floor") is not None
                and floors["floor"] <= _PACED_GOAL,
            }
        )
    return rows


def relay_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per goal and loop: goal, measured, the floor measured the same way, met."""
    relay = r["relay"]
    rows: list[dict[str, Any]] = []
    for loop in relay["loops"]:
        for workload, (figure, goal_asyncio, goal_uvloop) in _GOALS.items():
            if workload not in relay["times"][loop]:
                continue
            goal = goal_asyncio if loop == "asyncio" else goal_uvloop
            x = _ratio(relay, loop, workload, figure)
            floor = _ratio(relay, loop, workload, figure, "floor")
            rows.append(
                {
                    "loop": loop,
                    "target": relay["workloads"][workload],
                    "goal": f"<= {goal:g}x the raw read",
                    "measured": f"{x:.2f}x",
                    "floor": f"{floor:.2f}x",
                    "met": x <= goal,
                    "floor_met": floor <= goal,
                }
            )
    return rows + _paced_rows(r)


def relay_chart_rows(r: dict[str, Any]) -> list[tuple[str, float, float | None]]:
    """(label, ask / raw, goal) for the chart, every workload and loop."""
    relay = r["relay"]
    out: list[tuple[str, float, float | None]] = []
    for workload in relay["times"][relay["loops"][0]]:
        figure, goal_asyncio, goal_uvloop = _GOALS.get(workload, ("cpu", None, None))
        for loop in relay["loops"]:
            goal = goal_asyncio if loop == "asyncio" else goal_uvloop
            label = f"{_short_name(workload)} ({loop})"
            out.append((label, _ratio(relay, loop, workload, figure), goal))
    return out


def _short_name(workload: str) -> str:
    return {
        "short": "short answer x gather, CPU",
        "big@65536": "big, 64 KiB writes, wall",
        "big@1048576": "big, 1 MiB writes, wall",
        "big@event": "big, a write per event, CPU",
    }.get(workload, workload)


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} us"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


def relay_markdown(r: dict[str, Any]) -> list[str]:
    """The section's lines."""
    if "relay" not in r:
        return []
    relay = r["relay"]
    loops = relay["loops"]
    n = relay["answers"]
    out = [
        "## Relay cost per answer, asyncio and uvloop",
        "",
        f"What a backend pays to relay one answer. The server (`benchmarks/server.py`) runs in "
        f"its own process; the client in a fresh child process per loop ({', '.join(loops)}; "
        "alternating), each contender interleaved with the others, "
        f"{relay['rounds']} interleaved round(s) per loop, medians. *short*: the short answer "
        f"({relay.get('short_bytes', 0):,} bytes, {relay.get('short_events', 0)} events, one "
        f"write), {n:,} asks at once through `asyncio.gather`, the client's CPU time "
        "(`process_time`) per answer. *big*: the realistic answer "
        f"({relay.get('big_bytes', 0) / 1e6:.1f} MB, {relay.get('big_blocks', 0)} blocks) "
        "written in 64 KiB or 1 MiB pieces (wall time of one answer) or one write per event "
        "(the client's CPU per answer: the server's writes bound the wall time). The *floor* is "
        "a raw read plus our sans-IO decoder and the `AnaResult`, measured the same way: what "
        "any Python client pays to decode and fold on aiohttp; `ask()` adds the stream "
        "machinery (deadlines, drain, typed errors, retries) on top.",
        "",
    ]
    if relay.get("missing_loops"):
        out += [f"Not run: {', '.join(relay['missing_loops'])} (not installed).", ""]
    out += [
        "### Targets",
        "",
        "| loop | workload | goal | measured | floor (measured the same way) | |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for t in relay_targets(r):
        verdict = "met" if t["met"] else "**not met**"
        if not t["met"] and not t["floor_met"]:
            verdict += " (the floor misses it too)"
        out.append(
            f"| {t['loop']} | {t['target']} | {t['goal']} | {t['measured']} | {t['floor']} | "
            f"{verdict} |"
        )
    out += ["", "### Every workload and contender", ""]
    header = "| workload | contender | " + " | ".join(
        f"{loop} wall | {loop} CPU | {loop} x raw" for loop in loops
    )
    out += [header + " |", "| --- | --- |" + " ---: | ---: | ---: |" * len(loops)]
    times = relay["times"]
    for workload, label in relay["workloads"].items():
        if workload not in times[loops[0]]:
            continue
        figure = _GOALS.get(workload, ("cpu",))[0]
        per = n if workload == _SHORT else 1
        fmt = _us if workload == _SHORT else _ms
        for contender in ("raw", "floor", "ask"):
            cells = []
            for loop in loops:
                wall = _median(times, loop, workload, contender, "wall") / per
                cpu = _median(times, loop, workload, contender, "cpu") / per
                cells.append(
                    f"{fmt(wall)} | {fmt(cpu)} | {_ratio(relay, loop, workload, figure, contender):.2f}"
                )
            out.append(f"| {label} | {_CONTENDER_LABELS[contender]} | " + " | ".join(cells) + " |")
    out += [
        "",
        "Short-answer wall and CPU are per answer (the gather's total over "
        f"{n:,}); *x raw* compares the figure the goal names (CPU for *short* and the "
        "per-event writes, wall for the 64 KiB and 1 MiB pieces).",
        "",
    ]
    out += layers_markdown(r)
    out += _paced_markdown(r)
    out += _small_chunks(r)
    out += _profiles(r)
    return out


def _paced_markdown(r: dict[str, Any]) -> list[str]:
    paced = r.get("relay_paced", {})
    options = paced.get("options")
    if not options:
        return []
    summary = paced_summary(r)
    levels = options["levels"]
    out = [
        f"### {levels[-1]:,} paced streams: ours against the floors, on two servers",
        "",
        f"{levels[-1]:,} streams started at once from one client process, "
        f"{options['delay'] * 1e3:g} ms between events (FakeTextQL's default answer: the first "
        "block is the 4th event), the p99 time to first block against one stream's, each "
        "contender measured the same way: a fresh server process and a fresh client process "
        "per measurement, the contenders, loops and servers interleaved, "
        f"{options['rounds']} round(s), medians. *server CPU*: the server process's user + "
        "system time during the N streams (`/proc/<pid>/stat`, read by the client right "
        f"before and after its gather; 10 ms ticks). Servers run on {options['server_loop']}. "
        "*fake*: FakeTextQL (`event_delay`): per event it also records the chat and encodes "
        "the event. *lean*: `benchmarks/server.py --paced`: the same answer pre-built, a sleep "
        "and a write per event and nothing else. The target is judged on the lean server: "
        "with FakeTextQL the server process is the bottleneck (its CPU nears the wall time), "
        "so the p99 would measure the server's queue, not the client.",
        "",
        "| server | loop | contender | p99 x one | p99 ms (one) | p50 ms | p99 ms | wall s | "
        "client CPU s | server CPU s |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for server in options["servers"]:
        for loop in options["loops"]:
            for contender in options["contenders"]:
                one = summary.get((server, loop, contender, levels[0]))
                top = summary.get((server, loop, contender, levels[-1]))
                if one is None or top is None:
                    continue
                ratio = top["ttfb_p99"] / one["ttfb_p99"]
                server_cpu = top.get("server_cpu")
                out.append(
                    f"| {server} | {loop} | {_PACED_LABELS.get(contender, contender)} | "
                    f"{ratio:.1f}x | {one['ttfb_p99'] * 1e3:.1f} | {top['ttfb_p50'] * 1e3:.0f} | "
                    f"{top['ttfb_p99'] * 1e3:.0f} | {top['wall']:.2f} | {top['cpu']:.2f} | "
                    + (f"{server_cpu:.2f} |" if server_cpu is not None else "- |")
                )
    out += ["", *_paced_verdict(summary, options), ""]
    return out


def _paced_verdict(
    summary: dict[tuple[str, str, str, int], dict[str, float]], options: dict[str, Any]
) -> list[str]:
    """What the table says about the goal, in numbers: ours against the floors, per loop."""
    levels = options["levels"]
    servers = options["servers"]
    server = _PACED_SERVER if _PACED_SERVER in servers else servers[0]
    parts = []
    for loop in options["loops"]:
        ratios = {c: _paced_ratio(summary, server, loop, c, levels) for c in options["contenders"]}
        cells = ", ".join(f"{c} {v:.1f}x" for c, v in ratios.items() if v is not None)
        best = min((v for v in ratios.values() if v is not None), default=None)
        reach = (
            "within the goal"
            if best is not None and best <= _PACED_GOAL
            else "no contender, not even the raw read, within the goal"
        )
        parts.append(f"{loop}: {cells} ({reach})")
    cpu = {
        k: summary[(k, options["loops"][0], "ours", levels[-1])].get("server_cpu")
        for k in servers
        if (k, options["loops"][0], "ours", levels[-1]) in summary
    }
    cpu_text = ", ".join(f"{k} {v:.2f} s" for k, v in cpu.items() if v is not None)
    return [
        f"On the {server} server, p99 at {levels[-1]:,} streams over one stream's: "
        + "; ".join(parts)
        + f". Server CPU during the {levels[-1]:,} streams (ours, {options['loops'][0]}): "
        f"{cpu_text}. When the raw read misses the goal too, what is left is the cost of "
        f"{levels[-1]:,} connections and requests set up at once on aiohttp plus the "
        "server's, on a machine with two cores for both processes: no client on aiohttp "
        "gets under it here."
    ]


def _small_chunks(r: dict[str, Any]) -> list[str]:
    small = r.get("small_chunks")
    if not small:
        return []
    a, b = small["bytes"]
    out = [
        "### Small chunks: the fast path stays linear",
        "",
        f"The same answer ({a:,} bytes, and a longer one of {b:,} bytes) fed in pieces of a few "
        "bytes, as a slow link or a proxy may deliver it, in memory: the fast path (AnaDecoder, "
        "every version) against the general spec path (SSEDecoder + AnaFold.feed). Medians of "
        f"{small['repeats']} interleaved runs. *linear*: time on the long answer / time on the "
        f"short one, for {b / a:.2f}x the bytes.",
        "",
        "| piece | fast path | general path | fast / general | fast path: long / short |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in small["rows"]:
        fast, general = row["small"]["fast"], row["small"]["general"]
        grow = row["large"]["fast"] / fast
        out.append(
            f"| {row['chunk']} B | {_ms(fast)} | {_ms(general)} | {fast / general:.2f}x | "
            f"{grow:.2f}x |"
        )
    out.append("")
    return out


def _profiles(r: dict[str, Any]) -> list[str]:
    profiles = r.get("relay_profile")
    if not profiles:
        return []
    out = [
        "### Where the client's CPU goes (profiles)",
        "",
        "cProfile of the client process on asyncio, one run of each workload (the profiler "
        "slows Python code more than C code, so shares are indicative; a collector pause "
        "counts as the own time of the function that triggered it). Own time by package, "
        "for the raw read and for `ask()`, then `ask()`'s top functions by own time.",
        "",
    ]
    for workload, prof in profiles.items():
        answers = prof["ask"]["answers"]
        out += [
            f"**{r['relay']['workloads'].get(workload, workload)}** ({answers:,} answer"
            f"{'s' if answers > 1 else ''}):",
            "",
            "| code | raw read ms | ask() ms | ask() share |",
            "| --- | ---: | ---: | ---: |",
        ]
        raw = prof["raw"]["groups_ms"]
        ask = prof["ask"]["groups_ms"]
        busy = sum(v for k, v in ask.items() if not k.startswith("waiting"))
        for name, ms in sorted(ask.items(), key=lambda kv: -kv[1]):
            share = f"{ms / busy:.0%}" if not name.startswith("waiting") and busy else "idle"
            out.append(f"| {name} | {raw.get(name, 0):,.1f} | {ms:,.1f} | {share} |")
        out += [
            "",
            "| function (ask()) | package | calls | own ms |",
            "| --- | --- | ---: | ---: |",
        ]
        for row in prof["ask"]["top"]:
            out.append(
                f"| `{row['function']}` | {row['group']} | {row['calls']:,} | {row['ms']:.1f} |"
            )
        out.append("")
    return out
