"""The enums of the v1 Connect-RPC chat API.

String enums (``V1LlmModel``...) name the values a field may hold: the models keep
such fields as ``str`` so a value newer than this SDK never fails to decode. The
integer enums (``V1SortBy``, ``V1SortDirection``) are request arguments.
"""

from __future__ import annotations

import enum
from typing import TypeVar

__all__ = [
    "V1ChatSource",
    "V1LlmModel",
    "V1Methodology",
    "V1ParadigmType",
    "V1SortBy",
    "V1SortDirection",
    "enum_member",
]

E = TypeVar("E", bound=enum.Enum)


def enum_member(kind: type[E], value: str | None) -> E | None:
    """The member of ``kind`` whose value is ``value``, ``None`` for an absent or unknown value."""
    try:
        return kind(value)
    except ValueError:
        return None


class V1ParadigmType(str, enum.Enum):
    """How a chat works (``Paradigm.type``)."""

    UNKNOWN = "TYPE_UNKNOWN"
    SQL = "TYPE_SQL"
    RESEARCH = "TYPE_RESEARCH"
    ONTOLOGY = "TYPE_ONTOLOGY"
    BASIC = "TYPE_BASIC"
    TABLEAU = "TYPE_TABLEAU"
    EXPERIMENTAL = "TYPE_EXPERIMENTAL"
    UNIVERSAL = "TYPE_UNIVERSAL"
    PUBLIC_DEMO = "TYPE_PUBLIC_DEMO"


class V1LlmModel(str, enum.Enum):
    """The model a v1 chat runs on (seed 002's values plus the newer ones of the v1 spec)."""

    UNKNOWN = "MODEL_UNKNOWN"
    DEFAULT_SMALL = "MODEL_DEFAULT_SMALL"
    DEFAULT = "MODEL_DEFAULT"
    DEFAULT_LARGE = "MODEL_DEFAULT_LARGE"
    DEFAULT_REASONING = "MODEL_DEFAULT_REASONING"
    HAIKU_3 = "MODEL_HAIKU_3"
    HAIKU_3_5 = "MODEL_HAIKU_3_5"
    SONNET_3_5 = "MODEL_SONNET_3_5"
    SONNET_3_6 = "MODEL_SONNET_3_6"
    SONNET_3_7 = "MODEL_SONNET_3_7"
    SONNET_4 = "MODEL_SONNET_4"
    OPUS_4 = "MODEL_OPUS_4"
    SONNET_4_5 = "MODEL_SONNET_4_5"
    HAIKU_4_5 = "MODEL_HAIKU_4_5"
    OPUS_4_5 = "MODEL_OPUS_4_5"
    OPUS_4_6 = "MODEL_OPUS_4_6"
    SONNET_4_6 = "MODEL_SONNET_4_6"
    GPT_4 = "MODEL_GPT_4"
    GPT_4_TURBO = "MODEL_GPT_4_TURBO"
    GPT_4O = "MODEL_GPT_4O"
    GPT_4_1 = "MODEL_GPT_4_1"
    GPT_4_1_MINI = "MODEL_GPT_4_1_MINI"
    GPT_4_1_NANO = "MODEL_GPT_4_1_NANO"
    O_1 = "MODEL_O_1"
    O_1_MINI = "MODEL_O_1_MINI"
    O_3 = "MODEL_O_3"
    O_3_MINI = "MODEL_O_3_MINI"
    O_4_MINI = "MODEL_O_4_MINI"
    GPT_5 = "MODEL_GPT_5"
    GPT_5_MINI = "MODEL_GPT_5_MINI"
    GPT_5_NANO = "MODEL_GPT_5_NANO"
    GPT_5_2 = "MODEL_GPT_5_2"
    GPT_5_2_PRO = "MODEL_GPT_5_2_PRO"
    GPT_5_4 = "MODEL_GPT_5_4"
    GPT_5_4_MINI = "MODEL_GPT_5_4_MINI"
    GPT_5_5 = "MODEL_GPT_5_5"
    GPT_5_6_SOL = "MODEL_GPT_5_6_SOL"
    GPT_5_6_TERRA = "MODEL_GPT_5_6_TERRA"
    GPT_5_6_LUNA = "MODEL_GPT_5_6_LUNA"
    GEMINI_3_FLASH = "MODEL_GEMINI_3_FLASH"
    GEMINI_3_PRO = "MODEL_GEMINI_3_PRO"
    GEMINI_3_1_PRO = "MODEL_GEMINI_3_1_PRO"
    GEMINI_3_5_FLASH = "MODEL_GEMINI_3_5_FLASH"
    KIMI_K2_INSTRUCT = "MODEL_KIMI_K2_INSTRUCT"
    QWEN3_CODER = "MODEL_QWEN3_CODER"
    QWEN3_CODER_SMALL = "MODEL_QWEN3_CODER_SMALL"
    GPT_OSS = "MODEL_GPT_OSS"
    GPT_OSS_SMALL = "MODEL_GPT_OSS_SMALL"
    GLM_4_5 = "MODEL_GLM_4_5"
    GLM_4_6 = "MODEL_GLM_4_6"
    KIMI_K2_THINKING = "MODEL_KIMI_K2_THINKING"
    KIMI_K2_5 = "MODEL_KIMI_K2_5"
    DEEPSEEK_3_2 = "MODEL_DEEPSEEK_3_2"
    GLM_5 = "MODEL_GLM_5"
    KIMI_K2_6 = "MODEL_KIMI_K2_6"
    GLM_5_2 = "MODEL_GLM_5_2"
    KIMI_K2_7_CODE = "MODEL_KIMI_K2_7_CODE"
    KIMI_K3 = "MODEL_KIMI_K3"
    QWEN3_7_PLUS = "MODEL_QWEN3_7_PLUS"
    MUSE_SPARK_1_1 = "MODEL_MUSE_SPARK_1_1"
    MUSE_SPARK_1_2 = "MODEL_MUSE_SPARK_1_2"


class V1ChatSource(str, enum.Enum):
    """Where a chat came from (``Chat.source``)."""

    UNKNOWN = "CHAT_SOURCE_UNKNOWN"
    THREAD = "CHAT_SOURCE_THREAD"
    PLAYBOOK = "CHAT_SOURCE_PLAYBOOK"
    TEMPLATE = "CHAT_SOURCE_TEMPLATE"
    SLACK = "CHAT_SOURCE_SLACK"
    AGENT = "CHAT_SOURCE_AGENT"
    FEED = "CHAT_SOURCE_FEED"


class V1Methodology(str, enum.Enum):
    """A chat's methodology preference (``Chat.methodology``)."""

    UNKNOWN = "METHODOLOGY_UNKNOWN"
    ADAPTIVE = "METHODOLOGY_ADAPTIVE"
    PRESCRIPTIVE = "METHODOLOGY_PRESCRIPTIVE"
    THOROUGH = "METHODOLOGY_THOROUGH"
    CAREFUL = "METHODOLOGY_CAREFUL"


class V1SortBy(enum.IntEnum):
    """``list(sort_by=...)``: sent as the integer the API expects."""

    UNKNOWN = 0
    NAME = 1
    CREATED_AT = 2
    UPDATED_AT = 3


class V1SortDirection(enum.IntEnum):
    """``list(sort_direction=...)``: sent as the integer the API expects."""

    UNKNOWN = 0
    ASC = 1
    DESC = 2
