"""Validate JSON bodies against the operations of the reference OpenAPI files.

The reference copies live in ``tests/contract/specs/`` (see its README for where they come
from). A missing file fails the ``openapi`` fixture of ``tests/conftest.py``: no contract
test ever skips.
"""

from __future__ import annotations

import copy
import json
import pathlib
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from textql_async.testing import RecordedResponse

REFERENCE = pathlib.Path(__file__).resolve().parent / "specs"
SPEC_FILES = ("textql-v2-openapi.yml", "textql-chat-v1-openapi.yml")
_PARAM = re.compile(r"\{[^}]*\}")


def reference_missing() -> str | None:
    """Why the contract cannot be checked here, or ``None`` when it can."""
    missing = [name for name in SPEC_FILES if not (REFERENCE / name).is_file()]
    return f"reference OpenAPI files not found in {REFERENCE}: {missing}" if missing else None


@cache
def _spec(name: str) -> dict[str, Any]:
    import yaml

    loaded: dict[str, Any] = yaml.safe_load((REFERENCE / name).read_text())
    return loaded


def _template(path: str) -> str:
    return _PARAM.sub("{}", path)


def operation(method: str, route: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The spec document and operation object of ``method route``, if a spec has it."""
    wanted = _template(route)
    for name in SPEC_FILES:
        spec = _spec(name)
        for path, item in spec.get("paths", {}).items():
            if _template(path) == wanted and method.lower() in (item or {}):
                return spec, item[method.lower()]
    return None


def response_schema(method: str, route: str, status: int) -> dict[str, Any] | None:
    """The JSON schema of a response, with ``$ref`` inlined and 3.0 ``nullable`` translated."""
    found = operation(method, route)
    if found is None:
        raise AssertionError(f"{method} {route} is not an operation of the reference specs")
    spec, op = found
    responses = op.get("responses", {})
    response = responses.get(str(status)) or responses.get("default")
    if response is None:
        raise AssertionError(f"{method} {route} documents no {status} response")
    response = _resolve(spec, response)
    content = (response.get("content") or {}).get("application/json")
    if content is None or "schema" not in content:
        return None
    return _translate(_resolve(spec, content["schema"]))


def _resolve(spec: dict[str, Any], node: Any, depth: int = 0) -> Any:
    if depth > 40:
        return {}
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolve(spec, copy.deepcopy(target), depth + 1)
        return {k: _resolve(spec, v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(spec, v, depth + 1) for v in node]
    return node


def _translate(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _translate(v) for k, v in node.items() if k not in ("example", "examples")}
        if "oneOf" in out and "properties" not in out:
            # protobuf oneofs: the spec pairs oneOf with additionalProperties: false and no
            # properties, which strictly admits only {}; the variants decide instead
            out.pop("additionalProperties", None)
        if out.pop("nullable", False) and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_translate(v) for v in node]
    return node


def validate(method: str, route: str, status: int, body: bytes) -> None:
    """Raise ``AssertionError`` naming the route when ``body`` breaks the documented schema."""
    import jsonschema

    schema = response_schema(method, route, status)
    if schema is None:
        return
    instance = json.loads(body)
    try:
        jsonschema.Draft202012Validator(schema).validate(instance)
    except jsonschema.ValidationError as exc:
        raise AssertionError(f"{method} {route} -> {status}: {exc.message} at {list(exc.path)}") from None


def validate_responses(
    responses: Iterable[RecordedResponse],
    prefixes: str | tuple[str, ...] = "",
    *,
    routes: set[tuple[str, str]] | None = None,
    statuses: set[int] | None = None,
) -> int:
    """Validate every recorded response whose route starts with ``prefixes``; returns how many.

    With ``routes`` (``(method, route)`` pairs) or ``statuses``, first assert that those
    responses hit exactly these routes and answered exactly these statuses.
    """
    mine = [r for r in responses if r.route.startswith(prefixes)]
    if routes is not None:
        seen = {(r.method, r.route) for r in mine}
        assert seen == routes, (
            f"routes hit differ: missing {sorted(routes - seen)}, unexpected {sorted(seen - routes)}"
        )
    if statuses is not None:
        answered = {r.status for r in mine}
        assert answered == statuses, f"statuses {sorted(answered)} != {sorted(statuses)}"
    for response in mine:
        validate(response.method, response.route, response.status, response.body)
    return len(mine)
