"""A campaign's inline content, rendered for one recipient: the template engine's rules on
texts the shop wrote in the campaign rather than in the catalogs.

Pure. The shop's text is trusted like catalog text; the recipient's data only ever enters as
values of one ``safe_substitute`` pass (``shared.rules.templates.model.fill``), cleaned by the
engine's ``build_values`` (one line, no control characters). A marketing SMS ends with the
catalog's own opt-out words (``[parts].opt_out``, chosen by ``shared.rules.sms_footer``); an
email with the catalog's ``[parts].marketing_footer``. WhatsApp carries the approved template's
variables, rendered the same way (never empty: Meta refuses empty parameters).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.model.campaign import (
    CAMPAIGN_MESSAGE,
    EmailContent,
    WhatsAppContent,
)
from shared.model.campaign_template import whatsapp_template_data
from shared.rules.templates.loader import shared_part
from shared.rules.templates.model import Droppable, choose, fill
from shared.rules.templates.values import build_values


@dataclass(frozen=True)
class Rendered:
    """The words of one campaign message: ``body`` (SMS, email text, WhatsApp preview), the
    email's ``subject``, and for WhatsApp the template reference stored in the record's data."""

    body: str
    subject: str | None = None
    whatsapp: Mapping[str, Any] | None = None


def _values(language: str, data: Mapping[str, Any]) -> dict[str, str]:
    return build_values(CAMPAIGN_MESSAGE, language, data)


def _footer(name: str, language: str, values: dict[str, str]) -> str | None:
    part = shared_part(name, language)
    if part is None:
        return None
    text = choose(part.part if isinstance(part, Droppable) else part, values)
    return fill(text, values) if text else None


def render_sms(text: str, language: str, data: Mapping[str, Any]) -> Rendered:
    """The SMS: the shop's text, then how to opt out (``data`` holds the footer's value)."""
    values = _values(language, data)
    body = fill(text, values).strip()
    footer = _footer("opt_out", language, values)
    return Rendered(f"{body} {footer}" if footer else body)


def render_email(content: EmailContent, language: str, data: Mapping[str, Any]) -> Rendered:
    values = _values(language, data)
    footer = _footer("marketing_footer", language, values)
    text = fill(content.text, values).strip()
    return Rendered(
        f"{text}\n\n{footer}" if footer else text, subject=fill(content.subject, values).strip()
    )


def render_whatsapp(content: WhatsAppContent, language: str, data: Mapping[str, Any]) -> Rendered:
    values = _values(language, data)
    variables = [fill(v, values).strip() or "-" for v in content.variables]
    preview = fill(content.preview, values).strip() if content.preview else " ".join(variables)
    return Rendered(
        preview or content.meta_name or content.content_sid or "",
        whatsapp=whatsapp_template_data(
            meta_name=content.meta_name,
            meta_language=content.meta_language or language,
            content_sid=content.content_sid,
            variables=variables,
        ),
    )
