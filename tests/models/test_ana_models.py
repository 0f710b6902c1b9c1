"""Spec-driven tests for decoding Ana's wire JSON into typed models.

Wire examples are the Ana API docs' examples; where the docs' rendering lost
closing brackets, the JSON was completed in the obvious way.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from textql_async.models.ana import (
    ChatMessage,
    ChatSummary,
    ErrorBlock,
    ImageUrlResult,
    OntologyBlock,
    PythonBlock,
    TextBlock,
    TextResult,
    UnknownBlock,
    UnknownResult,
    decode_block,
    decode_chat_messages,
    decode_chat_summaries,
    encode_block,
)

SETTINGS = settings(max_examples=200, deadline=None)
UTC = dt.timezone.utc
ORG = "organization-test-1526533d-fc7e-4b44-9ec9-5f40ba8ee0d2"
MEMBER = "member-test-ad799459-d366-4fcc-94a5-d9ded9aa5462"
CHAT = "guild-navigator-anomaly-5c758e4ccce190a10a"


def attribute(name: str, kind: str) -> dict[str, Any]:
    return {
        "innerOrgId": ORG,
        "innerUUID": f"big.{name}",
        "innerUVal": {
            "attributeName": name,
            "attributeObject": {"objectRef": "7vf5ce7rdnngwm1nyftj8"},
            "attributeType": kind,
            "attributeDescription": "",
            "attributeIsInherent": True,
            "attributeData": {"tag": "UnlinkedAttribute", "contents": {"columnName": name}},
        },
    }


ONTOLOGY_OBJECT = {
    "reason": (
        "The question asks to order stores by size descending, so the 'Store' object is "
        "the relevant object to group and order by."
    ),
    "selectedFromGroup": "Stores ordered by size descending",
    "selectedObject": {
        "innerOrgId": ORG,
        "innerUUID": "7vf5ce7rdnngwm1nyftj8",
        "innerUVal": {
            "backingQuery": None,
            "backingTable": {"schema": "SNOWFLAKE_SAMPLE_DATA", "table": "TPCDS_SF100TCL.STORE"},
            "graphProperties": {"color": None, "icon": None, "position": {"x": -1, "y": -1}},
            "interestingAttributes": [],
            "objectDescription": "",
            "objectName": "Store",
            "primaryKeyAttribute": {"attributeRef": "Store.S_STORE_ID"},
            "titleAttribute": {"attributeRef": "Store.S_STORE_NAME"},
        },
    },
}
SELECTED_ATTRIBUTES = [
    attribute("S_STORE_ID", "TextType"),
    attribute("S_REC_START_DATE", "DateTime"),
    attribute("S_REC_END_DATE", "TextType"),
    attribute("S_CLOSED_DATE_SK", "NumberType"),
    attribute("S_STORE_NAME", "TextType"),
    attribute("S_NUMBER_EMPLOYEES", "NumberType"),
]
ONTOLOGY_RESULT = {
    "complete": True,
    "connectorId": 9,
    "queryClassification": {"classification": "object"},
    "userPrompt": "Stores ordered by size descending",
    "segmentation": {
        "output": {
            "filters": [],
            "groupings": ["size descending"],
            "metrics": [],
            "order": ["size descending"],
        }
    },
    "object": ONTOLOGY_OBJECT,
    "groupingsStarted": ["size descending"],
    "groupingsFound": [{"grouping": "S_STORE_SK"}, {"grouping": "S_FLOOR_SPACE"}],
    "metricsQuery": {
        "metrics": [],
        "dimensions": ["S_STORE_SK"],
        "filters": [],
        "order": [{"direction": "desc", "measure": "S_FLOOR_SPACE"}],
        "direction": "desc",
        "prompt": "Stores ordered by size descending",
        "unparsedText": "Stores ordered by size descending",
    },
    "selectedAttributes": SELECTED_ATTRIBUTES,
    "ordersStarted": [{"order": "size descending"}],
    "ordersFound": [
        {"order": {"direction": "desc", "measure": "S_FLOOR_SPACE"}, "unparsedText": "size descending"}
    ],
    "directionFound": "desc",
    "sqlQuery": "...",
    "sqlResult": {"result": {"colNames": ["S_STORE_ID"], "colTypes": ["TEXT"], "resultVals": []}},
    "preview": {"result": {}},
    "oai_output": "Data from object Store loaded into DataFrame df1 ...",
}
ONTOLOGY_BLOCK = {
    "tag": "OntologyBlock",
    "id": "e0c4b91b-950a-48cc-a5e1-9d55753bf4d9",
    "contents": {"query": "Stores ordered by size descending", "result": ONTOLOGY_RESULT},
    "tool_call_id": "call_a195c002-0869-4c30-8d14-5c0fccf26967",
}

CHAT_SUMMARY_EXAMPLE = [
    {
        "innerId": "guild-navigator-anomaly-5c758e4ccce190a10a",
        "innerVal": {
            "id": "guild-navigator-anomaly-5c758e4ccce190a10a",
            "orgId": ORG,
            "engine": "{}",
            "summary": "Gabriel searches for the largest store in Virginia",
            "lastUserMessage": {"timestamp": "2024-03-25T04:00:49.116Z"},
        },
    },
    {
        "innerId": "chani-eclipse-53cf2b4b9afdee22aa",
        "innerVal": {
            "id": "chani-eclipse-53cf2b4b9afdee22aa",
            "orgId": ORG,
            "engine": "{}",
            "summary": "Analyzing sales data for Q2 2023",
            "lastUserMessage": {"timestamp": "2024-03-24T15:30:12.842Z"},
        },
    },
]

USER_AUTHOR = {"tag": "User", "name": "Spencer Hubert", "contents": MEMBER}
CHAT_MESSAGES_EXAMPLE = [
    {
        "innerId": 33759,
        "innerVal": {
            "author": USER_AUTHOR,
            "chatId": CHAT,
            "timestamp": "2024-03-25T04:00:28.176Z",
            "body": [
                {"tag": "TextBlock", "contents": "hi", "id": "b6c91631-2e14-47ad-b81d-99437aae4026"}
            ],
            "messageIdx": 0,
        },
    },
    {
        "innerId": 33760,
        "innerVal": {
            "author": {"tag": "Assistant"},
            "chatId": CHAT,
            "timestamp": "2024-03-25T04:00:28.176Z",
            "body": [
                {
                    "id": "6cd2f3ed-c543-4196-85a7-cfcd399dacd5",
                    "tag": "TextBlock",
                    "contents": "Hello! How can I assist you today?",
                }
            ],
            "messageIdx": 1,
        },
    },
    {
        "innerId": 33761,
        "innerVal": {
            "author": USER_AUTHOR,
            "chatId": CHAT,
            "timestamp": "2024-03-25T04:00:49.116Z",
            "body": [
                {
                    "tag": "TextBlock",
                    "contents": "filter this column where the weight of the person is more than 150",
                    "id": "04b14642-c31c-4456-b552-3a79a4d9ca74",
                }
            ],
            "messageIdx": 2,
        },
    },
]


def dumps(obj: object) -> bytes:
    return json.dumps(obj).encode()


def builtins(value: object) -> object:
    """Opaque JSON sub-objects may be dicts or Structs; compare them as wire JSON."""
    return msgspec.to_builtins(value)


# ---------------------------------------------------------------------------
# blocks


def test_decode_text_block() -> None:
    block = decode_block(b'{"tag":"TextBlock","contents":"The largest store","id":"abc123"}')
    assert block == TextBlock(id="abc123", contents="The largest store")
    assert isinstance(block, TextBlock)


def test_decode_block_accepts_str_and_bytes() -> None:
    payload = '{"tag":"TextBlock","contents":"ünï","id":"x"}'
    assert decode_block(payload) == decode_block(payload.encode()) == TextBlock(
        id="x", contents="ünï"
    )


def test_decode_block_key_order_irrelevant() -> None:
    payload = '{"id":"6cd2","contents":"Hello!","tag":"TextBlock"}'
    assert decode_block(payload) == TextBlock(id="6cd2", contents="Hello!")


def test_decode_python_block_without_results() -> None:
    payload = (
        '{"tag":"PythonBlock","contents":"import pandas as pd\\n\\ndf = pd.read_csv('
        "'stores.csv')\\nprint(df)\",\"id\":\"def456\"}"
    )
    block = decode_block(payload)
    assert isinstance(block, PythonBlock)
    assert block.id == "def456"
    assert block.contents == "import pandas as pd\n\ndf = pd.read_csv('stores.csv')\nprint(df)"
    assert block.results is None


def test_decode_python_block_with_text_result() -> None:
    payload = dumps(
        {
            "tag": "PythonBlock",
            "contents": "print(df)",
            "results": [{"tag": "TextResult", "contents": "  store_id\n0   ST1234"}],
            "id": "def456",
        }
    )
    block = decode_block(payload)
    assert isinstance(block, PythonBlock)
    assert block.results is not None
    assert len(block.results) == 1
    result = block.results[0]
    assert isinstance(result, TextResult)
    assert result.contents == "  store_id\n0   ST1234"


@pytest.mark.parametrize("key", ["contents", "url"])
def test_decode_image_url_result(key: str) -> None:
    url = "https://example.com/plot.png"
    payload = dumps(
        {
            "tag": "PythonBlock",
            "contents": "plt.show()",
            "id": "p",
            "results": [{"tag": "ImageUrlResult", key: url}],
        }
    )
    block = decode_block(payload)
    assert isinstance(block, PythonBlock)
    assert block.results is not None
    result = block.results[0]
    assert isinstance(result, ImageUrlResult)
    assert result.image_url == url
    assert getattr(result, key) == url


def test_image_url_result_property_prefers_whichever_is_set() -> None:
    assert ImageUrlResult(contents="a").image_url == "a"
    assert ImageUrlResult(url="b").image_url == "b"
    assert ImageUrlResult().image_url is None


def test_decode_python_block_mixed_results_keep_order() -> None:
    payload = dumps(
        {
            "tag": "PythonBlock",
            "contents": "x",
            "id": "p",
            "results": [
                {"tag": "TextResult", "contents": "out"},
                {"tag": "ImageUrlResult", "url": "https://x/y.png"},
                {"tag": "TextResult", "contents": "more"},
            ],
        }
    )
    block = decode_block(payload)
    assert isinstance(block, PythonBlock)
    assert block.results is not None
    assert [type(r) for r in block.results] == [TextResult, ImageUrlResult, TextResult]


def test_decode_python_block_unknown_result_tag() -> None:
    payload = dumps(
        {
            "tag": "PythonBlock",
            "contents": "x",
            "id": "p",
            "results": [
                {"tag": "TableResult", "rows": [[1, 2]]},
                {"tag": "TextResult", "contents": "ok"},
            ],
        }
    )
    block = decode_block(payload)
    assert isinstance(block, PythonBlock)
    assert block.results is not None
    assert isinstance(block.results[0], UnknownResult)
    assert block.results[1] == TextResult(contents="ok")


def test_decode_ontology_block_docs_example() -> None:
    block = decode_block(dumps(ONTOLOGY_BLOCK))
    assert isinstance(block, OntologyBlock)
    assert block.id == "e0c4b91b-950a-48cc-a5e1-9d55753bf4d9"
    assert block.tool_call_id == "call_a195c002-0869-4c30-8d14-5c0fccf26967"
    assert block.contents is not None
    assert block.contents.query == "Stores ordered by size descending"
    result = block.contents.result
    assert result is not None
    assert result.complete is True
    assert result.connector_id == 9
    assert builtins(result.query_classification) == {"classification": "object"}
    assert result.user_prompt == "Stores ordered by size descending"
    assert builtins(result.segmentation) == ONTOLOGY_RESULT["segmentation"]
    assert builtins(result.object) == ONTOLOGY_OBJECT
    assert builtins(result.groupings_started) == ["size descending"]
    assert builtins(result.groupings_found) == ONTOLOGY_RESULT["groupingsFound"]
    assert builtins(result.metrics_query) == ONTOLOGY_RESULT["metricsQuery"]
    assert builtins(result.selected_attributes) == SELECTED_ATTRIBUTES
    assert builtins(result.orders_started) == [{"order": "size descending"}]
    assert builtins(result.orders_found) == ONTOLOGY_RESULT["ordersFound"]
    assert result.direction_found == "desc"
    assert result.sql_query == "..."
    assert builtins(result.sql_result) == ONTOLOGY_RESULT["sqlResult"]
    assert builtins(result.preview) == {"result": {}}
    assert result.oai_output == "Data from object Store loaded into DataFrame df1 ..."


def test_decode_ontology_block_in_progress_without_result() -> None:
    payload = dumps(
        {
            "tag": "OntologyBlock",
            "id": "o",
            "contents": {"query": "Stores ordered by size descending"},
            "tool_call_id": "call_1",
        }
    )
    block = decode_block(payload)
    assert isinstance(block, OntologyBlock)
    assert block.contents is not None
    assert block.contents.query == "Stores ordered by size descending"
    assert block.contents.result is None


def test_decode_error_block_without_id() -> None:
    block = decode_block(
        '{"tag":"ErrorBlock","contents":"An error occurred fetching the requested dataset."}'
    )
    assert isinstance(block, ErrorBlock)
    assert block.id is None
    assert block.contents == "An error occurred fetching the requested dataset."
    assert block == ErrorBlock(contents="An error occurred fetching the requested dataset.")


def test_decode_error_block_with_id() -> None:
    block = decode_block('{"tag":"ErrorBlock","contents":"bad","id":"e1"}')
    assert block == ErrorBlock(contents="bad", id="e1")


def test_decode_unknown_block_tag() -> None:
    payload = {"tag": "ChartBlock", "id": "c1", "spec": {"mark": "bar"}, "rows": [1, 2]}
    block = decode_block(dumps(payload))
    assert isinstance(block, UnknownBlock)
    assert block.tag == "ChartBlock"
    assert block.id == "c1"
    assert block.raw["spec"] == {"mark": "bar"}
    assert block.raw["rows"] == [1, 2]


def test_decode_unknown_block_without_id() -> None:
    block = decode_block('{"tag":"NoticeBlock","contents":"fyi"}')
    assert isinstance(block, UnknownBlock)
    assert block.tag == "NoticeBlock"
    assert block.id is None


def test_decode_known_block_extra_fields_ignored() -> None:
    block = decode_block('{"tag":"TextBlock","contents":"x","id":"t","future":{"a":[1]}}')
    assert block == TextBlock(id="t", contents="x")


# ---------------------------------------------------------------------------
# encode_block


ROUND_TRIP_PAYLOADS = [
    {"tag": "TextBlock", "contents": "The largest store is located in New York.", "id": "abc123"},
    {"tag": "PythonBlock", "contents": "print(1)", "id": "def456"},
    {
        "tag": "PythonBlock",
        "contents": "print(1)",
        "id": "def456",
        "results": [
            {"tag": "TextResult", "contents": "1"},
            {"tag": "ImageUrlResult", "contents": "https://x/a.png"},
            {"tag": "ImageUrlResult", "url": "https://x/b.png"},
        ],
    },
    ONTOLOGY_BLOCK,
    {"tag": "ErrorBlock", "contents": "An error occurred fetching the requested dataset."},
    {"tag": "ErrorBlock", "contents": "bad", "id": "e1"},
    {"tag": "ChartBlock", "id": "c1", "spec": {"mark": "bar"}},
    {"tag": "NoticeBlock", "contents": "fyi"},
]


@pytest.mark.parametrize(
    "payload", ROUND_TRIP_PAYLOADS, ids=[f"{p['tag']}-{i}" for i, p in enumerate(ROUND_TRIP_PAYLOADS)]
)
def test_encode_block_round_trips(payload: dict[str, Any]) -> None:
    block = decode_block(dumps(payload))
    encoded = encode_block(block)
    assert isinstance(encoded, bytes)
    assert decode_block(encoded) == block


@pytest.mark.parametrize(
    "payload", ROUND_TRIP_PAYLOADS, ids=[f"{p['tag']}-{i}" for i, p in enumerate(ROUND_TRIP_PAYLOADS)]
)
def test_encode_block_writes_tag(payload: dict[str, Any]) -> None:
    wire = json.loads(encode_block(decode_block(dumps(payload))))
    assert wire["tag"] == payload["tag"]
    if "id" in payload:
        assert wire["id"] == payload["id"]


def test_encode_text_block_is_wire_json() -> None:
    wire = json.loads(encode_block(TextBlock(id="abc123", contents="hi")))
    assert wire == {"tag": "TextBlock", "contents": "hi", "id": "abc123"}


def test_encode_ontology_block_uses_wire_names() -> None:
    wire = json.loads(encode_block(decode_block(dumps(ONTOLOGY_BLOCK))))
    result = wire["contents"]["result"]
    assert result["connectorId"] == 9
    assert result["userPrompt"] == "Stores ordered by size descending"
    assert result["oai_output"] == ONTOLOGY_RESULT["oai_output"]
    assert wire["tool_call_id"] == ONTOLOGY_BLOCK["tool_call_id"]


def test_encode_python_block_results_tagged() -> None:
    block = PythonBlock(id="p", contents="c", results=[TextResult(contents="out")])
    wire = json.loads(encode_block(block))
    assert wire["tag"] == "PythonBlock"
    assert wire["results"] == [{"tag": "TextResult", "contents": "out"}]
    assert decode_block(encode_block(block)) == block


TEXT = st.text(max_size=30)
OPT_ID = st.one_of(st.none(), st.text(min_size=1, max_size=12))
RESULTS = st.one_of(
    st.none(),
    st.lists(
        st.one_of(
            st.builds(TextResult, contents=TEXT),
            st.builds(ImageUrlResult, contents=st.none(), url=TEXT),
            st.builds(ImageUrlResult, contents=TEXT, url=st.none()),
        ),
        max_size=3,
    ),
)
BLOCKS = st.one_of(
    st.builds(TextBlock, id=st.text(min_size=1, max_size=12), contents=TEXT),
    st.builds(PythonBlock, id=st.text(min_size=1, max_size=12), contents=TEXT, results=RESULTS),
    st.builds(ErrorBlock, contents=TEXT, id=OPT_ID),
)


@SETTINGS
@given(BLOCKS)
def test_encode_decode_round_trip_property(block: Any) -> None:
    assert decode_block(encode_block(block)) == block


# ---------------------------------------------------------------------------
# chat summaries


def test_decode_chat_summaries_docs_example() -> None:
    summaries = decode_chat_summaries(dumps(CHAT_SUMMARY_EXAMPLE))
    assert len(summaries) == 2
    assert all(isinstance(s, ChatSummary) for s in summaries)
    first, second = summaries
    assert first.inner_id == "guild-navigator-anomaly-5c758e4ccce190a10a"
    assert first.inner_val.id == first.inner_id
    assert first.inner_val.org_id == ORG
    assert first.inner_val.engine == "{}"
    assert first.inner_val.engine_config == {}
    assert first.inner_val.summary == "Gabriel searches for the largest store in Virginia"
    assert first.inner_val.last_user_message is not None
    ts = first.inner_val.last_user_message.timestamp
    assert isinstance(ts, dt.datetime)
    assert ts == dt.datetime(2024, 3, 25, 4, 0, 49, 116000, tzinfo=UTC)
    assert ts.utcoffset() == dt.timedelta(0)
    assert second.inner_id == "chani-eclipse-53cf2b4b9afdee22aa"
    assert second.inner_val.summary == "Analyzing sales data for Q2 2023"
    assert second.inner_val.last_user_message is not None
    assert second.inner_val.last_user_message.timestamp == dt.datetime(
        2024, 3, 24, 15, 30, 12, 842000, tzinfo=UTC
    )


def test_chat_summary_engine_config_parses_engine_json() -> None:
    engine = json.dumps({"model": "gpt-4", "temperature": 0.5, "tools": ["python"]})
    data = [
        {
            "innerId": "c",
            "innerVal": {
                "id": "c",
                "orgId": ORG,
                "engine": engine,
                "summary": "s",
                "lastUserMessage": {"timestamp": "2024-03-25T04:00:49.116Z"},
            },
        }
    ]
    (summary,) = decode_chat_summaries(dumps(data))
    assert summary.inner_val.engine == engine
    assert summary.inner_val.engine_config == {
        "model": "gpt-4",
        "temperature": 0.5,
        "tools": ["python"],
    }


def test_chat_summary_null_last_user_message() -> None:
    data = [
        {
            "innerId": "c",
            "innerVal": {
                "id": "c",
                "orgId": ORG,
                "engine": "{}",
                "summary": "s",
                "lastUserMessage": None,
            },
        }
    ]
    (summary,) = decode_chat_summaries(dumps(data))
    assert summary.inner_val.last_user_message is None


def test_chat_summary_extra_fields_ignored() -> None:
    data = json.loads(json.dumps(CHAT_SUMMARY_EXAMPLE))
    data[0]["extra"] = 1
    data[0]["innerVal"]["pinned"] = True
    summaries = decode_chat_summaries(dumps(data))
    assert summaries == decode_chat_summaries(dumps(CHAT_SUMMARY_EXAMPLE))


def test_decode_chat_summaries_empty() -> None:
    assert decode_chat_summaries(b"[]") == []


# ---------------------------------------------------------------------------
# chat messages


def assert_docs_messages(messages: list[ChatMessage]) -> None:
    assert all(isinstance(m, ChatMessage) for m in messages)
    assert [m.inner_id for m in messages] == [33759, 33760, 33761]
    assert [m.message_idx for m in messages] == [0, 1, 2]
    assert all(m.chat_id == CHAT for m in messages)

    user, assistant, user_again = messages
    assert (user.author.tag, user.author.name, user.author.contents) == (
        "User",
        "Spencer Hubert",
        MEMBER,
    )
    assert assistant.author.tag == "Assistant"
    assert assistant.author.name is None
    assert assistant.author.contents is None
    assert user_again.author.tag == "User"

    assert isinstance(user.timestamp, dt.datetime)
    assert user.timestamp == dt.datetime(2024, 3, 25, 4, 0, 28, 176000, tzinfo=UTC)
    assert user_again.timestamp == dt.datetime(2024, 3, 25, 4, 0, 49, 116000, tzinfo=UTC)

    assert user.body == [TextBlock(id="b6c91631-2e14-47ad-b81d-99437aae4026", contents="hi")]
    assert assistant.body == [
        TextBlock(
            id="6cd2f3ed-c543-4196-85a7-cfcd399dacd5",
            contents="Hello! How can I assist you today?",
        )
    ]
    assert isinstance(user_again.body[0], TextBlock)
    assert user_again.body[0].contents.startswith("filter this column")


def test_decode_chat_messages_flat_array() -> None:
    assert_docs_messages(decode_chat_messages(dumps(CHAT_MESSAGES_EXAMPLE)))


def test_decode_chat_messages_array_of_arrays_flattened() -> None:
    nested = [CHAT_MESSAGES_EXAMPLE[:1], CHAT_MESSAGES_EXAMPLE[1:]]
    assert_docs_messages(decode_chat_messages(dumps(nested)))


def test_decode_chat_messages_array_of_single_item_arrays() -> None:
    nested = [[message] for message in CHAT_MESSAGES_EXAMPLE]
    messages = decode_chat_messages(dumps(nested))
    assert messages == decode_chat_messages(dumps(CHAT_MESSAGES_EXAMPLE))
    assert len(messages) == 3


def test_decode_chat_messages_empty() -> None:
    assert decode_chat_messages(b"[]") == []


def test_decode_chat_messages_body_with_mixed_blocks() -> None:
    message = json.loads(json.dumps(CHAT_MESSAGES_EXAMPLE[1]))
    message["innerVal"]["body"] = [
        {"tag": "TextBlock", "contents": "Looking", "id": "t1"},
        {"tag": "PythonBlock", "contents": "print(1)", "id": "p1",
         "results": [{"tag": "TextResult", "contents": "1"}]},
        ONTOLOGY_BLOCK,
        {"tag": "ErrorBlock", "contents": "oops"},
        {"tag": "ChartBlock", "id": "c1", "spec": {}},
    ]
    (decoded,) = decode_chat_messages(dumps([message]))
    kinds = [type(b) for b in decoded.body]
    assert kinds == [TextBlock, PythonBlock, OntologyBlock, ErrorBlock, UnknownBlock]
    python_block = decoded.body[1]
    assert isinstance(python_block, PythonBlock)
    assert python_block.results == [TextResult(contents="1")]


def test_chat_messages_extra_fields_ignored() -> None:
    data = json.loads(json.dumps(CHAT_MESSAGES_EXAMPLE))
    data[0]["innerVal"]["reactions"] = []
    data[0]["unexpected"] = {"x": 1}
    assert decode_chat_messages(dumps(data)) == decode_chat_messages(dumps(CHAT_MESSAGES_EXAMPLE))
