"""The README's endpoint table: every documented endpoint is listed, every method named exists."""

from __future__ import annotations

import pathlib
import re

import pytest

from textql_async import AsyncTextQL

ROOT = pathlib.Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE)` \| `([^`]+)`( \(partner\))? \| (.+) \|$")
METHOD = re.compile(r"`(client\.[a-z_.0-9]+)`")
REFERENCE = ROOT / "tests" / "contract" / "specs"

# The endpoints of the seed documents (the API documents): the API this SDK was made from.
SEED_ENDPOINTS = {
    ("POST", "/v2/chats"),  # 000
    ("GET", "/api/ana"),  # 001
    ("GET", "/api/ana/chat/summary"),
    ("GET", "/api/ana/{chat_id}"),
    ("POST", "/v1/chat/get"),  # 002
    ("POST", "/v1/chat/list"),  # 003
    ("GET", "/sources/database-connectors"),  # 004, paths from the API's public OpenAPI
    ("POST", "/sources/database-connectors"),
    ("POST", "/spaces"),
    ("GET", "/spaces/by-partner"),
    ("POST", "/embed/token"),
    ("POST", "/conversations/{conversation_id}/chat"),
    ("GET", "/conversations/{conversation_id}/messages"),
}


def _rows() -> dict[tuple[str, str], list[str]]:
    rows: dict[tuple[str, str], list[str]] = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        match = ROW.match(line.strip())
        if match:
            rows[(match.group(1), match.group(2))] = METHOD.findall(match.group(4))
    return rows


def _template(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_every_seed_endpoint_is_in_the_table() -> None:
    listed = {(m, _template(p)) for m, p in _rows()}
    missing = {(m, p) for m, p in SEED_ENDPOINTS if (m, _template(p)) not in listed}
    assert missing == set()


def test_every_listed_method_exists() -> None:
    client = AsyncTextQL(api_key="k", base_url="http://127.0.0.1:9")
    rows = _rows()
    assert len(rows) >= len(SEED_ENDPOINTS)
    for endpoint, methods in rows.items():
        assert methods, endpoint
        for dotted in methods:
            target: object = client
            for part in dotted.split(".")[1:]:
                target = getattr(target, part)
            assert callable(target), dotted


@pytest.mark.parametrize("spec", ["textql-chat-v1-openapi.yml", "textql-v2-openapi.yml"])
def test_every_spec_operation_of_a_covered_family_is_listed(spec: str) -> None:
    if not (REFERENCE / spec).is_file():
        pytest.fail(f"reference OpenAPI file not found: {REFERENCE / spec}")
    import yaml

    document = yaml.safe_load((REFERENCE / spec).read_text())
    listed = {(m, _template(p)) for m, p in _rows()}
    covered_prefixes = _covered_prefixes()
    missing = []
    for path, item in document["paths"].items():
        if not any(path.startswith(prefix) for prefix in covered_prefixes):
            continue
        for method in item or {}:
            if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                if (method.upper(), _template(path)) not in listed:
                    missing.append(f"{method.upper()} {path}")
    assert missing == []


def _covered_prefixes() -> tuple[str, ...]:
    """The SDK covers the whole v1 chat and v2 specs: every operation must be listed."""
    return ("/v1/", "/v2/")
