"""Models of the v2 playbooks API (``/v2/playbooks*``).

A playbook is a saved prompt that Ana runs on a schedule (once deployed) or on
demand, delivering a report by email or Slack. Lenient by design: every field is
optional, unknown fields are ignored, and the open enums (playbook ``status``,
report block ``type`` and ``variant``) are plain strings so a new value never fails.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from typing import Literal

import msgspec

from textql_async.models._base import Result
from textql_async.models.v2_chats import Asset

__all__ = [
    "DeletedPlaybook",
    "DeployedPlaybook",
    "Playbook",
    "PlaybookDetail",
    "PlaybookPage",
    "PlaybookReport",
    "PlaybookRun",
    "PlaybookSortBy",
    "PlaybookSortDirection",
    "PlaybookStatus",
    "ReportBlock",
]

#: the statuses the spec documents (a response may carry others: ``Playbook.status`` is a str)
PlaybookStatus = Literal["draft", "deployed"]
PlaybookSortBy = Literal["name", "created_at", "updated_at"]
PlaybookSortDirection = Literal["asc", "desc"]


class Playbook(Result, frozen=True):
    """A playbook's configuration. ``status`` is ``draft`` until :meth:`~textql_async.resources.playbooks.PlaybooksResource.deploy`, then ``deployed``.

    The service omits ``cron_string``, ``email_addresses`` and ``slack_channel_id`` when
    they are not set, so they read as ``None`` / ``[]``.
    """

    id: str | None = None
    name: str | None = None
    prompt: str | None = None
    status: str | None = None
    created_at: _dt.datetime | None = None
    updated_at: _dt.datetime | None = None
    connector_ids: list[int] = msgspec.field(default_factory=list)
    cron_string: str | None = None
    email_addresses: list[str] = msgspec.field(default_factory=list)
    slack_channel_id: str | None = None

    @property
    def is_deployed(self) -> bool:
        """Whether the playbook is active and runs on its schedule."""
        return self.status == "deployed"


class ReportBlock(msgspec.Struct, frozen=True):
    """One block of a report's layout; which fields are set depends on ``type``.

    ``hero`` / ``image``: ``image_url``, ``image_alt``; ``text``: ``heading``, ``content``;
    ``list``: ``heading``, ``items``; ``image_text``: all of those plus ``variant``;
    ``card``: nested ``blocks``; ``spacer``: ``height``; ``divider``: nothing.
    """

    type: str
    heading: str | None = None
    content: str | None = None
    image_url: str | None = None
    image_alt: str | None = None
    variant: str | None = None
    items: list[str] = msgspec.field(default_factory=list)
    blocks: list[ReportBlock] = msgspec.field(default_factory=list)
    height: int | None = None

    def walk(self) -> Iterator[ReportBlock]:
        """This block, then every block nested in it (cards hold blocks), depth first."""
        yield self
        for child in self.blocks:
            yield from child.walk()


class PlaybookReport(msgspec.Struct, frozen=True):
    """A report a playbook run produced: subject, summary, layout blocks and an HTML preview.

    ``chat_id`` is the chat that generated it (readable with ``client.chats.get``).
    """

    id: str | None = None
    subject: str | None = None
    summary: str | None = None
    blocks: list[ReportBlock] = msgspec.field(default_factory=list)
    html_preview: str | None = None
    chat_id: str | None = None
    created_at: _dt.datetime | None = None

    def walk(self) -> Iterator[ReportBlock]:
        """Every block of the report, nested ones included, in reading order."""
        for block in self.blocks:
            yield from block.walk()

    @property
    def text(self) -> str:
        """The report's readable text (headings, paragraphs, list items), one per line."""
        lines: list[str] = []
        for block in self.walk():
            lines.extend(t for t in (block.heading, block.content) if t)
            lines.extend(f"- {item}" for item in block.items)
        return "\n".join(lines)


class PlaybookPage(Result, frozen=True):
    """One page of ``GET /v2/playbooks``; ``total_count`` counts every matching playbook."""

    playbooks: list[Playbook] = msgspec.field(default_factory=list)
    total_count: int | None = None


class PlaybookDetail(Result, frozen=True):
    """``GET /v2/playbooks/{id}``: the playbook and one page of its reports, newest first."""

    playbook: Playbook | None = None
    reports: list[PlaybookReport] = msgspec.field(default_factory=list)
    total_reports_count: int | None = None


class PlaybookRun(Result, frozen=True):
    """The result of a run: the generated ``report``, its chat and the assets it produced.

    A dry run only validates the playbook, so its result carries no report.
    """

    chat_id: str | None = None
    report: PlaybookReport | None = None
    assets: list[Asset] = msgspec.field(default_factory=list)


class DeletedPlaybook(Result, frozen=True):
    """The answer of a delete: which playbook and when."""

    playbook_id: str | None = None
    deleted_at: _dt.datetime | None = None


class DeployedPlaybook(Result, frozen=True):
    """The answer of a deploy: which playbook and when it became active."""

    playbook_id: str | None = None
    deployed_at: _dt.datetime | None = None


playbook_decoder = msgspec.json.Decoder(Playbook)
page_decoder = msgspec.json.Decoder(PlaybookPage)
detail_decoder = msgspec.json.Decoder(PlaybookDetail)
run_decoder = msgspec.json.Decoder(PlaybookRun)
deleted_decoder = msgspec.json.Decoder(DeletedPlaybook)
deployed_decoder = msgspec.json.Decoder(DeployedPlaybook)
