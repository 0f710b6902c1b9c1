"""MkDocs hooks: generate the API reference from ``__all__`` and refuse undocumented names.

The reference pages under ``reference/`` are not written by hand: on every build they are
generated from the ``__all__`` of the public modules (``PUBLIC_MODULES``), one
``::: name`` directive per public name, grouped by the module that defines it. A public
name without a docstring is a warning, so ``mkdocs build --strict`` (``make docs``) fails
on it, as it does on a broken cross-reference.
"""

from __future__ import annotations

import importlib
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

import griffe
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.plugins.textql_reference")
_ROOT = Path(__file__).resolve().parents[2]

# The public modules whose __all__ is the public API, and the reference page of each.
PUBLIC_MODULES = {
    "textql_async": None,  # split by defining module, see GROUPS
    "textql_async.sync": ("sync", "Sync facade: textql_async.sync"),
    "textql_async.testing": ("testing", "Testing kit: textql_async.testing"),
    "textql_async.distributed": ("distributed", "Batch on Dask: textql_async.distributed"),
    "textql_async.sansio": ("sansio", "Sans-IO core: textql_async.sansio"),
    "textql_async.sansio.sse": ("sansio", "Sans-IO core: textql_async.sansio"),
    "textql_async.sansio.fold": ("sansio", "Sans-IO core: textql_async.sansio"),
    "textql_async.sansio.chunked": ("sansio", "Sans-IO core: textql_async.sansio"),
    "textql_async.sansio.slots": ("sansio", "Sans-IO core: textql_async.sansio"),
    "textql_async.sansio.completion": ("sansio", "Sans-IO core: textql_async.sansio"),
    "textql_async.integrations.starlette": (
        "integrations-starlette",
        "Web integration: textql_async.integrations.starlette",
    ),
}

# Pages for the names of ``textql_async.__all__``, keyed by the module defining them.
# A defining module missing here still gets a page of its own (named after it).
GROUPS = {
    "textql_async._client": ("client", "Client and configuration"),
    "textql_async._config": ("client", "Client and configuration"),
    "textql_async._version": ("client", "Client and configuration"),
    "textql_async._streaming": ("streams", "Streams, batches and fan-out"),
    "textql_async._chat_stream": ("streams", "Streams, batches and fan-out"),
    "textql_async._batch": ("streams", "Streams, batches and fan-out"),
    "textql_async._broadcast": ("streams", "Streams, batches and fan-out"),
    "textql_async.resources._sandcastle_files": ("streams", "Streams, batches and fan-out"),
    "textql_async._exceptions": ("errors", "Errors"),
    "textql_async.sansio.fold": ("fold", "Sans-IO types re-exported at the top level"),
    "textql_async.sansio.sse": ("fold", "Sans-IO types re-exported at the top level"),
    "textql_async.sansio.completion": ("fold", "Sans-IO types re-exported at the top level"),
}

MODEL_TITLES = {
    "ana": "Ana (/api/ana)",
    "v2_chats": "v2 chats, models and cells",
    "connectors": "connectors",
    "playbooks": "playbooks",
    "sandcastles": "sandcastles",
    "changes": "changes",
    "members": "members and roles",
    "api_keys": "API keys",
    "v1": "v1 Connect",
    "v1_enums": "v1 Connect enums",
    "partner": "partner API",
}

# Reference options: list every field of a model, documented or not.
_OPTIONS = "    options:\n      show_if_no_docstring: true\n"

_generated: list[tuple[str, str]] = []  # (src_uri, title) in nav order


def _page_of(module: str, name: str) -> tuple[str, str]:
    if module != "textql_async":
        page = PUBLIC_MODULES[module]
        assert page is not None
        return page
    defining = _defining_module(module, name)
    if defining in GROUPS:
        return GROUPS[defining]
    if defining.startswith("textql_async.models."):
        short = defining.rsplit(".", 1)[1]
        return f"models-{short}", f"Models: {MODEL_TITLES.get(short, short)}"
    slug = defining.removeprefix("textql_async.").lstrip("_").replace(".", "-")
    return slug, f"More: {defining}"


def _defining_module(module: str, name: str) -> str:
    value = getattr(importlib.import_module(module), name)
    defining = getattr(value, "__module__", None)
    if isinstance(defining, str) and defining.startswith("textql_async"):
        # a class of the compiled core (make accel) is documented where its source is
        return defining.replace("textql_async._speedups.", "textql_async.sansio.")
    # a constant: ask griffe where the name comes from
    obj = _griffe_package()[f"{module.removeprefix('textql_async.')}.{name}" if module != "textql_async" else name]
    if isinstance(obj, griffe.Alias):
        return obj.target_path.rsplit(".", 1)[0]
    return module


_PACKAGE: list[griffe.Module] = []


def _griffe_package() -> griffe.Module:
    if not _PACKAGE:
        _PACKAGE.append(griffe.load("textql_async", search_paths=[str(_ROOT)], resolve_aliases=True))
    return _PACKAGE[0]


def public_names() -> dict[str, list[str]]:
    """Every public module and the names of its ``__all__`` (what the reference must cover)."""
    return {m: list(importlib.import_module(m).__all__) for m in PUBLIC_MODULES}


def missing_docstrings() -> list[str]:
    """Public names whose object (followed through re-exports) has no docstring."""
    package = _griffe_package()
    missing = []
    for module, names in public_names().items():
        node = package if module == "textql_async" else package[module.removeprefix("textql_async.")]
        for name in names:
            obj: Any = node[name]
            target = obj.final_target if isinstance(obj, griffe.Alias) else obj
            if target.docstring is None or not target.docstring.value.strip():
                missing.append(f"{module}.{name}")
    return missing


def reference_pages() -> list[tuple[str, str, str]]:
    """The generated reference: ``(src_uri, title, markdown)`` per page, index first."""
    pages: dict[tuple[str, str], list[str]] = defaultdict(list)
    top = set(importlib.import_module("textql_async").__all__)
    for module, names in public_names().items():
        for name in names:
            key = _page_of(module, name)
            if module.startswith("textql_async.sansio.") and name in top:
                # rendered once, as textql_async.NAME; the sansio page links to it
                pages[key].append(f"`{module}.{name}` is [`textql_async.{name}`][textql_async.{name}].\n")
            else:
                pages[key].append(f"::: {module}.{name}\n{_OPTIONS}")
    index = [
        "# Reference\n",
        "Generated on every build from the `__all__` of the public modules: every public "
        "name has an entry (a name without a docstring fails the build).\n",
    ]
    out = []
    for (slug, title), entries in sorted(pages.items(), key=lambda item: _order(item[0][0])):
        out.append((f"reference/{slug}.md", title, f"# {title}\n\n" + "\n".join(entries)))
        index.append(f"- [{title}]({slug}.md)")
    for module, names in public_names().items():
        index.append(f"\n## `{module}`\n")
        index.append(", ".join(f"[`{n}`][{_anchor(module, n, top)}]" for n in names))
    return [("reference/index.md", "Reference", "\n".join(index) + "\n"), *out]


def _anchor(module: str, name: str, top: set[str]) -> str:
    if module.startswith("textql_async.sansio.") and name in top:
        return f"textql_async.{name}"
    return f"{module}.{name}"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated reference pages; warn (fail the strict build) on a missing docstring."""
    _generated.clear()
    for uri, title, content in reference_pages():
        files.append(File.generated(config, uri, content=content))
        if uri != "reference/index.md":
            _generated.append((uri, title))
    for name in missing_docstrings():
        log.warning("public name without a docstring: %s", name)
    return files


def _order(slug: str) -> tuple[int, str]:
    fixed = ["client", "streams", "errors", "fold"]
    if slug in fixed:
        return fixed.index(slug), slug
    if slug.startswith("models-"):
        return 10, slug
    if slug in ("sync", "testing", "sansio"):
        return 20 + ("sync", "testing", "sansio").index(slug), slug
    return 15, slug


def on_nav(nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
    """Put the generated pages under the "Reference" section of the nav."""
    section = next((item for item in nav.items if isinstance(item, Section) and item.title == "Reference"), None)
    if section is None:
        log.warning("mkdocs.yml has no 'Reference' nav section for the generated pages")
        return nav
    for uri, title in _generated:
        file = files.get_file_from_path(uri)
        assert file is not None
        page = Page(title, file, config)
        page.parent = section
        section.children.append(page)
        nav.pages.append(page)
    return nav
