"""RESULTS.md, the targets (met / not met) and the ratio chart, from the results dict."""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import cores
from benchmarks.contenders import (
    AIOHTTP_SSE,
    FLOOR,
    HTTPX_SSE,
    NAIVE,
    OURS_EVERY,
    OURS_FINAL,
    OURS_GENERAL,
)
from benchmarks.loopback import ASK, EVENTSOURCE, RAW, RAW_SPLIT, STREAM
from benchmarks.report_relay import relay_chart_rows, relay_markdown

__all__ = ["machine_facts", "targets", "write_chart", "write_markdown"]

_PACKAGES = (
    "textql-async",
    "aiohttp",
    "msgspec",
    "anyio",
    "aiohttp-sse-client",
    "httpx-sse",
    "httpx",
    "matplotlib",
    "uvloop",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _load() -> str:
    """The 1-, 5- and 15-minute load averages (a shared machine makes every figure noisier)."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def machine_facts() -> dict[str, Any]:
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load": _load(),
        "versions": versions,
        "core": _core(),
    }


def _core() -> str:
    """Which sans-IO core the benchmarks' clients ran (compiled or pure Python, and why)."""
    from textql_async.sansio import core_description

    return core_description()


# -- targets --------------------------------------------------------------------------------


def _speedup(medians: dict[str, float], slower: str, faster: str) -> float:
    return medians[slower] / medians[faster]


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of the issue with its measured value and whether it is met."""
    mem = r["w1"]["median"]
    e2e = r["e2e"]["median"]
    rows: list[dict[str, Any]] = []

    def add(name: str, goal: str, value: str, met: bool, note: str = "") -> None:
        rows.append({"target": name, "goal": goal, "measured": value, "met": met, "note": note})

    x = _speedup(mem, AIOHTTP_SSE, OURS_FINAL)
    add(
        "in memory, ask()/final() path vs aiohttp-sse-client rules + json",
        ">= 3x faster",
        f"{x:.2f}x faster",
        x >= 3,
    )
    if HTTPX_SSE in mem:
        x = _speedup(mem, HTTPX_SSE, OURS_FINAL)
        add(
            "in memory, ask()/final() path vs httpx-sse + json",
            ">= 4x faster",
            f"{x:.2f}x faster",
            x >= 4,
        )
    x = mem[OURS_FINAL] / mem[FLOOR]
    add(
        "in memory, ask()/final() path vs the bytes.split floor",
        "within ~1.2x",
        f"{x:.2f}x the floor",
        x <= 1.25,
    )
    x = _speedup(mem, AIOHTTP_SSE, OURS_EVERY)
    add(
        "in memory, every-version path vs aiohttp-sse-client rules + json",
        ">= 1.5x faster",
        f"{x:.2f}x faster",
        x >= 1.5,
    )
    x = e2e[ASK] / e2e[RAW]
    floor = e2e[RAW_SPLIT] / e2e[RAW]
    add(
        "end to end, ask() vs a raw aiohttp read of the same bytes",
        "<= 3x the raw read",
        f"{x:.2f}x the raw read",
        x <= 3,
        f"raw read + bytes.split alone is {floor:.2f}x the raw read",
    )
    x = _speedup(e2e, EVENTSOURCE, ASK)
    add(
        "end to end, ask() vs aiohttp-sse-client EventSource + json + fold",
        ">= 5x faster",
        f"{x:.2f}x faster",
        x >= 5,
    )

    fold = [
        row["ns_per_update"]["AnaFold.apply_block (decoded block)"] for row in r["fold"]["rows"]
    ]
    ids = [row["ids"] for row in r["fold"]["rows"]]
    spread = max(fold) / min(fold)
    # the same updates into a plain dict: how much of the growth is the CPU's caches
    plain = [row["ns_per_update"]["DictFold.feed (json.loads dict)"] for row in r["fold"]["rows"]]
    add(
        f"fold cost per update flat from {ids[0]:,} to {ids[-1]:,} ids",
        "flat (max/min <= 1.5)",
        f"{fold[0]:.0f} -> {fold[-1]:.0f} ns/update (max/min {spread:.2f})",
        spread <= 1.5,
        f"a plain dict fold of the same updates: max/min {max(plain) / min(plain):.2f}",
    )

    for mode, data in r["concurrency"].items():
        levels = data["levels"]
        top = levels[-1]
        single = levels[0]
        n = top["streams"]
        add(
            f"{n:,} concurrent streams ({mode}): peak RSS",
            "< 200 MB",
            f"{top['rss_mb']:.0f} MB",
            top["rss_mb"] < 200 and top["blocks"] == 4 * n,
        )
        ratio = top["ttfb_p99"] / single["ttfb_p99"]
        add(
            f"{n:,} concurrent streams ({mode}): p99 time to first block",
            "< 10x single stream",
            f"{top['ttfb_p99'] * 1e3:.0f} ms vs {single['ttfb_p99'] * 1e3:.1f} ms ({ratio:.1f}x)",
            ratio < 10,
        )

    prompt = r["prompt"]
    add(
        "events yielded as soon as their blank line arrives",
        "every view, no timing",
        ", ".join(f"{v}: {'yes' if ok else 'NO'}" for v, ok in prompt.items()),
        all(prompt.values()),
    )

    lin = r["linearity"]
    for name, row in lin["decoders"].items():
        sizes = lin["sizes"]
        if row.get("skipped_large"):
            value = (
                f"{sizes[1] >> 20} MiB / {sizes[0] >> 20} MiB = {row['ratio']:.1f}x "
                f"(quadratic; {sizes[2] >> 20} MiB not run, ~{row['large_estimate']:.0f} s)"
            )
        else:
            value = f"{_mib(sizes[2])} / {_mib(sizes[1])} = {row['ratio']:.1f}x"
        add(
            f"decoder linear: {name}",
            "one event 4x larger costs ~4x (<= 6x)",
            value,
            row["ratio"] <= 6,
        )

    co = r["coalescing"]["rows"]
    wasted = {row["chunk"]: row["coalesce"]["decoded"] - row["coalesce"]["updates"] for row in co}
    every_ok = all(row["every"]["updates"] == r["coalescing"]["block_events"] for row in co)
    add(
        "plain async for still yields every version",
        "every version",
        f"{co[0]['every']['updates']:,} of {r['coalescing']['block_events']:,}",
        every_ok,
    )
    add(
        "coalesced views decode only the newest buffered version",
        "0 versions decoded unseen",
        "; ".join(
            f"{_size(row['chunk'])} chunks: {row['coalesce']['decoded']:,} decoded for "
            f"{row['coalesce']['updates']:,} updates"
            for row in co
        ),
        all(w == 0 for w in wasted.values()),
        "see the slow-consumer table: the first chunk and the chunk holding `done` take the "
        "general path, which decodes every version in them",
    )
    return rows


def _mib(size: int) -> str:
    return f"{size / (1 << 20):g} MiB"


def _size(size: int) -> str:
    return f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB"


# -- markdown -------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f}"


def _memory_table(section: dict[str, Any]) -> list[str]:
    med = section["median"]
    labels = section["labels"]
    size = section["bytes"]
    lines = [
        "| contender | median ms | MB/s | x floor | ours (final path) is |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key, seconds in sorted(med.items(), key=lambda kv: kv[1]):
        faster = med[key] / med[OURS_FINAL]
        lines.append(
            f"| {labels[key]} | {_ms(seconds)} | {size / seconds / 1e6:,.0f} | "
            f"{seconds / med[FLOOR]:.2f} | {_times(faster, key == OURS_FINAL)} |"
        )
    return lines


def _times(x: float, same: bool) -> str:
    if same:
        return "-"
    return f"{x:.2f}x faster" if x >= 1 else f"{1 / x:.2f}x slower"


def _w3_table(rows: list[dict[str, Any]]) -> list[str]:
    labels = rows[0]["labels"]
    header = "| contender | " + " | ".join(f"{row['ids']:,} ids" for row in rows) + " |"
    lines = [
        f"ns per event (each run repeats the stream to at least {rows[0]['events']:,} events):",
        "",
        header,
        "| --- |" + " ---: |" * len(rows),
    ]
    for key in rows[0]["median"]:
        cells = [f"{row['median'][key] / row['events'] * 1e9:,.0f}" for row in rows]
        lines.append(f"| {labels[key]} | " + " | ".join(cells) + " |")
    return lines


def write_markdown(r: dict[str, Any], path: Path, *, chart: str | None) -> None:
    m = r["machine"]
    v = m["versions"]
    out: list[str] = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`python -m benchmarks.run`) on {m['date']} in "
        f"{r['seconds']:.0f} s. Every number is measured here; rerun to refresh.",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; {m['os']}; {m['python']}; load average "
        f"at the start {m.get('load', 'unknown')} (the machine is shared: figures are noisy, "
        "ratios of contenders run interleaved are what to compare)",
        "- " + ", ".join(f"{name} {ver}" for name, ver in v.items()),
        f"- sans-IO core (`textql_async.sansio.core_description()`): {m.get('core', 'unknown')}"
        " (the child processes of the relay and paced benchmarks import the same one)",
        "- In-memory contenders get the same bytes, already in RAM, in 64 KiB chunks; "
        "contenders run interleaved (A B C ... C B A ...) and each figure is the median of "
        f"{r['w1']['repeats']} runs (workloads 2 and 3: {r['w2']['repeats']}), after a "
        "checked run (on up to 500 streams; it also warms up): every contender computes the "
        "same final answer.",
        "",
    ]
    if chart:
        out += [f"![ratios]({chart})", ""]

    out += ["## Targets", "", "| target | goal | measured | |", "| --- | --- | --- | --- |"]
    for t in targets(r):
        note = f" ({t['note']})" if t["note"] else ""
        out.append(
            f"| {t['target']} | {t['goal']} | {t['measured']}{note} | "
            f"{'met' if t['met'] else '**not met**'} |"
        )
    out.append("")

    out += _why(r)
    out += relay_markdown(r)

    out += [f"## Workload 1: realistic answer ({r['w1']['describe']})", ""]
    out += [*_memory_table(r["w1"]), ""]
    out += [f"## Workload 2: many small answers ({r['w2']['describe']})", ""]
    out += [*_memory_table(r["w2"]), ""]
    out += ["## Workload 3: fold scaling (distinct ids x 20 updates, round-robin)", ""]
    out += [*_w3_table(r["w3"]), ""]

    e2e = r["e2e"]
    med = e2e["median"]
    out += [
        f"## End to end over loopback ({e2e['describe']})",
        "",
        "A minimal aiohttp server in its own process writes the pre-built bytes (chunked, 1 MiB "
        "writes); the client runs in this process. Median of "
        f"{e2e['repeats']} interleaved runs; every contender's answer is checked against the "
        "in-memory one and each run sends exactly one request.",
        "",
        "| contender | median ms | MB/s | x raw read | ask() is |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key in (RAW, RAW_SPLIT, ASK, STREAM, EVENTSOURCE):
        seconds = med[key]
        out.append(
            f"| {e2e['labels'][key]} | {_ms(seconds)} | {e2e['bytes'] / seconds / 1e6:,.0f} | "
            f"{seconds / med[RAW]:.2f} | {_times(seconds / med[ASK], key == ASK)} |"
        )
    out.append("")

    out += [
        "## Concurrency",
        "",
        "N streams started at once from one client process (`client.ana.stream(q, "
        "coalesce=True)` read to the end, as `ask()` does) against FakeTextQL's default answer "
        "(29 events, 4 blocks). A fresh process per level; peak RSS is the process's own high-water mark (`VmHWM`; `getrusage` would report the parent's, which survives `exec`). "
        "*burst*: FakeTextQL in the same process and event loop, writing without pauses "
        "(server and client share one core). *paced*: FakeTextQL in its own process, "
        f"{r['concurrency'].get('paced', {}).get('options', {}).get('delay', 0) * 1e3:g} ms "
        "between events (a token-rate stream); RSS and CPU are the client process's alone.",
        "",
        "| mode | streams | wall s | client CPU s | peak RSS MB | TTFB p50 ms | TTFB p99 ms | "
        "p99 / single |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for mode, data in r["concurrency"].items():
        single = data["levels"][0]["ttfb_p99"]
        for row in data["levels"]:
            out.append(
                f"| {mode} | {row['streams']:,} | {row['wall']:.2f} | {row['cpu']:.2f} | "
                f"{row['rss_mb']:.0f} | {row['ttfb_p50'] * 1e3:,.1f} | "
                f"{row['ttfb_p99'] * 1e3:,.1f} | {row['ttfb_p99'] / single:.1f} |"
            )
    out.append("")

    lin = r["linearity"]
    sizes = lin["sizes"]
    out += [
        "## Pure vs compiled core",
        "",
        "The same bytes through the pure-Python and the mypyc-compiled sans-IO core "
        "(`make accel`; `TEXTQL_ASYNC_PURE=1` forces pure), interleaved, medians:",
        "",
        *(cores.format_table(r["cores"]) if "cores" in r else ["Not measured in this run.", ""]),
        "## Decoder linearity",
        "",
        f"One big block event fed in {lin['chunk']:,}-byte chunks, after 33 ordinary events "
        "(so the decoder is in its steady state when the big event starts). Seconds.",
        "",
        "| decoder | " + " | ".join(_mib(s) for s in sizes) + " | growth per 4x size |",
        "| --- |" + " ---: |" * (len(sizes) + 1),
    ]
    for name, row in lin["decoders"].items():
        cells = []
        for s in sizes:
            t = row["times"].get(s, row["times"].get(str(s)))
            cells.append(
                f"{t:.3f}" if t is not None else f"not run (~{row.get('large_estimate', 0):.0f} s)"
            )
        out.append(f"| {name} | " + " | ".join(cells) + f" | {row['ratio']:.1f}x |")
    out.append("")

    out += [
        "## Fold cost per update",
        "",
        "20 updates per id, round-robin over the ids; nanoseconds per update: the fastest of "
        f"{r['fold'].get('repeats', 5)} interleaved rounds of at least 200,000 updates.",
        "",
        "| ids | " + " | ".join(r["fold"]["rows"][0]["ns_per_update"]) + " |",
        "| ---: |" + " ---: |" * len(r["fold"]["rows"][0]["ns_per_update"]),
    ]
    for row in r["fold"]["rows"]:
        cells = " | ".join(f"{ns:,.0f}" for ns in row["ns_per_update"].values())
        out.append(f"| {row['ids']:,} | {cells} |")
    out.append("")

    co = r["coalescing"]
    out += [
        "## Versions a slow consumer never sees",
        "",
        f"In memory: workload 1 ({co['block_events']:,} block events) fed in big chunks, as a "
        "consumer that fell behind reads them. Block Structs decoded (counted where the fold "
        "places them) and median time of 3.",
        "",
        "| chunk | coalesce=True: decoded | updates | ms | every version: decoded | ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in co["rows"]:
        c, e = row["coalesce"], row["every"]
        out.append(
            f"| {_size(row['chunk'])} | {c['decoded']:,} | {c['updates']:,} | "
            f"{_ms(c['seconds'])} | {e['decoded']:,} | {_ms(e['seconds'])} |"
        )
    slow = r["slow_consumer"]
    out += [
        "",
        f"Over loopback: a {slow['bytes'] / 1e6:.1f} MB answer ({slow['events']:,} events, "
        f"{slow['block_events']:,} block versions) written as fast as the server can, read by a "
        f"consumer that sleeps {slow['pause'] * 1e3:g} ms after every item it gets.",
        "",
        "| view | items | block Structs decoded | wall s | CPU ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for view, row in slow["views"].items():
        out.append(
            f"| {view} | {row['items']:,} | {row['decoded']:,} | {row['wall']:.2f} | "
            f"{row['cpu'] * 1e3:,.0f} |"
        )
    out.append("")

    out += [
        "## Events are yielded as soon as their blank line arrives",
        "",
        "A server writes the first block event, then holds the rest until the client has "
        "seen it (no timing: a client that waited for more bytes would deadlock).",
        "",
        "| view | first update seen while the server held the rest |",
        "| --- | --- |",
    ]
    for view, ok in r["prompt"].items():
        out.append(f"| {view} | {'yes' if ok else '**no**'} |")
    out.append("")

    comp = r["compliance"]
    parsers = list(comp["parsers"])
    out += [
        "## SSE spec compliance",
        "",
        "Each case is fed whole and one byte at a time; pass = exactly the events the WHATWG "
        "rules dispatch. aiohttp-sse-client's case runs its own `EventSource.__anext__` over "
        "lines split as aiohttp's `StreamReader` splits them (on `\\n` only). The last case is "
        "where we deliberately differ: Ana's docs send `event: block ` with a trailing space, "
        "and our decoder treats it as `block`.",
        "",
        "| case | " + " | ".join(parsers) + " |",
        "| --- |" + " :---: |" * len(parsers),
    ]
    for case in comp["cases"]:
        cells = " | ".join("pass" if comp["parsers"][p][case] else "FAIL" for p in parsers)
        out.append(f"| {case} | {cells} |")
    totals = " | ".join(
        f"**{sum(comp['parsers'][p].values())}/{len(comp['cases'])}**" for p in parsers
    )
    out += [f"| **passed** | {totals} |", ""]
    # keep the section `python -m benchmarks.relay_load` wrote (it needs Redis and replicas)
    previous = path.read_text() if path.exists() else ""
    begin, end = "<!-- relay-load:begin -->", "<!-- relay-load:end -->"
    if begin in previous and end in previous:
        kept = begin + previous.split(begin, 1)[1].split(end, 1)[0] + end
        out += ["", kept, ""]
    path.write_text("\n".join(out))


def _why(r: dict[str, Any]) -> list[str]:
    """For each missed target: the measurement (usually a profile) that shows why."""
    missed = [t["target"] for t in targets(r) if not t["met"]]
    if not missed:
        return []
    out = ["## Why the missed targets are missed", ""]
    if any("bytes.split floor" in t for t in missed):
        mem = r["w1"]["median"]
        out += [
            f"**Final path vs the floor** ({mem[OURS_FINAL] / mem[FLOOR]:.2f}x). The floor is one "
            "C-level split per chunk. The final path also rewrites each region of plain events "
            "into JSON lines (`bytes.split` on the separator and a join: a second copy of every "
            "byte), decodes "
            "them in one msgspec call per chunk, and coalesces them in Python (one dict store "
            "per event in `_apply_lazy`). Profile of one final-path run on workload 1 "
            "(cProfile, own time):",
            "",
            "| function | calls | ms |",
            "| --- | ---: | ---: |",
        ]
        out += [
            f"| `{row['function']}` | {row['calls']:,} | {row['ms']:.1f} |"
            for row in r.get("profile_final", [])
        ]
        out.append("")
    if any("raw aiohttp read" in t for t in missed):
        e2e = r["e2e"]["median"]
        out += [
            f"**ask() vs the raw read** ({e2e[ASK] / e2e[RAW]:.2f}x). Unreachable for any Python "
            "framing on this machine: the raw read plus nothing but `bytes.split(b'\\n\\n')` "
            f"of each chunk already takes {e2e[RAW_SPLIT] / e2e[RAW]:.2f}x the raw read; "
            f"ask() takes {e2e[ASK] / e2e[RAW_SPLIT]:.2f}x that floor.",
            "",
        ]
    if any("time to first block" in t for t in missed):
        prof = r.get("concurrency_profile")
        out += [
            "**p99 time to first block at 1,000 streams.** All streams start at the same "
            "instant on one event loop: the last stream's request leaves only after every "
            "other stream's connection setup, and each arriving event costs the client "
            "aiohttp's read path, a task wake-up and the decoder. Once "
            "N streams x the event rate needs more than one core, the client is CPU-bound and "
            "the p99 measures its queue.",
        ]
        if prof:
            busy = {k: v for k, v in prof["profile_ms"].items() if "epoll" not in k}
            total = sum(busy.values())
            out += [
                f" Where the client's CPU went for {prof['streams']:,} paced streams "
                f"(cProfile, own time by package; {total / 1e3:.2f} s busy in all, "
                f"{total / prof['streams']:.2f} ms per stream):",
                "",
                "| code | ms | share |",
                "| --- | ---: | ---: |",
            ]
            for name, ms in sorted(prof["profile_ms"].items(), key=lambda kv: -kv[1]):
                share = f"{ms / total:.0%}" if name in busy else "idle"
                out.append(f"| {name} | {ms:,.0f} | {share} |")
        out.append("")
    if any("decoder linear: AnaDecoder" in t for t in missed):
        out += [
            "**AnaDecoder is quadratic for one big event in small chunks.** In fast mode it "
            "keeps the partial event as `bytes` and builds `self._tail + chunk` (a copy of "
            "everything so far) and `rfind`s it again for every chunk; the SSEDecoder appends "
            "to a `bytearray` and scans only the new chunk.",
            "",
        ]
    if any("coalesced views" in t for t in missed):
        out += [
            "**Versions decoded but never seen.** The first chunk of a stream (fast mode starts "
            "only after the SSE decoder has checked for a BOM) and any region whose events are "
            "not all plain block events (Ana's metadata first, its `done` message last) take "
            "the general path, which decodes every version in them before coalescing. A "
            "consumer that falls behind reads big chunks, so the chunk holding `done` can hold "
            "thousands of versions.",
            "",
        ]
    return out


# -- chart ----------------------------------------------------------------------------------


def write_chart(r: dict[str, Any], path: Path) -> bool:
    """Bar chart of the ratios; ``False`` (and no file) when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    mem = r["w1"]["median"]
    labels = r["w1"]["labels"]
    e2e = r["e2e"]["median"]
    e2e_labels = r["e2e"]["labels"]
    order = [OURS_FINAL, OURS_EVERY, OURS_GENERAL, NAIVE, HTTPX_SSE, AIOHTTP_SSE]
    order = [k for k in order if k in mem]
    e2e_order = [RAW_SPLIT, ASK, STREAM, EVENTSOURCE]
    ours = {OURS_FINAL, OURS_EVERY, OURS_GENERAL, ASK, STREAM}

    relay = relay_chart_rows(r) if "relay" in r else []
    fig, axes = plt.subplots(1, 3 if relay else 2, figsize=(19 if relay else 13, 4.6))
    panels = (
        (
            axes[0],
            order,
            mem,
            FLOOR,
            labels,
            f"In memory, workload 1 ({r['w1']['bytes'] / 1e6:.0f} MB): time / bytes.split floor",
        ),
        (
            axes[1],
            e2e_order,
            e2e,
            RAW,
            e2e_labels,
            "End to end over loopback: time / raw aiohttp read",
        ),
    )
    for ax, keys, med, base, names, title in panels:
        ratios = [med[k] / med[base] for k in keys]
        colors = ["#2b6cb0" if k in ours else "#a0aec0" for k in keys]
        bars = ax.barh([names[k] for k in keys], ratios, color=colors)
        ax.invert_yaxis()
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("x the baseline (lower is faster)")
        for bar, ratio in zip(bars, ratios, strict=False):
            ax.text(
                bar.get_width(),
                bar.get_y() + bar.get_height() / 2,
                f" {ratio:.1f}x",
                va="center",
                fontsize=9,
            )
        ax.set_xlim(0, max(ratios) * 1.18)
        ax.tick_params(axis="y", labelsize=8.5)
    if relay:
        ax = axes[2]
        names = [row[0] for row in relay]
        ratios = [row[1] for row in relay]
        colors = ["#2b6cb0" if "(asyncio)" in name else "#2f855a" for name in names]
        bars = ax.barh(names, ratios, color=colors)
        ax.invert_yaxis()
        ax.set_title("Relay cost: ask() / raw aiohttp read (| = goal)", fontsize=10)
        ax.set_xlabel("x the raw read (lower is better)")
        for bar, (_, ratio, goal) in zip(bars, relay, strict=False):
            y = bar.get_y() + bar.get_height() / 2
            ax.text(bar.get_width(), y, f" {ratio:.2f}x", va="center", fontsize=9)
            if goal is not None:
                ax.plot([goal, goal], [y - 0.4, y + 0.4], color="#c53030", linewidth=2)
        ax.set_xlim(0, max(max(ratios), max(g or 0 for _, _, g in relay)) * 1.2)
        ax.tick_params(axis="y", labelsize=8.5)
    fig.suptitle(
        f"textql-async vs alternatives - {r['machine']['cpu']}, {r['machine']['python']}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
