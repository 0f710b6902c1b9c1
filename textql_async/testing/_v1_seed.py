"""The chats the fake's v1 store starts with, and how the store holds a chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["V1StoredChat", "seed_chats"]


@dataclass
class V1StoredChat:
    """One chat of the v1 store: the ``Chat`` JSON (camelCase), its messages and assets."""

    chat: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)
    assets: list[dict[str, Any]] = field(default_factory=list)


def seed_chats(member_id: str, org_id: str) -> list[V1StoredChat]:
    """Five chats with varied models, paradigms and optional fields."""
    base = {"orgId": org_id}
    mine, other = {"memberId": member_id}, {"memberId": "member-other-0002"}
    ids = [f"5d1c7a9e-000{n}-4a6b-9c1f-3e2d4b5a6c0{n}" for n in range(1, 6)]
    return [
        V1StoredChat(
            {
                "id": ids[0],
                "paradigm": {
                    "type": "TYPE_UNIVERSAL",
                    "version": 2,
                    "options": {
                        "universal": {
                            "connectorIds": [1],
                            "sqlEnabled": True,
                            "pythonEnabled": True,
                        }
                    },
                },
                "model": "MODEL_SONNET_4",
                "timestamp": "2025-01-10T09:00:00Z",
                **base,
                **mine,
                "summary": "Revenue by region",
                "research": False,
                "creatorEmail": "analyst@example.com",
                "apiKeyClientId": "client-42",
                "updatedAt": "2025-01-12T10:30:00Z",
                "isBookmarked": True,
                "preferredProvider": "anthropic",
                "preview": "What was revenue by region last quarter?",
                "dashboardMode": False,
                "source": "CHAT_SOURCE_THREAD",
                "methodology": "METHODOLOGY_ADAPTIVE",
            },
            [
                {
                    "role": "user",
                    "content": "What was revenue by region last quarter?",
                    "createdAt": "2025-01-10T09:00:00Z",
                },
                {
                    "role": "assistant",
                    "content": "**West** led with $4.2M.",
                    "createdAt": "2025-01-10T09:00:07.125Z",
                },
            ],
            [
                {
                    "target": "revenue_chart",
                    "previewType": "image",
                    "name": "revenue.png",
                    "url": "https://files.example.com/revenue.png",
                },
                {
                    "target": "revenue_table",
                    "previewType": "table",
                    "name": "revenue",
                    "content": "a,b",
                },
            ],
        ),
        V1StoredChat(
            {
                "id": ids[1],
                "paradigm": {
                    "type": "TYPE_SQL",
                    "version": 1,
                    "options": {"sql": {"connectorIds": [2]}},
                },
                "model": "MODEL_GPT_5",
                "timestamp": "2025-02-01T08:15:00Z",
                **base,
                **other,
                "summary": "Churn by cohort",
                "playbookId": "playbook-7",
                "research": True,
                "creatorEmail": "ops@example.com",
                "updatedAt": "2025-02-03T16:45:00Z",
                "templateDataId": "0f4e3d2c-0000-4000-8000-000000000001",
                "batchRunId": "0f4e3d2c-0000-4000-8000-000000000002",
                "preview": "Monthly churn by signup cohort",
                "source": "CHAT_SOURCE_PLAYBOOK",
                "methodology": "METHODOLOGY_THOROUGH",
            },
        ),
        V1StoredChat(
            {
                "id": ids[2],
                "paradigm": {
                    "type": "TYPE_RESEARCH",
                    "version": 3,
                    "options": {
                        "research": {"connectorIds": [1, 2], "logo": "https://example.com/l.png"}
                    },
                },
                "model": "MODEL_FUTURE_X",  # newer than the spec: clients must keep it
                "timestamp": "2025-03-05T14:00:00Z",
                **base,
                **mine,
                "summary": "Forecast next quarter",
                "updatedAt": "2025-03-06T09:20:00Z",
                "preview": "Forecast revenue for next quarter",
                "source": "CHAT_SOURCE_AGENT",
                "methodology": "METHODOLOGY_CAREFUL",
            },
        ),
        V1StoredChat(
            {
                "id": ids[3],
                "paradigm": {"type": "TYPE_BASIC", "version": 1, "options": {"basic": {}}},
                "model": "MODEL_HAIKU_4_5",
                "timestamp": "2024-12-20T18:30:00Z",
                **base,
                **other,
                "summary": "Inventory check",
                "preview": "How many units are in stock?",
                "dashboardMode": True,
                "source": "CHAT_SOURCE_SLACK",
            },
        ),
        V1StoredChat(
            {
                "id": ids[4],
                "paradigm": {
                    "type": "TYPE_ONTOLOGY",
                    "version": 1,
                    "options": {"ontology": {"connectorIds": [1], "ontologyIds": [7]}},
                },
                "model": "MODEL_DEFAULT",
                "timestamp": "2025-04-01T12:00:00.250Z",
                **base,
                **mine,
                "summary": "Top customers",
                "updatedAt": "2025-04-01T12:05:00Z",
                "preview": "Who are our top customers?",
                "source": "CHAT_SOURCE_FEED",
                "methodology": "METHODOLOGY_PRESCRIPTIVE",
            },
        ),
    ]
