"""FastAPI-style request checks for the fake partner API: 422 bodies without ``input``.

Pydantic echoes the offending ``input`` in each error; these never do, so a database
password cannot come back in an error body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

__all__ = ["Errors", "detail", "err", "filters", "invalid", "json_object", "port", "string"]

Errors = list[dict[str, Any]]


def detail(status: int, message: str) -> web.Response:
    return web.json_response({"detail": message}, status=status)


def err(loc: list[Any], msg: str, kind: str, *, where: str = "body") -> dict[str, Any]:
    """One FastAPI validation error; never with ``input``, so a password is not echoed."""
    return {"loc": [where, *loc], "msg": msg, "type": kind}


def invalid(errors: Errors) -> web.Response:
    return web.json_response({"detail": errors}, status=422)


async def json_object(request: web.Request) -> dict[str, Any] | web.Response:
    raw = await request.read()
    if not raw.strip():
        return invalid([{"loc": ["body"], "msg": "Field required", "type": "missing"}])
    try:
        body = json.loads(raw)
    except ValueError:
        return invalid([err([0], "JSON decode error", "json_invalid")])
    if not isinstance(body, dict):
        return invalid(
            [
                {
                    "loc": ["body"],
                    "type": "model_attributes_type",
                    "msg": "Input should be a valid dictionary or object to extract fields from",
                }
            ]
        )
    return body


def string(
    body: Mapping[str, Any], name: str, errors: Errors, *, required: bool = True
) -> str | None:
    if name not in body or (body[name] is None and not required):
        if required:
            errors.append(err([name], "Field required", "missing"))
        return None
    value = body[name]
    if not isinstance(value, str):
        errors.append(err([name], "Input should be a valid string", "string_type"))
        return None
    return value


def port(body: Mapping[str, Any], errors: Errors) -> int | None:
    """Pydantic's lax int: an int, an integral float or a numeric string."""
    if "port" not in body:
        errors.append(err(["port"], "Field required", "missing"))
        return None
    value = body["port"]
    port: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        port = value
    elif isinstance(value, float) and value.is_integer():
        port = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        port = int(value)
    if port is None and isinstance(value, str):
        errors.append(
            err(
                ["port"],
                "Input should be a valid integer, unable to parse string as an integer",
                "int_parsing",
            )
        )
    elif port is None:
        errors.append(err(["port"], "Input should be a valid integer", "int_type"))
    elif not 1 <= port <= 65535:
        errors.append(err(["port"], "Input should be between 1 and 65535", "value_error"))
        port = None
    return port


def _is_scalar(value: object) -> bool:
    return isinstance(value, (str, int, float, bool))


def filters(value: object, errors: Errors) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(err(["filters"], "Input should be a valid dictionary", "dict_type"))
        return {}
    out: dict[str, Any] = {}
    for column, condition in value.items():
        if not isinstance(condition, dict):
            errors.append(
                err(
                    ["filters", column],
                    "Input should be a valid dictionary or instance of FilterCondition",
                    "model_type",
                )
            )
            continue
        operator = condition.get("operator")
        if not isinstance(operator, str):
            message, kind = (
                ("Field required", "missing")
                if "operator" not in condition
                else ("Input should be a valid string", "string_type")
            )
            errors.append(err(["filters", column, "operator"], message, kind))
        operand = condition.get("value")
        if "value" not in condition:
            errors.append(err(["filters", column, "value"], "Field required", "missing"))
        elif not (
            _is_scalar(operand)
            or (isinstance(operand, list) and all(_is_scalar(v) for v in operand))
        ):
            errors.append(
                err(
                    ["filters", column, "value"],
                    "Input should be a valid string, number, boolean or list of them",
                    "union_type",
                )
            )
        out[column] = {"operator": operator, "value": operand}
    return out
