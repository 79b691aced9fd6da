"""What a template says to an example customer, in the catalog's words or the shop's own
(issue 18): the SMS with its encoding, segments and cost, the WhatsApp text, the email.

Pure. A change is flagged when it would make the SMS cost more: from one segment to several
(``more_segments``), or from GSM-7 to UCS-2 (``ucs2``: an accent or emoji outside GSM-7 halves
what a segment holds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.model.enums import Channel
from shared.rules.sms import analyze, estimate_cost
from shared.rules.templates import render

# The example customer of the preview: every value a template may ask for.
EXAMPLE_DATA: Mapping[str, Any] = {
    "customerName": "Awa Diallo",
    "shopName": "Atelier Phone Paris",
    "ticketId": "T-1001",
    "orderId": "O-2001",
    "cartId": "C-3001",
    "device": "iPhone 12",
    "status": "in_repair",
    "total": 129.9,
    "currency": "EUR",
    "cartTotal": 129.9,
    "trackingUrl": "https://track.example.com/O-2001",
    "registrationUrl": "https://shop.example.com/register?t=T-1001",
    "cartUrl": "https://shop.example.com/cart/C-3001",
    "preferencesUrl": "https://shop.example.com/p?t=v1.example",
    "discountCode": "SAVE10-AB12",
    "discountPercent": 10,
    "items": [{"name": "Coque iPhone", "quantity": 1, "price": 19.9}],
    "optOutKeyword": "STOP",
}


@dataclass(frozen=True)
class SmsView:
    text: str
    encoding: str
    segments: int
    cost: float
    currency: str


@dataclass(frozen=True)
class TemplatePreview:
    sms: SmsView
    whatsapp: str
    email_subject: str | None
    email_text: str
    flags: tuple[str, ...]  # more_segments, ucs2: what the change costs


def _sms(template_id: str, language: str, data: Mapping[str, Any],
         override: Mapping[str, str] | None, country: str) -> SmsView:  # fmt: skip
    text = render(template_id, Channel.SMS, language, data, override).text
    info = analyze(text)
    cost = estimate_cost(info.segments, country)
    return SmsView(text, str(info.encoding), info.segments, cost.amount, cost.currency)


def preview(
    template_id: str,
    language: str,
    override: Mapping[str, str] | None,
    *,
    country: str = "FR",
    data: Mapping[str, Any] | None = None,
) -> TemplatePreview:
    """``template_id`` in ``language`` for the example customer, with ``override`` (the shop's
    own wording, None: the catalog's), flagged against the catalog's SMS."""
    values = dict(data or EXAMPLE_DATA)
    sms = _sms(template_id, language, values, override, country)
    flags: list[str] = []
    if override:
        default = _sms(template_id, language, values, None, country)
        if default.segments == 1 and sms.segments > 1:
            flags.append("more_segments")
        if default.encoding == "GSM-7" and sms.encoding == "UCS-2":
            flags.append("ucs2")
    email = render(template_id, Channel.EMAIL, language, values, override)
    whatsapp = render(template_id, Channel.WHATSAPP, language, values, override).text
    return TemplatePreview(sms, whatsapp, email.subject, email.text, tuple(flags))
