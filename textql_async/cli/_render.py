"""Views of Ana's blocks: rich renderables (imported lazily by callers) and plain text."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from textql_async.cli._output import plural
from textql_async.models.ana import (
    Block,
    ErrorBlock,
    ImageUrlResult,
    OntologyBlock,
    PythonBlock,
    TextBlock,
    TextResult,
)

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.segment import Segment

__all__ = ["LiveView", "plain_blocks", "rich_block", "rich_blocks"]

_SQL_PREVIEW = 2000


def plain_blocks(blocks: Iterable[Block]) -> str:
    """The blocks as plain text, one paragraph each (used when rich is not installed)."""
    return "\n\n".join(_plain_block(b) for b in blocks)


def _plain_block(block: Block) -> str:
    if isinstance(block, TextBlock):
        return block.contents
    if isinstance(block, PythonBlock):
        return _plain_python(block)
    if isinstance(block, OntologyBlock):
        return _plain_ontology(block)
    if isinstance(block, ErrorBlock):
        return "[error] " + block.contents
    return f"[{block.tag or 'unknown'} block]"


def _plain_python(block: PythonBlock) -> str:
    parts = ["```python", block.contents, "```"]
    for result in block.results or ():
        if isinstance(result, TextResult):
            parts.append("[output]\n" + result.contents)
        elif isinstance(result, ImageUrlResult):
            parts.append(f"[image] {result.image_url or '(no url)'}")
        else:
            parts.append(f"[{result.tag or 'unknown'} result]")
    return "\n".join(parts)


def _plain_ontology(block: OntologyBlock) -> str:
    contents = block.contents
    result = contents.result if contents is not None else None
    parts = ["[ontology] " + ((contents.query if contents else None) or "")]
    if result is not None and result.sql_query:
        parts.append("sql: " + result.sql_query)
    if result is not None and result.oai_output:
        parts.append(result.oai_output)
    return "\n".join(parts)


def rich_block(block: Block) -> RenderableType:
    """One block as a rich renderable."""
    from rich.markdown import Markdown
    from rich.panel import Panel
    from rich.text import Text

    if isinstance(block, TextBlock):
        return Markdown(block.contents)
    if isinstance(block, PythonBlock):
        return _rich_python(block)
    if isinstance(block, OntologyBlock):
        return _rich_ontology(block)
    if isinstance(block, ErrorBlock):
        return Panel(Text(block.contents, style="red"), title="error", border_style="red")
    return Text(f"[{block.tag or 'unknown'} block]", style="dim")


def _rich_python(block: PythonBlock) -> RenderableType:
    from rich.console import Group
    from rich.panel import Panel
    from rich.syntax import Syntax
    from rich.text import Text

    parts: list[RenderableType] = [
        Syntax(block.contents, "python", theme="ansi_dark", word_wrap=True)
    ]
    for result in block.results or ():
        if isinstance(result, TextResult):
            parts.append(Panel(Text(result.contents), title="output", title_align="left"))
        elif isinstance(result, ImageUrlResult):
            url = result.image_url
            line = Text("image: ", style="bold")
            line.append(url or "(no url)", style=f"link {url}" if url else "dim")
            parts.append(line)
        else:
            parts.append(Text(f"[{result.tag or 'unknown'} result]", style="dim"))
    return Panel(Group(*parts), title="python", title_align="left", border_style="blue")


def _rich_ontology(block: OntologyBlock) -> RenderableType:
    from rich.console import Group
    from rich.panel import Panel
    from rich.syntax import Syntax
    from rich.text import Text

    contents = block.contents
    result = contents.result if contents is not None else None
    rows: list[RenderableType] = []
    if contents is not None and contents.query:
        rows.append(Text(contents.query, style="italic"))
    if result is not None and result.sql_query:
        sql = result.sql_query[:_SQL_PREVIEW]
        rows.append(Syntax(sql, "sql", theme="ansi_dark", word_wrap=True))
    if result is not None and result.oai_output:
        rows.append(Text(result.oai_output))
    if result is None or result.complete is False:
        rows.append(Text("querying…", style="dim"))
    return Panel(Group(*rows), title="ontology", title_align="left", border_style="magenta")


def rich_blocks(blocks: Sequence[Block]) -> RenderableType:
    """Every block, one after the other."""
    from rich.console import Group

    return Group(*(rich_block(b) for b in blocks))


class LiveView:
    """What :class:`rich.live.Live` shows while Ana works: the blocks, then a spinner.

    When the blocks are taller than the terminal only their tail is shown, so the
    growing block stays visible and the live area never scrolls (which rich cannot redraw).
    """

    def __init__(self) -> None:
        from rich.spinner import Spinner

        self._blocks: Sequence[Block] = ()
        self._start = time.monotonic()
        self._spinner = Spinner("dots", style="cyan")
        self._cache: tuple[Sequence[Block], int, list[list[Segment]]] | None = None

    def update(self, blocks: Sequence[Block]) -> None:
        """Show ``blocks`` (a snapshot's tuple; rendered lazily at the next refresh)."""
        self._blocks = blocks

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment
        from rich.text import Text

        blocks = self._blocks
        width = options.max_width
        cache = self._cache
        if cache is None or cache[0] is not blocks or cache[1] != width:
            lines = console.render_lines(rich_blocks(blocks), options.update(height=None))
            cache = self._cache = (blocks, width, list(lines))
        lines = cache[2]
        elapsed = time.monotonic() - self._start
        self._spinner.update(
            text=Text(f" Ana is working… {plural(len(blocks), 'block')}, {elapsed:.1f} s", style="dim")
        )
        room = max(2, console.size.height - 2)
        if len(lines) > room:
            hidden = len(lines) - room + 1
            yield Text(f"↑ {hidden} more lines", style="dim")
            lines = lines[-(room - 1) :]
        for line in lines:
            yield from line
            yield Segment.line()
        yield self._spinner
