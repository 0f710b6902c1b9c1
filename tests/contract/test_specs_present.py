"""The contract tests' OpenAPI documents ship with the repository, unchanged."""

from __future__ import annotations

import hashlib
import pathlib
import re

SPECS = pathlib.Path(__file__).resolve().parent / "specs"


def _recorded_hashes() -> dict[str, str]:
    rows = re.findall(r"^\| `([^`]+\.yml)` \| `([0-9a-f]{64})` \|$", (SPECS / "README.md").read_text(), re.M)
    return dict(rows)


def test_every_spec_file_is_in_the_repository_with_its_recorded_hash() -> None:
    hashes = _recorded_hashes()
    assert set(hashes) == {"textql-v2-openapi.yml", "textql-chat-v1-openapi.yml"}
    for name, digest in hashes.items():
        path = SPECS / name
        assert path.is_file(), f"{path} is missing: the contract tests would not run"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{name} changed"


def test_the_contract_helper_reads_the_in_repo_specs() -> None:
    from tests.contract import _openapi

    assert _openapi.REFERENCE == SPECS
    assert _openapi.reference_missing() is None
