"""Griffe extension: turn the package's Sphinx-style roles into mkdocstrings cross-references.

The docstrings say ``:class:`AnaFold``` and ``:meth:`close```, as Sphinx would. This rewrites
each role, at docs build time only, into an autorefs link ``[AnaFold][full.path]``, resolving
the name the way Python would from the docstring's object (its members, its parents' members,
the module's imports). A name of the standard library or of a dependency (``aiohttp.ClientSession``)
becomes plain code; a name that resolves to nothing is a warning, so ``mkdocs build --strict``
fails on it instead of shipping a dead reference.
"""

from __future__ import annotations

import builtins
import re
import sys
from typing import Any

import griffe

logger = griffe.get_logger("textql_roles")

_ROLE = re.compile(r":(?:py:)?(class|meth|func|attr|exc|mod|data|obj|const):`(~?)([\w.]+)(\(\))?`")
_EXTERNAL = set(sys.stdlib_module_names) | {"aiohttp", "anyio", "msgspec", "rich", "pytest", "yarl"}


class RstRoles(griffe.Extension):
    """Rewrite ``:role:`target``` in every docstring of the package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Walk the whole package once it is loaded (aliases resolve by then)."""
        _walk(pkg, set())


def _walk(obj: griffe.Object, seen: set[str]) -> None:
    if obj.path in seen:
        return
    seen.add(obj.path)
    if obj.docstring is not None:
        obj.docstring.value = _ROLE.sub(lambda m: _replace(obj, m), obj.docstring.value)
    for member in obj.members.values():
        if not isinstance(member, griffe.Alias):
            _walk(member, seen)


def _replace(obj: griffe.Object, match: re.Match[str]) -> str:
    _role, tilde, target, call = match.groups()
    shown = (target.rsplit(".", 1)[-1] if tilde else target) + (call or "")
    head = target.split(".", 1)[0]
    if head in _EXTERNAL or hasattr(builtins, head):
        return f"`{shown}`"
    path = _resolve(obj, target)
    if path is None:
        logger.warning("%s: cannot resolve the reference :%s:`%s`", obj.path, _role, target)
        return f"`{shown}`"
    return f"[`{shown}`][{path}]"


def _resolve(obj: griffe.Object, target: str) -> str | None:
    if target.startswith("textql_async."):
        return target
    head, _, rest = target.partition(".")
    scope: griffe.Object | None = obj
    while scope is not None:
        member = scope.members.get(head)
        if member is not None:
            base = member.target_path if isinstance(member, griffe.Alias) else member.path
            return f"{base}.{rest}" if rest else base
        scope = scope.parent
    return None
