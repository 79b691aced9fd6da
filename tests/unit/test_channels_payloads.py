"""What each adapter asks its provider for, built as pure data from an ``OutboundMessage``."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from shared.adapters.channels.meta_whatsapp import meta_payload, wa_id
from shared.adapters.channels.smtp_email import build_email, message_id
from shared.adapters.channels.twilio_common import fingerprint, variables_matcher
from shared.adapters.channels.twilio_sms import sms_params
from shared.adapters.channels.twilio_whatsapp import content_variables, whatsapp_params
from shared.model.enums import Channel
from shared.model.messages import OutboundMessage, WhatsAppTemplate
from shared.platform.settings import SmtpSettings, TwilioSettings
from shared.rules.provider_errors import ErrorKind, PermanentProviderError

TWILIO = TwilioSettings(
    account_sid="AC" + "1" * 32,
    auth_token="token",
    sms_from="REPARFIX",
    whatsapp_from="whatsapp:+14155238886",
    status_callback_url="https://europe-west1-shop.cloudfunctions.net/twilio_status",
)
SMS = OutboundMessage("n-sms", Channel.SMS, "+33612345678", "Votre réparation est prête.")
TEMPLATE = WhatsAppTemplate(
    content_sid="HX" + "a" * 32,
    meta_name="repair_ready",
    meta_language="fr",
    variables=("Marie", "T-42"),
)
WHATSAPP = OutboundMessage(
    "n-wa", Channel.WHATSAPP, "+254712345678", "Habari Marie", template=TEMPLATE
)


def test_sms_goes_from_the_configured_sender_with_the_exact_status_callback() -> None:
    assert sms_params(SMS, TWILIO) == {
        "to": "+33612345678",
        "body": "Votre réparation est prête.",
        "from_": "REPARFIX",
        "status_callback": "https://europe-west1-shop.cloudfunctions.net/twilio_status",
    }


def test_sms_prefers_the_messaging_service_and_omits_an_unset_callback() -> None:
    settings = replace(TWILIO, messaging_service_sid="MG" + "2" * 32, status_callback_url=None)
    assert sms_params(SMS, settings) == {
        "to": "+33612345678",
        "body": "Votre réparation est prête.",
        "messaging_service_sid": "MG" + "2" * 32,
    }


def test_whatsapp_inside_the_window_is_free_form_text_between_whatsapp_addresses() -> None:
    params = whatsapp_params(WHATSAPP, TWILIO)
    assert params["to"] == "whatsapp:+254712345678"
    assert params["from_"] == "whatsapp:+14155238886"
    assert params["body"] == "Habari Marie"
    assert "content_sid" not in params


def test_whatsapp_outside_the_window_sends_the_content_template_with_numbered_variables() -> None:
    params = whatsapp_params(replace(WHATSAPP, use_template=True), TWILIO)
    assert "body" not in params
    assert params["content_sid"] == TEMPLATE.content_sid
    assert json.loads(params["content_variables"]) == {"1": "Marie", "2": "T-42"}
    assert params["status_callback"] == TWILIO.status_callback_url


def test_content_variables_keep_non_ascii_text_readable() -> None:
    assert content_variables(("Zoé",)) == '{"1": "Zoé"}'


def test_whatsapp_outside_the_window_without_a_template_is_a_permanent_template_error() -> None:
    message = replace(WHATSAPP, use_template=True, template=None)
    with pytest.raises(PermanentProviderError) as caught:
        whatsapp_params(message, TWILIO)
    assert caught.value.kind is ErrorKind.TEMPLATE
    with pytest.raises(PermanentProviderError):
        meta_payload(message)


def test_meta_text_payload_carries_the_notification_id_for_status_webhooks() -> None:
    assert meta_payload(WHATSAPP) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "254712345678",
        "biz_opaque_callback_data": "n-wa",
        "type": "text",
        "text": {"body": "Habari Marie", "preview_url": False},
    }


def test_meta_template_payload_names_language_and_body_parameters() -> None:
    payload = meta_payload(replace(WHATSAPP, use_template=True))
    assert payload["type"] == "template"
    assert payload["template"] == {
        "name": "repair_ready",
        "language": {"code": "fr"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Marie"}, {"type": "text", "text": "T-42"}],
            }
        ],
    }


def test_meta_template_without_variables_has_no_components() -> None:
    template = WhatsAppTemplate(meta_name="hello_world")
    payload = meta_payload(replace(WHATSAPP, use_template=True, template=template))
    assert payload["template"] == {"name": "hello_world", "language": {"code": "en"}}


@pytest.mark.parametrize(
    ("phone", "digits"),
    [
        ("+33612345678", "33612345678"),
        ("whatsapp:+254712345678", "254712345678"),
        ("+33 6 12", "33612"),
    ],
)
def test_meta_wants_the_number_as_digits(phone: str, digits: str) -> None:
    assert wa_id(phone) == digits


SMTP = SmtpSettings(host="smtp.example.com", sender="Atelier Réparation <atelier@repar.example>")
EMAIL = OutboundMessage(
    "tickets_T1_completed_email",
    Channel.EMAIL,
    "marie@example.fr",
    "Votre téléphone est prêt.",
    subject="Réparation terminée",
    html="<p>Votre téléphone est prêt.</p>",
)


def test_email_is_text_and_html_alternatives_with_a_message_id_from_the_notification() -> None:
    email = build_email(EMAIL, SMTP)
    assert email.get_content_type() == "multipart/alternative"
    assert email["Message-ID"] == "<tickets_T1_completed_email@repar.example>"
    assert email["X-Notification-Id"] == "tickets_T1_completed_email"
    assert email["Subject"] == "Réparation terminée"
    assert email["To"] == "marie@example.fr"
    text = email.get_body(preferencelist=("plain",))
    html = email.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert text.get_content().strip() == "Votre téléphone est prêt."
    assert html.get_content().strip() == "<p>Votre téléphone est prêt.</p>"


def test_email_without_html_is_plain_text() -> None:
    email = build_email(replace(EMAIL, html=None), SMTP)
    assert email.get_content_type() == "text/plain"


def test_message_id_is_stable_and_escapes_what_a_message_id_cannot_hold() -> None:
    assert message_id("a b@c", "shop@x.example") == "<a=20b=40c@x.example>"
    assert message_id("n1", "shop@x.example") == message_id("n1", "Shop <shop@x.example>")


def test_lookup_fingerprint_survives_smart_encoding_and_finds_template_variables() -> None:
    assert fingerprint("C\u2019est prêt\u00a0!") == fingerprint("C'est pret !")
    matches = variables_matcher(("Marie", "T-42"))
    assert matches("Bonjour Marie, votre réparation T-42 est prête")
    assert not matches("Bonjour Paul, votre réparation T-42 est prête")
