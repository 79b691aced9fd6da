"""Answers to inbound messages: their texts (French or English) and their outbox drafts.

Replies go out like any message (``shared.pipeline.outbox.submit``): a ``notification_history``
document with a pre-rendered ``body``, then a task to ``deliver_notification``. They are
``urgent`` (an answer to someone who just wrote is never held for quiet hours) and typed
``reply.*`` (delivery does not cancel them for a switched-off channel: the opt-out
confirmation goes to the channel just switched off, once).

The language is the customer's when it is French or English, else the one of the number's
country (French for the French-speaking ones), else English.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from shared.model.enums import Channel, Provider
from shared.model.ids import notification_id, reply_event_id
from shared.model.record import Draft

FRENCH_REGIONS = frozenset(
    {"FR", "BE", "CH", "LU", "MC", "RE", "GP", "MQ", "GF", "YT", "PM", "NC", "PF", "WF", "BL"}
    | {"MF", "SN", "CI", "CM", "ML", "BF", "NE", "TG", "BJ", "GA", "CG", "CD", "MG", "HT"}
)


class ReplyType(StrEnum):
    """``notification_history.type`` of each answer."""

    OPT_OUT = "reply.opt_out"
    OPT_IN = "reply.opt_in"
    STATUS = "reply.status"
    AFTER_HOURS = "reply.after_hours"
    UNKNOWN_SENDER = "reply.unknown_sender"


def reply_language(profile_language: str | None, region: str | None) -> str:
    lang = (profile_language or "").strip().lower()[:2]
    if lang in {"fr", "en"}:
        return lang
    return "fr" if (region or "").upper() in FRENCH_REGIONS else "en"


_CHANNEL_NAMES = {
    "fr": {Channel.SMS: "SMS", Channel.WHATSAPP: "WhatsApp"},
    "en": {Channel.SMS: "text messages", Channel.WHATSAPP: "WhatsApp messages"},
}

_TICKET_LABELS = {
    "fr": {
        "received": "bien reçu à l'atelier",
        "diagnosing": "en cours de diagnostic",
        "waiting_parts": "en attente de pièces",
        "in_repair": "en cours de réparation",
        "completed": "prêt, vous pouvez venir le chercher",
        "picked_up": "récupéré",
        "cancelled": "annulé",
    },
    "en": {
        "received": "received at the workshop",
        "diagnosing": "being diagnosed",
        "waiting_parts": "waiting for parts",
        "in_repair": "being repaired",
        "completed": "ready for pickup",
        "picked_up": "picked up",
        "cancelled": "cancelled",
    },
}
_ORDER_LABELS = {
    "fr": {
        "placed": "enregistrée",
        "paid": "payée, en préparation",
        "shipped": "expédiée",
        "out_for_delivery": "en cours de livraison",
        "delivered": "livrée",
        "cancelled": "annulée",
    },
    "en": {
        "placed": "placed",
        "paid": "paid and being prepared",
        "shipped": "shipped",
        "out_for_delivery": "out for delivery",
        "delivered": "delivered",
        "cancelled": "cancelled",
    },
}
_DAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def _shop(shop_name: str | None, lang: str) -> str:
    if shop_name:
        return shop_name
    return "la boutique" if lang == "fr" else "the shop"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def opt_out_text(lang: str, channel: Channel, shop_name: str | None = None) -> str:
    name = _CHANNEL_NAMES[lang][channel]
    if lang == "fr":
        return (
            f"C'est noté : vous ne recevrez plus de {name} de {_shop(shop_name, lang)}. "
            "Envoyez START pour les réactiver."
        )
    return (
        f"Done: you will no longer receive {name} from {_shop(shop_name, lang)}. "
        "Reply START to turn them back on."
    )


def opt_in_text(lang: str, channel: Channel, shop_name: str | None = None) -> str:
    name = _CHANNEL_NAMES[lang][channel]
    if lang == "fr":
        return (
            f"C'est noté : vous recevrez de nouveau les {name} de {_shop(shop_name, lang)}. "
            "Envoyez STOP pour les arrêter."
        )
    return (
        f"Done: you will receive {name} from {_shop(shop_name, lang)} again. "
        "Reply STOP to turn them off."
    )


def status_text(
    lang: str, collection: str | None, record_id: str | None, data: Mapping[str, Any]
) -> str:
    """The latest ticket or order status, or a sentence saying there is none."""
    status = str(data.get("status") or "")
    if collection == "tickets" and record_id:
        label = _TICKET_LABELS[lang].get(status, status or "?")
        device = str(data.get("device") or "").strip()
        if lang == "fr":
            what = f"Votre réparation {device}" if device else "Votre réparation"
            return f"{what} (n° {record_id}) : {label}."
        what = f"Your {device} repair" if device else "Your repair"
        return f"{what} (no. {record_id}): {label}."
    if collection == "orders" and record_id:
        label = _ORDER_LABELS[lang].get(status, status or "?")
        tracking = str(data.get("trackingUrl") or "").strip()
        if lang == "fr":
            text = f"Votre commande n° {record_id} : {label}."
            return f"{text} Suivi : {tracking}" if tracking else text
        text = f"Your order no. {record_id}: {label}."
        return f"{text} Tracking: {tracking}" if tracking else text
    if lang == "fr":
        return "Nous ne trouvons pas de réparation ni de commande en cours à votre nom."
    return "We could not find a repair or an order under your name."


def _opening(lang: str, opening: datetime, now: datetime, timezone: str) -> str:
    zone = ZoneInfo(timezone)
    local, today = opening.astimezone(zone), now.astimezone(zone).date()
    clock = local.strftime("%H:%M")
    days = (local.date() - today).days
    if days == 0:
        day = "aujourd'hui" if lang == "fr" else "today"
    elif days == 1:
        day = "demain" if lang == "fr" else "tomorrow"
    else:
        day = _DAYS[lang][local.weekday()]
    return f"{day} à {clock}" if lang == "fr" else f"{day} at {clock}"


def after_hours_text(
    lang: str, opening: datetime, now: datetime, timezone: str, shop_name: str | None = None
) -> str:
    when = _opening(lang, opening, now, timezone)
    if lang == "fr":
        return (
            f"Merci pour votre message. {_upper_first(_shop(shop_name, lang))} est fermée "
            f"pour le moment ; nous vous répondons dès l'ouverture, {when}."
        )
    return (
        f"Thanks for your message. {_upper_first(_shop(shop_name, lang))} is closed right now; "
        f"we will answer when we open, {when}."
    )


def unknown_sender_text(lang: str, shop_name: str | None = None) -> str:
    if lang == "fr":
        return (
            f"Bonjour, merci pour votre message à {_shop(shop_name, lang)}. Nous ne trouvons "
            "pas votre numéro dans nos fiches : un membre de l'équipe vous répondra."
        )
    return (
        f"Hello, thanks for your message to {_shop(shop_name, lang)}. We could not find your "
        "number in our records: someone from the team will get back to you."
    )


def reply_draft(
    *,
    reply_type: ReplyType,
    dedupe_key: str,
    channel: Channel,
    provider: Provider,
    to: str,
    customer_id: str | None,
    body: str,
    language: str,
    country: str | None,
    refs: Mapping[str, str] | None = None,
) -> Draft:
    """An answer as an outbox draft; ``dedupe_key`` makes its id (one answer per key)."""
    source = reply_event_id(dedupe_key, reply_type.value)
    return Draft(
        notification_id=notification_id(source, reply_type.value, channel.value),
        type=reply_type.value,
        channel=channel,
        provider=provider,
        to=to,
        customer_id=customer_id,
        refs=dict(refs or {}),
        status_reason="reply",
        template=reply_type.value,
        language=language,
        country=country,
        body=body,
        source_event_id=source,
        urgent=True,
    )
