"""The playbooks resource against the fake: what it sends and what it returns."""

from __future__ import annotations

import uuid

from textql_async import AsyncTextQL
from textql_async.models.playbooks import Playbook, PlaybookRun
from textql_async.testing import FakeTextQL


async def test_create_makes_an_empty_draft_with_201(fake: FakeTextQL, client: AsyncTextQL) -> None:
    playbook = await client.playbooks.create()
    assert isinstance(playbook, Playbook)
    assert playbook.status == "draft" and not playbook.is_deployed
    assert playbook.id is not None and fake.playbooks.get(playbook.id) is not None
    assert playbook.cron_string is None and playbook.email_addresses == []
    assert fake.responses[-1].status == 201
    request = fake.requests[-1]
    assert (request.method, request.path) == ("POST", "/v2/playbooks")
    assert request.headers["Authorization"] == f"Bearer {fake.api_key}"


async def test_update_sends_only_the_given_fields(fake: FakeTextQL, client: AsyncTextQL) -> None:
    created = await client.playbooks.create()
    assert created.id is not None
    updated = await client.playbooks.update(
        created.id,
        name="Weekly revenue",
        prompt="Summarize last week's revenue by region",
        cron_string="0 9 * * 1",
        connector_ids=(3, 7),
        email_addresses=["cfo@example.com"],
    )
    assert fake.playbooks.bodies[-1].json == {
        "name": "Weekly revenue",
        "prompt": "Summarize last week's revenue by region",
        "cron_string": "0 9 * * 1",
        "connector_ids": [3, 7],
        "email_addresses": ["cfo@example.com"],
    }
    assert fake.requests[-1].method == "PATCH"
    assert (updated.name, updated.cron_string) == ("Weekly revenue", "0 9 * * 1")
    assert updated.connector_ids == [3, 7] and updated.email_addresses == ["cfo@example.com"]
    assert updated.updated_at is not None and created.updated_at is not None
    assert updated.updated_at >= created.updated_at
    # a later PATCH of one field keeps the others; "" clears the schedule
    again = await client.playbooks.update(created.id, cron_string="", slack_channel_id="C0123")
    assert fake.playbooks.bodies[-1].json == {"cron_string": "", "slack_channel_id": "C0123"}
    assert again.cron_string is None and again.slack_channel_id == "C0123"
    assert again.name == "Weekly revenue" and again.connector_ids == [3, 7]


async def test_update_sends_the_list_fields(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.playbooks.seed()
    await client.playbooks.update(
        uuid.UUID(stored.id),
        dataset_ids=["ds1"],
        tagged_slack_user_ids=["U1", "U2"],
        selected_template_data_ids=["t1"],
    )
    assert fake.playbooks.bodies[-1].json == {
        "dataset_ids": ["ds1"],
        "tagged_slack_user_ids": ["U1", "U2"],
        "selected_template_data_ids": ["t1"],
    }
    assert stored.tagged_slack_user_ids == ["U1", "U2"] and stored.dataset_ids == ["ds1"]


async def test_get_returns_the_playbook_with_its_reports(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    stored = fake.playbooks.seed("Churn watch", reports=3)
    detail = await client.playbooks.get(stored.id, limit=2, offset=1)
    assert fake.requests[-1].query == {"limit": "2", "offset": "1"}
    assert detail.playbook is not None and detail.playbook.name == "Churn watch"
    assert detail.total_reports_count == 3
    assert [r.subject for r in detail.reports] == ["Churn watch: report #2", "Churn watch: report #1"]
    report = detail.reports[0]
    assert report.chat_id is not None and report.created_at is not None
    assert [b.type for b in report.walk()] == [
        "hero", "text", "list", "divider", "card", "image_text", "spacer"
    ]
    assert "- West leads all regions" in report.text
    assert report.html_preview is not None and "<h1>Churn watch</h1>" in report.html_preview


async def test_get_accepts_a_uuid_and_an_upper_case_id(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    stored = fake.playbooks.seed()
    by_uuid = await client.playbooks.get(uuid.UUID(stored.id))
    by_upper = await client.playbooks.get(stored.id.upper())
    assert by_uuid.playbook == by_upper.playbook
    assert fake.requests[-1].path == f"/v2/playbooks/{stored.id}"
    assert fake.requests[-1].query == {}


async def test_deploy_activates_the_schedule(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.playbooks.seed(cron_string="0 9 * * 1")
    deployed = await client.playbooks.deploy(stored.id)
    assert deployed.playbook_id == stored.id and deployed.deployed_at is not None
    assert fake.requests[-1].path == f"/v2/playbooks/{stored.id}/deploy"
    detail = await client.playbooks.get(stored.id)
    assert detail.playbook is not None and detail.playbook.is_deployed
    page = await client.playbooks.list(status_filter="deployed")
    assert [p.id for p in page.playbooks] == [stored.id]


async def test_run_appends_a_report(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.playbooks.seed("Weekly revenue", reports=1)
    run = await client.playbooks.run(stored.id)
    assert fake.playbooks.bodies[-1].json == {"dry_run": False}
    assert isinstance(run, PlaybookRun) and run.report is not None
    assert run.chat_id == run.report.chat_id
    assert run.report.subject == "Weekly revenue: report #2"
    assert [a.type for a in run.assets] == ["image"]
    assert fake.playbooks.runs == [stored.id]
    detail = await client.playbooks.get(stored.id)
    assert detail.total_reports_count == 2
    assert detail.reports[0].id == run.report.id  # newest first


async def test_dry_run_validates_without_running(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.playbooks.seed()
    run = await client.playbooks.run(stored.id, dry_run=True)
    assert fake.playbooks.bodies[-1].json == {"dry_run": True}
    assert run == PlaybookRun()
    assert fake.playbooks.runs == [] and stored.reports == []


async def test_delete_removes_the_playbook(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.playbooks.seed()
    deleted = await client.playbooks.delete(stored.id)
    assert deleted.playbook_id == stored.id and deleted.deleted_at is not None
    assert fake.requests[-1].method == "DELETE"
    assert fake.playbooks.get(stored.id) is None
    assert (await client.playbooks.list()).total_count == 0


async def test_list_sends_filters_and_sort(fake: FakeTextQL, client: AsyncTextQL) -> None:
    fake.playbooks.seed("Beta revenue")
    fake.playbooks.seed("alpha revenue", status="deployed")
    fake.playbooks.seed("Churn")
    page = await client.playbooks.list(
        limit=10, offset=0, search_term="revenue", sort_by="name", sort_direction="asc"
    )
    assert fake.requests[-1].query == {
        "limit": "10",
        "offset": "0",
        "search_term": "revenue",
        "sort_by": "name",
        "sort_direction": "asc",
    }
    assert [p.name for p in page.playbooks] == ["alpha revenue", "Beta revenue"]
    assert page.total_count == 2
    drafts = await client.playbooks.list(status_filter="draft", sort_by="created_at")
    assert fake.requests[-1].query == {"status_filter": "draft", "sort_by": "created_at"}
    assert [p.name for p in drafts.playbooks] == ["Churn", "Beta revenue"]  # newest first


async def test_list_without_arguments_sends_no_query(fake: FakeTextQL, client: AsyncTextQL) -> None:
    fake.playbooks.seed()
    page = await client.playbooks.list(search_term="")
    assert fake.requests[-1].query == {}
    assert len(page.playbooks) == 1
