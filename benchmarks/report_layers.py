"""The "where ask()'s CPU goes" table of ``RESULTS.md`` (:mod:`benchmarks.relay_layers`)."""

from __future__ import annotations

import statistics
from typing import Any

__all__ = ["layers_markdown"]


def layers_markdown(r: dict[str, Any]) -> list[str]:
    """The subsection's lines (none when the layers were not measured)."""
    layers = r.get("relay_layers")
    if not layers:
        return []
    loops = layers["loops"]
    out = [
        "### Where ask()'s CPU goes on the short answer, layer by layer",
        "",
        f"The short answer, {layers['answers']:,} asks at once through `asyncio.gather`, the "
        "client's CPU per answer; each contender adds one layer of `ask()` to the one above "
        f"it (see `benchmarks/relay_layers.py`), interleaved, {layers['rounds']} rounds per "
        "loop, medians, measured once as usual and once with the garbage collector paused "
        "(*no GC*: what the layer's code costs; the difference is the collector's share, "
        "which grows with the objects each answer keeps alive). *step*: the cost over the "
        "row above it (for `ask()`, over the stream and the transport together).",
        "",
        "| layer | what it adds | "
        + " | ".join(f"{loop} CPU | {loop} x raw | {loop} no GC | {loop} step" for loop in loops)
        + " |",
        "| --- | --- |" + " ---: | ---: | ---: | ---: |" * len(loops),
    ]
    previous = {"floor": "raw", "transport": "floor", "stream": "floor"}
    previous |= {"stream+transport": "stream", "ask": "stream+transport"}
    for name, label in layers["layers"].items():
        cells = []
        for loop in loops:
            times = layers["times"][loop]
            cpu = statistics.median(times[name]["cpu"])
            raw = statistics.median(times["raw"]["cpu"])
            nogc = statistics.median(times[name]["cpu_nogc"])
            base = previous.get(name)
            step = "-"
            if base is not None:
                step = f"+{(cpu - statistics.median(times[base]['cpu'])) * 1e6:.0f} us"
            cells.append(f"{cpu * 1e6:.0f} us | {cpu / raw:.2f} | {nogc * 1e6:.0f} us | {step}")
        out.append(f"| `{name}` | {label} | " + " | ".join(cells) + " |")
    out.append("")
    return out
