"""Message templates: every event key of the contract plus ``ticket.walk_in_welcome``, and the
answers to inbound messages, in French, English and Swahili, for email (subject, text, HTML),
SMS, WhatsApp (free-form and approved template references) and push (title, body).

The wording is data, one file per language (``catalog/fr.toml``...; shape in ``loader``), read
on the first render.

    language = choose_language(profile.language, country)
    message = render("ticket.completed", Channel.SMS, language, data)
    ref = whatsapp_template_ref("ticket.completed", language, data, shop_settings)
    answer = render_reply("reply.status", language, {"orderId": "A1", "status": "shipped"})
"""

from __future__ import annotations

from shared.rules.language import SUPPORTED_LANGUAGES, choose_language, normalize_language
from shared.rules.templates.engine import (
    RenderedMessage,
    UnknownTemplateError,
    render,
    render_reply,
)
from shared.rules.templates.loader import TEMPLATE_IDS, CatalogError, catalog
from shared.rules.templates.values import format_money
from shared.rules.templates.whatsapp import (
    TEMPLATE_VARIABLES,
    WhatsAppTemplateRef,
    whatsapp_template_ref,
)

__all__ = [
    "SUPPORTED_LANGUAGES",
    "TEMPLATE_IDS",
    "TEMPLATE_VARIABLES",
    "CatalogError",
    "RenderedMessage",
    "UnknownTemplateError",
    "WhatsAppTemplateRef",
    "catalog",
    "choose_language",
    "format_money",
    "normalize_language",
    "render",
    "render_reply",
    "whatsapp_template_ref",
]
