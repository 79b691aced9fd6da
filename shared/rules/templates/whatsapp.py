"""Approved WhatsApp templates, for messages outside the 24-hour customer-service window.

Outside the window WhatsApp only accepts templates approved in advance: Twilio names one by its
``ContentSid`` and fills ``{{1}}``, ``{{2}}``... from ``ContentVariables`` (a JSON object with
string keys); Meta names it by ``name`` + ``language.code`` and fills the body's parameters in
order. The shop registers its templates and records them in ``settings/notifications``
(``whatsappTemplates``); without an entry a conventional default is used: Meta name
``ticket_completed`` for ``ticket.completed``, language ``fr`` / ``en_US`` / ``sw``, and no
``ContentSid`` (Twilio cannot send a template it was not given).

Variables follow ``TEMPLATE_VARIABLES`` (the order to register the templates with). They are
never empty (Meta rejects empty parameters): a missing value becomes a neutral word.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.model.shop import ShopSettings
from shared.rules.language import normalize_language
from shared.rules.templates.loader import label
from shared.rules.templates.values import build_values

TEMPLATE_VARIABLES: Mapping[str, tuple[str, ...]] = {
    "ticket.received": ("customerName", "deviceLabel", "ticketId"),
    "ticket.walk_in_welcome": ("ticketId", "registrationUrl"),
    "ticket.status_changed": ("customerName", "deviceLabel", "statusLabel", "ticketId"),
    "ticket.completed": ("customerName", "deviceLabel", "ticketId"),
    "ticket.pickup_reminder": ("customerName", "deviceLabel", "ticketId"),
    "order.placed": ("customerName", "orderId", "total"),
    "order.shipped": ("customerName", "orderId", "trackingUrl"),
    "order.out_for_delivery": ("customerName", "orderId"),
    "order.delivered": ("customerName", "orderId"),
    "order.cancelled": ("customerName", "orderId"),
    "order.payment_reminder": ("customerName", "orderId", "total", "paymentDueAt"),
    "cart.reminder_1": ("customerName", "cartSummary", "cartUrl"),
    "cart.reminder_2": (
        "customerName",
        "discountPercent",
        "discountCode",
        "discountExpiresAt",
        "cartUrl",
    ),
}
# Templates for words written by a person, not by the catalog: a staff reply outside the window
# goes inside the shop's approved template, its text one variable (issue 18).
WRITTEN_TEMPLATE_VARIABLES: Mapping[str, tuple[str, ...]] = {
    "reply.staff": ("customerName", "replyText"),
}
META_LANGUAGES = {"fr": "fr", "en": "en_US", "sw": "sw"}


@dataclass(frozen=True)
class WhatsAppTemplateRef:
    """Which approved template to send and the values of its variables, in order."""

    content_sid: str | None
    meta_name: str | None
    meta_language: str | None
    variables: tuple[str, ...]

    def content_variables_json(self) -> str:
        """Twilio ``ContentVariables``: ``{"1": "...", "2": "..."}``."""
        return json.dumps(
            {str(i): value for i, value in enumerate(self.variables, start=1)}, ensure_ascii=False
        )

    def meta_components(self) -> list[dict[str, Any]]:
        """Meta ``template.components``: one body component with text parameters (or none)."""
        if not self.variables:
            return []
        parameters = [{"type": "text", "text": value} for value in self.variables]
        return [{"type": "body", "parameters": parameters}]


def default_meta_name(template_id: str) -> str:
    """``ticket.completed`` -> ``ticket_completed`` (Meta names: lowercase, digits, ``_``)."""
    return "".join(ch if ch.isalnum() else "_" for ch in template_id.lower())


def whatsapp_template_ref(
    template_id: str, language: str, data: Mapping[str, Any], settings: ShopSettings
) -> WhatsAppTemplateRef:
    """The approved template for ``template_id`` and its variables rendered from ``data``.

    Variables are written in the template's language (its ``metaLanguage`` when configured,
    else ``language``). An id without variables (a reply) gives an empty tuple, never an error.
    """
    configured = settings.whatsapp_templates.get(template_id)
    meta_language = configured.meta_language if configured else None
    lang = normalize_language(meta_language) or normalize_language(language) or "en"
    values = build_values(template_id, lang, data)
    variables = tuple(
        values.get(name) or label("placeholder", name, lang) or "-"
        for name in TEMPLATE_VARIABLES.get(template_id)
        or WRITTEN_TEMPLATE_VARIABLES.get(template_id, ())
    )
    return WhatsAppTemplateRef(
        content_sid=configured.content_sid if configured else None,
        meta_name=(configured.meta_name if configured else None) or default_meta_name(template_id),
        meta_language=meta_language or META_LANGUAGES.get(lang, "en_US"),
        variables=variables,
    )
