"""client.partner.spaces: typed filters (unknown operators kept), create/list, errors."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from _partner_kit import make_connector, partner_calls

from textql_async import AsyncTextQL, NotFoundError, ValidationError
from textql_async.models.partner import Filter, FilterOperator, Space, space_decoder
from textql_async.testing import FakeTextQL


async def test_create_with_typed_and_plain_filters_then_list(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    source = await make_connector(client)
    assert source.source_id is not None
    space = await client.partner.spaces.create(
        source.source_id,
        "Active Users Dashboard",
        "cust_456",
        {
            "age": Filter(FilterOperator.GREATER_THAN, 18),
            "category": {"operator": "in", "value": ["A", "B", "C"]},
            "status": Filter("equals", "active"),
        },
    )
    assert (space.source_id, space.name, space.customer_id) == (
        source.source_id,
        "Active Users Dashboard",
        "cust_456",
    )
    assert space.partner_id == fake.partner.partner_id and space.space_id
    assert space.filters == {
        "age": Filter("greater_than", 18),
        "category": Filter("in", ["A", "B", "C"]),
        "status": Filter("equals", "active"),
    }
    assert space.filters["category"].known_operator is FilterOperator.IN
    # the wire form the service received: plain {operator, value} objects
    assert fake.partner.spaces[space.space_id]["filters"]["age"] == {
        "operator": "greater_than",
        "value": 18,
    }
    plain = await client.partner.spaces.create(source.source_id, "All rows", "cust_457")
    assert plain.filters == {}
    assert await client.partner.spaces.list() == [space, plain]
    assert partner_calls(fake)[1:] == [
        ("POST", "/partner/spaces"),
        ("POST", "/partner/spaces"),
        ("GET", "/partner/spaces/by-partner"),
    ]


async def test_unknown_operator_is_sent_and_read_back_as_a_string(client: AsyncTextQL) -> None:
    source = await make_connector(client)
    assert source.source_id is not None
    space = await client.partner.spaces.create(
        source.source_id, "Recent", "cust", {"created": Filter("within_last_days", 30)}
    )
    created = space.filters["created"]
    assert created.operator == "within_last_days" and created.known_operator is None
    assert (await client.partner.spaces.list())[0].filters["created"] == created


def test_filter_stores_enum_operators_as_plain_strings() -> None:
    f = Filter(FilterOperator.NOT_IN, [1, 2])
    assert type(f.operator) is str and f.operator == "not_in"
    assert msgspec.json.encode(f) == b'{"operator":"not_in","value":[1,2]}'
    assert str(FilterOperator.CONTAINS) == "contains"


def test_space_decoding_tolerates_unknown_operators_and_fields() -> None:
    body = (
        b'{"space_id": "sp", "filters": {"geo": {"operator": "near", "value": {"lat": 1},'
        b' "unit": "km"}}, "created_at": "2026-01-01"}'
    )
    space = space_decoder.decode(body)
    assert space.space_id == "sp" and space.filters["geo"] == Filter("near", {"lat": 1})
    assert space.filters["geo"].known_operator is None
    assert space_decoder.decode(b"{}") == Space()


@pytest.mark.parametrize(
    ("filters", "error"),
    [
        ({"age": {"operator": "equals"}}, ValueError),
        ({"age": {"value": 3}}, ValueError),
        ({"age": ("equals", 3)}, TypeError),
        ({"": Filter("equals", 3)}, ValueError),
        ({"age": Filter("", 3)}, ValueError),
        ({"age": Filter(7, 3)}, TypeError),  # type: ignore[arg-type]
        ([("age", Filter("equals", 3))], TypeError),
    ],
)
async def test_malformed_filters_fail_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, filters: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await client.partner.spaces.create("src", "name", "cust", filters)
    assert fake.requests == []


@pytest.mark.parametrize("missing", ["source_id", "name", "customer_id"])
async def test_required_text_arguments(fake: FakeTextQL, client: AsyncTextQL, missing: str) -> None:
    args = {"source_id": "src", "name": "n", "customer_id": "c", missing: "  "}
    with pytest.raises(ValueError, match=missing):
        await client.partner.spaces.create(**args)
    assert fake.requests == []


async def test_server_rejects_a_filter_value_it_cannot_use(client: AsyncTextQL) -> None:
    source = await make_connector(client)
    assert source.source_id is not None
    with pytest.raises(ValidationError) as info:
        await client.partner.spaces.create(
            source.source_id, "Geo", "cust", {"geo": Filter("near", {"lat": 1})}
        )
    assert info.value.fields == ["filters.geo.value"]
    assert "filters.geo.value" in str(info.value)


async def test_unknown_source_is_not_found(client: AsyncTextQL) -> None:
    with pytest.raises(NotFoundError, match="Data source not found"):
        await client.partner.spaces.create("src_missing", "n", "c")
