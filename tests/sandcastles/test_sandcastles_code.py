"""Python in the kernel, one-shot commands, connector data, and the execution history."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from textql_async import AsyncTextQL, BadRequestError, NotFoundError
from textql_async.testing import FakeTextQL
from textql_async.testing._v2_sandcastles_store import StoredSandbox


def _sent(fake: FakeTextQL) -> Any:
    """The JSON body of the last request the fake's sandcastles family received."""
    return fake.sandcastles.bodies[-1]


async def test_execute_runs_in_a_persistent_kernel(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    first = await client.sandcastles.execute(box.sandbox_id, "total = 40\nprint('ready')")
    assert first.ok and first.output == ["ready"] and first.error is None
    second = await client.sandcastles.execute(
        box.sandbox_id, "print(f'total={total + 2}')\nprint(1, 2)"
    )
    assert second.output == ["total=42", "1 2"]
    assert second.text == "total=42\n1 2"
    assert second.execution_time_ms is not None
    assert fake.requests[-1].path == f"/v2/sandcastles/{box.sandbox_id}/execute"


async def test_a_python_exception_is_data_not_an_exception(
    client: AsyncTextQL, box: StoredSandbox
) -> None:
    result = await client.sandcastles.execute(box.sandbox_id, "print('before')\n1 / 0")
    assert not result.ok
    assert result.output is None
    assert result.error == "executing Python code: ZeroDivisionError('division by zero')"
    assert result.text == ""


async def test_exec_returns_stdout_stderr_and_a_nonzero_exit_code_as_data(
    client: AsyncTextQL, box: StoredSandbox
) -> None:
    ok = await client.sandcastles.exec(box.sandbox_id, "echo hello && echo oops >&2")
    assert (ok.stdout, ok.stderr, ok.exit_code, ok.ok) == ("hello\n", "oops\n", 0, True)
    failed = await client.sandcastles.exec(box.sandbox_id, "cat missing.csv")
    assert failed.exit_code == 1 and not failed.ok
    assert failed.stderr == "cat: missing.csv: No such file or directory\n"
    assert failed.error == ""
    chained = await client.sandcastles.exec(box.sandbox_id, "false && echo never; exit 3")
    assert (chained.stdout, chained.exit_code) == ("", 3)
    missing = await client.sandcastles.exec(box.sandbox_id, "pandoc in.md")
    assert missing.exit_code == 127


async def test_exec_state_carries_only_through_files(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    await client.sandcastles.exec(
        box.sandbox_id, "echo $GREETING > note.txt", env={"GREETING": "hi"}
    )
    assert _sent(fake) == {
        "command": "echo $GREETING > note.txt",
        "kind": "bash",
        "env": {"GREETING": "hi"},
    }
    assert box.read("note.txt") == b"hi\n"
    shown = await client.sandcastles.exec(box.sandbox_id, "cat note.txt")
    assert shown.stdout == "hi\n"
    await client.sandcastles.execute(box.sandbox_id, "x = 5")
    python = await client.sandcastles.exec(box.sandbox_id, "print(x)", kind="python")
    assert python.exit_code == 1  # a fresh process: the kernel's x is not there
    assert python.stderr.endswith("NameError: name 'x' is not defined\n")
    fresh = await client.sandcastles.exec(box.sandbox_id, "print(6 * 7)", kind="python")
    assert (fresh.stdout, fresh.exit_code) == ("42\n", 0)


async def test_a_worker_error_comes_back_in_error(client: AsyncTextQL, box: StoredSandbox) -> None:
    result = await client.sandcastles.exec(box.sandbox_id, "sleep 3600")
    assert result.error == "command timed out after 60s"
    assert not result.ok


async def test_query_loads_sql_into_a_dataframe(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    connector = fake.connectors.seed("warehouse")
    result = await client.sandcastles.query(
        box.sandbox_id,
        connector_id=connector.id,
        query="select region, revenue from sales limit 12",
    )
    assert (result.dataframe_name, result.num_rows, result.num_cols) == (
        f"connector_{connector.id}",
        12,
        2,
    )
    assert result.preview
    assert _sent(fake) == {
        "connector_id": connector.id,
        "query": "select region, revenue from sales limit 12",
    }
    status = await client.sandcastles.status(box.sandbox_id)
    assert [(d.name, d.num_rows, d.num_cols) for d in status.dataframes] == [
        (f"connector_{connector.id}", 12, 2)
    ]
    assert status.dataframes[0].memory_usage_bytes == 12 * 2 * 8


async def test_query_runs_a_saved_tql_file_with_params(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.sandcastles.org_library["reports/revenue.tql"] = b"select a, b, c from t limit {{ n }}"
    box = fake.sandcastles.seed()  # mounts the org library
    connector = fake.connectors.seed("warehouse")
    result = await client.sandcastles.query(
        box.sandbox_id,
        connector_id=connector.id,
        tql_path="reports/revenue.tql",
        params={"n": 5000},
        max_rows=3000,
    )
    assert (result.dataframe_name, result.num_rows, result.num_cols) == ("revenue", 3000, 3)
    assert result.preview is not None and result.preview.startswith("| col_1 | col_2 | col_3 |")
    with pytest.raises(BadRequestError, match="missing parameter 'n'"):
        await client.sandcastles.query(
            box.sandbox_id, connector_id=connector.id, tql_path="reports/revenue.tql"
        )
    with pytest.raises(NotFoundError):
        await client.sandcastles.query(
            box.sandbox_id, connector_id=connector.id, tql_path="reports/hidden.tql"
        )
    with pytest.raises(NotFoundError, match="connector 99"):
        await client.sandcastles.query(box.sandbox_id, connector_id=99, query="select 1")


async def test_the_server_refuses_both_or_neither_of_query_and_tql_path(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    # what the SDK never sends, checked on the fake directly
    url = f"{fake.url}/v2/sandcastles/{box.sandbox_id}/query"
    async with aiohttp.ClientSession(headers=fake.auth_headers("bearer")) as session:
        for body in ({"connector_id": 1}, {"connector_id": 1, "query": "q", "tql_path": "a.tql"}):
            async with session.post(url, json=body) as response:
                assert response.status == 400
                assert (await response.json())["error"]["code"] == "invalid_request"


BAD_QUERIES: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({}, ValueError, "exactly one"),
    ({"query": "select 1", "tql_path": "a.tql"}, ValueError, "exactly one"),
    ({"query": " "}, ValueError, "query"),
    ({"tql_path": "reports/revenue.sql"}, ValueError, ".tql"),
    ({"query": "select 1", "params": {"n": 1}}, ValueError, "tql_path only"),
    ({"query": "select 1", "max_rows": 10}, ValueError, "tql_path only"),
    ({"tql_path": "a.tql", "max_rows": 0}, ValueError, "max_rows"),
    ({"tql_path": "a.tql", "max_rows": "10"}, TypeError, "max_rows"),
    ({"tql_path": "a.tql", "params": [1]}, TypeError, "params"),
    ({"query": "select 1", "dataframe_name": ""}, ValueError, "dataframe_name"),
    ({"query": "select 1", "connector_id": 0}, ValueError, "connector_id"),
    ({"query": "select 1", "connector_id": "1"}, TypeError, "connector_id"),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), BAD_QUERIES)
async def test_query_arguments_are_checked_before_any_request(
    fake: FakeTextQL,
    client: AsyncTextQL,
    box: StoredSandbox,
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    kwargs = {"connector_id": 1, **kwargs}
    with pytest.raises(error, match=match):
        await client.sandcastles.query(box.sandbox_id, **kwargs)
    assert fake.requests == []


BAD_CODE: list[tuple[str, dict[str, Any], type[Exception]]] = [
    ("execute", {"code": ""}, ValueError),
    ("execute", {"code": None}, TypeError),
    ("exec", {"command": "  "}, ValueError),
    ("exec", {"command": "ls", "kind": "node"}, ValueError),
    ("exec", {"command": "ls", "env": {"A": 1}}, TypeError),
    ("exec", {"command": "ls", "env": {"A=B": "x"}}, ValueError),
    ("exec", {"command": "ls", "env": ["A"]}, TypeError),
]


@pytest.mark.parametrize(("method", "kwargs", "error"), BAD_CODE)
async def test_code_arguments_are_checked_before_any_request(
    fake: FakeTextQL,
    client: AsyncTextQL,
    box: StoredSandbox,
    method: str,
    kwargs: dict[str, Any],
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await getattr(client.sandcastles, method)(box.sandbox_id, **kwargs)
    assert fake.requests == []


async def test_work_on_a_stopped_sandbox_is_not_found_but_its_history_stays(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    await client.sandcastles.execute(box.sandbox_id, "print('kept')")
    await client.sandcastles.stop(box.sandbox_id)
    with pytest.raises(NotFoundError, match="not running"):
        await client.sandcastles.execute(box.sandbox_id, "print(1)")
    with pytest.raises(NotFoundError):
        await client.sandcastles.exec(box.sandbox_id, "ls")
    history = await client.sandcastles.executions(box.sandbox_id)
    assert [(e.kind, e.input, e.output_preview) for e in history.executions] == [
        ("python", "print('kept')", "kept")
    ]


async def test_executions_are_recorded_newest_first_and_paged(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    connector = fake.connectors.seed("warehouse")
    await client.sandcastles.execute(box.sandbox_id, "1 / 0")
    await client.sandcastles.exec(box.sandbox_id, "exit 2")
    await client.sandcastles.query(
        box.sandbox_id, connector_id=connector.id, query="select 1 from t"
    )
    await client.sandcastles.exec(box.sandbox_id, "echo done")
    first = await client.sandcastles.executions(box.sandbox_id, limit=3)
    assert [(e.kind, e.input) for e in first.executions] == [
        ("bash", "echo done"),
        ("sql", "select 1 from t"),
        ("bash", "exit 2"),
    ]
    assert first.executions[0].source == "platform_api"
    assert first.executions[0].error == "" and first.executions[2].error == "exit status 2"
    assert first.executions[0].created_at is not None
    assert first.next_cursor
    rest = await client.sandcastles.executions(box.sandbox_id, limit=3, cursor=first.next_cursor)
    assert [e.kind for e in rest.executions] == ["python"]
    assert (
        rest.executions[0].error == "executing Python code: ZeroDivisionError('division by zero')"
    )
    assert rest.next_cursor is None


async def test_iter_executions_fetches_pages_lazily(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    for n in range(5):
        await client.sandcastles.execute(box.sandbox_id, f"print({n})")
    sent = len(fake.requests)
    iterator = client.sandcastles.iter_executions(box.sandbox_id, page_size=2)
    newest = await iterator.__anext__()
    assert newest.input == "print(4)"
    assert len(fake.requests) == sent + 1
    inputs = [newest.input] + [e.input async for e in iterator]
    assert inputs == [f"print({n})" for n in reversed(range(5))]
    assert len(fake.requests) == sent + 3
    assert fake.requests[-1].query["limit"] == "2"
    with pytest.raises(ValueError, match="limit"):
        client.sandcastles.iter_executions(box.sandbox_id, page_size=500)
