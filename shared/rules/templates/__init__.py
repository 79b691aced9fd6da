"""Message templates: every event key of the contract plus ``ticket.walk_in_welcome``, in French,
English and Swahili, for email (subject, text, HTML), SMS, WhatsApp (free-form and approved
template references) and push (title, body).

    language = choose_language(profile.language, country)
    message = render("ticket.completed", Channel.SMS, language, data)
    ref = whatsapp_template_ref("ticket.completed", language, data, shop_settings)
"""

from __future__ import annotations

from shared.rules.templates.catalog import TEMPLATE_IDS
from shared.rules.templates.engine import RenderedMessage, UnknownTemplateError, render
from shared.rules.templates.language import SUPPORTED_LANGUAGES, choose_language, normalize_language
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
    "RenderedMessage",
    "UnknownTemplateError",
    "WhatsAppTemplateRef",
    "choose_language",
    "format_money",
    "normalize_language",
    "render",
    "whatsapp_template_ref",
]
