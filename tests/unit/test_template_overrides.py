"""The shop's own wording over the catalog's (issue 18): parsed with problems per field, used by
rendering (missing values never show), previewed with the cost flags."""

from __future__ import annotations

from shared.model.enums import Channel
from shared.model.shop import ShopSettings
from shared.rules.template_preview import preview
from shared.rules.templates import render

DATA = {"customerName": "Awa", "device": "iPhone 12", "ticketId": "T-1", "shopName": "Atelier"}


def test_a_shop_override_replaces_the_catalogs_words_for_its_fields_only() -> None:
    own = {"sms": "$shopName: $customerName, votre $device est prêt."}
    sms = render("ticket.completed", Channel.SMS, "fr", DATA, own)
    assert sms.text == "Atelier: Awa, votre iPhone 12 est prêt."
    email = render("ticket.completed", Channel.EMAIL, "fr", DATA, own)
    assert email.text == render("ticket.completed", Channel.EMAIL, "fr", DATA).text


def test_a_line_needing_a_value_we_lack_is_left_out() -> None:
    own = {"whatsapp": "Bonjour $customerName\nSuivi : $trackingUrl\nÀ bientôt"}
    text = render("ticket.completed", Channel.WHATSAPP, "fr", DATA, own).text
    assert text == "Bonjour Awa\nÀ bientôt"
    assert "$" not in text


def test_overrides_are_parsed_with_a_problem_per_bad_field() -> None:
    shop = ShopSettings.from_document(
        {"templateOverrides": {
            "ticket.completed": {"fr": {"sms": "Prêt !", "fax": "x"}, "de": {"sms": "Fertig"}},
            "order.shipped": "nope",
        }}
    )  # fmt: skip
    assert shop.template_override("ticket.completed", "fr") == {"sms": "Prêt !"}
    assert shop.template_override("ticket.completed", "de") is None
    assert len(shop.problems) == 3
    assert all(p.startswith("templateOverrides.") for p in shop.problems)


def test_the_preview_flags_a_change_that_makes_the_sms_cost_more() -> None:
    plain = preview("ticket.completed", "fr", {"sms": "$shopName: votre $device est réparé."})
    assert plain.flags == ()
    assert (plain.sms.segments, plain.sms.encoding) == (1, "GSM-7")
    emoji = preview("ticket.completed", "fr", {"sms": "$shopName: votre $device est réparé 🎉"})
    assert emoji.flags == ("ucs2",)
    long = preview(
        "ticket.completed", "fr", {"sms": "$shopName: " + "votre téléphone est réparé. " * 8}
    )
    assert "more_segments" in long.flags
    assert long.sms.segments > 1
    assert long.sms.cost > plain.sms.cost
