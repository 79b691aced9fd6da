"""A campaign message's WhatsApp template, kept in its history record's ``data``.

Apart from ``shared.model.campaign`` so that delivery, which reads it on every WhatsApp send,
does not load the campaign model for a service message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.model.messages import WhatsAppTemplate

WHATSAPP_TEMPLATE_KEY = "whatsappTemplate"


def whatsapp_template_data(
    *,
    meta_name: str | None,
    meta_language: str | None,
    content_sid: str | None,
    variables: list[str],
) -> dict[str, Any]:
    """The record's ``data.whatsappTemplate``: the approved template the campaign named."""
    return {
        "metaName": meta_name,
        "metaLanguage": meta_language,
        "contentSid": content_sid,
        "variables": list(variables),
    }


def whatsapp_template_of(data: Mapping[str, Any]) -> WhatsAppTemplate | None:
    """The template a campaign message's ``data`` names, or None (not a campaign message)."""
    raw = data.get(WHATSAPP_TEMPLATE_KEY)
    if not isinstance(raw, Mapping):
        return None
    variables = raw.get("variables")
    return WhatsAppTemplate(
        content_sid=_optional(raw.get("contentSid")),
        meta_name=_optional(raw.get("metaName")),
        meta_language=_optional(raw.get("metaLanguage")),
        variables=tuple(str(v) for v in variables) if isinstance(variables, list) else (),
    )


def _optional(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
