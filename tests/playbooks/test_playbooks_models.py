"""The playbook models are lenient: unknown enum values, unknown and missing fields parse."""

from __future__ import annotations

import msgspec
import pytest

from textql_async import APIError, AsyncTextQL
from textql_async.models.playbooks import (
    Playbook,
    PlaybookDetail,
    PlaybookPage,
    PlaybookReport,
    PlaybookRun,
    ReportBlock,
)
from textql_async.testing import FakeTextQL, HTTPError


async def test_unknown_status_and_fields_are_tolerated(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    stored = fake.playbooks.seed(
        "Paused one", status="paused", extra={"owner": {"id": "m1"}, "run_count": 4}
    )
    page = await client.playbooks.list()
    assert page.playbooks[0].status == "paused" and not page.playbooks[0].is_deployed
    detail = await client.playbooks.get(stored.id)
    assert detail.playbook is not None and detail.playbook.name == "Paused one"


async def test_unknown_block_types_and_variants_are_tolerated(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    stored = fake.playbooks.seed()
    stored.reports.append(
        {
            "id": "r1",
            "future_field": True,
            "blocks": [
                {"type": "chart", "spec": {"mark": "bar"}},
                {"type": "card", "blocks": [{"type": "image", "variant": "hexagon"}]},
            ],
        }
    )
    detail = await client.playbooks.get(stored.id)
    blocks = list(detail.reports[0].walk())
    assert [b.type for b in blocks] == ["chart", "card", "image"]
    assert blocks[2].variant == "hexagon"


def test_empty_bodies_decode_to_defaults() -> None:
    assert msgspec.json.decode(b"{}", type=Playbook) == Playbook()
    assert msgspec.json.decode(b"{}", type=PlaybookPage).playbooks == []
    assert msgspec.json.decode(b"{}", type=PlaybookDetail).reports == []
    run = msgspec.json.decode(b"{}", type=PlaybookRun)
    assert run.report is None and run.assets == []


def test_a_block_needs_its_type() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"heading": "x"}', type=ReportBlock)


def test_report_text_reads_headings_content_and_items_in_order() -> None:
    report = PlaybookReport(
        blocks=[
            ReportBlock(type="text", heading="Summary", content="Up 12%"),
            ReportBlock(type="card", blocks=[ReportBlock(type="list", items=["a", "b"])]),
            ReportBlock(type="divider"),
        ]
    )
    assert report.text == "Summary\nUp 12%\n- a\n- b"


async def test_a_body_that_is_not_json_is_an_api_error(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.inject(HTTPError(200, b"<html>login</html>", "text/html"), path="/v2/playbooks")
    with pytest.raises(APIError, match="unexpected response body"):
        await client.playbooks.list()
