"""Every JSON body the fake's sandcastles routes send matches the reference OpenAPI schemas."""

from __future__ import annotations

from types import ModuleType

import pytest

from textql_async import APIError, AsyncTextQL
from textql_async.testing import FakeTextQL

# every operation of the family; GET .../files/{path} answers bytes, not JSON
JSON_ROUTES = {
    ("GET", "/v2/sandcastles"),
    ("POST", "/v2/sandcastles"),
    ("GET", "/v2/sandcastles/{id}"),
    ("DELETE", "/v2/sandcastles/{id}"),
    ("GET", "/v2/sandcastles/{id}/executions"),
    ("POST", "/v2/sandcastles/{id}/execute"),
    ("POST", "/v2/sandcastles/{id}/query"),
    ("GET", "/v2/sandcastles/{id}/files"),
    ("POST", "/v2/sandcastles/{id}/files"),
    ("GET", "/v2/sandcastles/{id}/files/{path}"),  # its error bodies are JSON
    ("DELETE", "/v2/sandcastles/{id}/files/{path}"),
    ("POST", "/v2/sandcastles/{id}/exec"),
    ("GET", "/v2/sandcastles/{id}/ontology/diff"),
    ("POST", "/v2/sandcastles/{id}/ontology/changes"),
}


async def test_fake_sandcastle_responses_follow_the_spec(
    fake: FakeTextQL, client: AsyncTextQL, openapi: ModuleType
) -> None:
    fake.sandcastles.org_library["reports/revenue.tql"] = b"select a from t limit {{ n }}"
    connector = fake.connectors.seed("warehouse")
    fake.sandcastles.seed("stale")
    others = fake.sandcastles.seed("stopped", member_id="someone-else")
    sid = (await client.sandcastles.start()).sandbox_id
    assert sid is not None
    sc = client.sandcastles
    await sc.list(status="all", limit=1)
    await sc.status(sid)
    await sc.execute(sid, "x = 1\nprint(x)")
    await sc.execute(sid, "1 / 0")
    await sc.query(sid, connector_id=connector.id, query="select a, b from t")
    await sc.query(
        sid, connector_id=connector.id, tql_path="reports/revenue.tql", params={"n": 3000}
    )
    await sc.exec(sid, "echo hi > library/new.tql && false")
    await sc.exec(sid, "sleep 600")
    await sc.upload(sid, ("data.csv", b"a,b\n"))
    await sc.files(sid)
    download = await sc.download(sid, "data.csv")
    assert [chunk async for chunk in download] == [b"a,b\n"]
    await sc.delete_file(sid, "data.csv")
    await sc.ontology_diff(sid)
    change = await sc.ontology_changes(sid, title="t", description="d")
    fake.sandcastles.library_drifted = True
    await sc.ontology_changes(sid, change_number=change.change_number)
    fake.sandcastles.writebacks[change.change_number or 0]["status"] = "denied"
    await sc.executions(sid, limit=2)
    failing = (
        lambda: sc.start(others.sandbox_id),  # 403
        lambda: sc.start("sbx_missing"),  # 404
        lambda: sc.list(cursor="bogus"),  # 400
        lambda: sc.status("sbx_missing"),  # 404
        lambda: sc.executions(sid, cursor="bogus"),  # 400
        lambda: sc.query(sid, connector_id=connector.id, tql_path="reports/revenue.tql"),  # 400
        lambda: sc.query(sid, connector_id=99, query="select 1"),  # 404
        lambda: sc.files(sid, "../up"),  # 400
        lambda: sc.download(sid, ".env"),  # 400
        lambda: sc.download(sid, "missing.csv"),  # 404
        lambda: sc.delete_file(sid, "missing.csv"),  # 404
        lambda: sc.ontology_changes(sid, change_number=change.change_number),  # 409
        lambda: sc.stop("sbx_missing"),  # 404
    )
    for call in failing:
        with pytest.raises(APIError):
            await call()
    await sc.stop(sid)
    with pytest.raises(APIError):
        await sc.ontology_diff(sid)  # 404: not running
    with pytest.raises(APIError):
        await sc.execute(sid, "print(1)")  # 404
    with pytest.raises(APIError):
        await sc.exec(sid, "ls")  # 404
    with pytest.raises(APIError):
        await sc.upload(sid, ("a.csv", b"x"))  # 404
    async with fake.client(api_key="wrong", max_retries=0) as unauthorized:
        with pytest.raises(APIError):
            await unauthorized.sandcastles.list()  # 401
    openapi.validate_responses(
        fake.responses,
        "/v2/sandcastles",
        routes=JSON_ROUTES,
        statuses={200, 201, 400, 401, 403, 404, 409},
    )
