"""Reports of the fake's playbook runs, shaped like the ones the service delivers.

Every block type the spec documents that carries content appears (hero, text, list,
divider, a card nesting an image_text, spacer), so clients meet realistic layouts.
"""

from __future__ import annotations

import datetime as _dt
import html
import uuid
from typing import Any

__all__ = ["build_report", "now", "run_assets"]


def now() -> str:
    """The current UTC time in RFC 3339 form, as the service writes timestamps."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat().replace("+00:00", "Z")


def build_report(name: str, *, number: int) -> dict[str, Any]:
    """A report like the ones playbook runs deliver: a hero, text, a list, a chart card."""
    chat_id = str(uuid.uuid4())
    chart = f"https://app.textql.com/api/assets/{chat_id}/revenue_by_region.png"
    highlights = ["Revenue up 12% week over week", "West leads all regions", "Churn flat at 2.1%"]
    summary = f"Run {number} of {name!r}: revenue grew 12% week over week."
    blocks: list[dict[str, Any]] = [
        {"type": "hero", "image_url": chart, "image_alt": name},
        {"type": "text", "heading": "Summary", "content": summary},
        {"type": "list", "heading": "Highlights", "items": highlights},
        {"type": "divider"},
        {
            "type": "card",
            "blocks": [
                {
                    "type": "image_text",
                    "heading": "Revenue by region",
                    "content": "West $1.2M, East $0.9M, Central $0.7M.",
                    "image_url": chart,
                    "image_alt": "Bar chart of revenue by region",
                    "variant": "rounded",
                }
            ],
        },
        {"type": "spacer", "height": 24},
    ]
    items = "".join(f"<li>{html.escape(item)}</li>" for item in highlights)
    page = f"<h1>{html.escape(name)}</h1><p>{html.escape(summary)}</p><ul>{items}</ul>"
    return {
        "id": str(uuid.uuid4()),
        "subject": f"{name}: report #{number}",
        "summary": summary,
        "blocks": blocks,
        "html_preview": f"<html><body>{page}</body></html>",
        "chat_id": chat_id,
        "created_at": now(),
    }


def run_assets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The assets a run produced (the chart its report shows)."""
    return [
        {
            "name": "revenue_by_region.png",
            "type": "image",
            "url": report["blocks"][0]["image_url"],
            "cell_id": str(uuid.uuid4()),
            "created_at": report["created_at"],
        }
    ]
