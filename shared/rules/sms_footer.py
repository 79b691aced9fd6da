"""A marketing SMS's opt-out mention: which one, for the recipient's country and the sender.

Pure. The shop's ``smsOptOut`` settings (``shared.model.shop_marketing``) and the deployment's
SMS sender come in; the one template value the catalogs' ``[parts].opt_out`` words come out:

- ``optOutOperator``: the operators' text (Kenya: ``STOP*456*9*5#``), whatever the sender;
- ``optOutShortCode``: a short code ("STOP au 36xxx");
- ``optOutKeyword``: a long code, which receives the reply (STOP by default);
- ``preferencesUrl``: an alphanumeric sender, which cannot receive STOP: the preference page.

None when no mention is possible (an alphanumeric sender, and no preference page: neither the
shop's nor a signed link of the deployment's, ``PREFERENCES_URL``): such an SMS
must not go out, the planner records it ``skipped`` (``no_opt_out_mention``).
"""

from __future__ import annotations

from shared.model.shop import ShopSettings
from shared.model.shop_marketing import SenderKind, sender_kind


def opt_out_values(
    country: str | None,
    shop: ShopSettings,
    *,
    fallback_country: str | None,
    sms_from: str | None,
    preferences_url: str | None = None,
) -> dict[str, str] | None:
    """The template value saying how to opt out of a marketing SMS to ``country``.
    ``preferences_url`` is the recipient's own signed link to the preference page, used by an
    alphanumeric sender when the shop's ``smsOptOut`` names no page of its own."""
    entry = shop.sms_opt_out_for(country, fallback_country)
    if entry.operator_text:
        return {"optOutOperator": entry.operator_text}
    kind, code = sender_kind(sms_from)
    if entry.sender is not None:
        kind = entry.sender
    short_code = entry.short_code or code
    if kind is SenderKind.ALPHANUMERIC:
        page = entry.preferences_url or preferences_url
        return {"preferencesUrl": page} if page else None
    if kind is SenderKind.SHORT_CODE and short_code:
        return {"optOutShortCode": short_code}
    return {"optOutKeyword": entry.keyword}
