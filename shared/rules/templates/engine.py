"""Rendering: a template id, a channel, a language and data -> the words to send; and the
answers to inbound messages (``render_reply``), from the same catalog with the same parts.

Safety: template texts are trusted data (the catalog files); user data only ever enters as
*values* of a single ``string.Template.safe_substitute`` pass (never ``str.format`` or f-strings
on it), after cleaning (one line, no control characters). Email HTML escapes the template and
every value; URLs become links only when they are ``http(s)``. SMS values are rewritten to GSM-7
and capped in length so typical messages stay one segment.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.model.enums import Channel
from shared.platform.errors import InvalidInputError
from shared.rules.language import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES
from shared.rules.sms import analyze, to_gsm7
from shared.rules.templates.loader import reply_for, texts_for
from shared.rules.templates.model import (
    Droppable,
    Part,
    SmsPart,
    Texts,
    choose,
    fill,
    fillable,
    identifiers,
)
from shared.rules.templates.values import URL_KEYS, build_values, reply_values

# Longest value an SMS may carry per variable (URLs are never cut: a cut link is useless).
SMS_CAPS = {
    "customerName": 20,
    "shopName": 24,
    "device": 32,
    "deviceLabel": 32,
    "ticketId": 20,
    "orderId": 20,
    "discountCode": 16,
    "cartSummary": 40,
}
_NO_SPACE_BEFORE = (".", ",", ")", ":", "!", "?")


class UnknownTemplateError(InvalidInputError):
    """A template or reply id with no wording (not an event key, a reply type or a known extra)."""


@dataclass(frozen=True)
class RenderedMessage:
    """What a channel sends: ``text`` always; ``subject``/``html`` for email, ``title`` for push."""

    subject: str | None
    text: str
    html: str | None
    title: str | None


def _join(pieces: list[str], sep: str) -> str:
    out = ""
    for piece in pieces:
        if out and not piece.startswith(_NO_SPACE_BEFORE):
            out += sep
        out += piece
    return out


def _render_parts(parts: tuple[Part, ...], values: dict[str, str], sep: str) -> str:
    chosen = [choose(part, values) for part in parts]
    return _join([fill(text, values) for text in chosen if text is not None], sep)


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def _cut(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    head = value[:limit]
    space = head.rfind(" ")
    return (head[:space] if space >= limit // 2 else head).rstrip(" ,.-")


def _sms(texts: Texts, values: dict[str, str]) -> str:
    """The SMS text, made to fit one GSM-7 segment when the wording allows it.

    First ``Droppable`` parts go, last first; then parts step down to a later (shorter)
    alternative, last part first. URLs are never cut, so a very long link may still need two.
    """
    gsm = {
        key: (value if key in URL_KEYS else _cut(to_gsm7(value), SMS_CAPS.get(key, 60)))
        for key, value in values.items()
    }
    gsm = {key: value for key, value in gsm.items() if value}
    parts: list[SmsPart] = list(texts.sms)
    while True:  # drop optional parts
        options = [fillable(p.part if isinstance(p, Droppable) else p, gsm) for p in parts]
        text = _sms_text(options, [0] * len(options), gsm)
        droppable = [i for i, p in enumerate(parts) if isinstance(p, Droppable)]
        if analyze(text).segments <= 1 or not droppable:
            break
        del parts[droppable[-1]]
    chosen = [0] * len(options)
    for index in reversed(range(len(options))):  # then shorter wordings
        while analyze(text).segments > 1 and chosen[index] + 1 < len(options[index]):
            chosen[index] += 1
            text = _sms_text(options, chosen, gsm)
    return text


def _sms_text(options: list[list[str]], chosen: list[int], values: dict[str, str]) -> str:
    pieces = [fill(texts[i], values) for texts, i in zip(options, chosen, strict=True) if texts]
    return _capitalize(_join(pieces, " "))


def _html_values(values: dict[str, str]) -> dict[str, str]:
    out = {}
    for key, value in values.items():
        escaped = html.escape(value, quote=True)
        if key in URL_KEYS:
            out[key] = f'<a href="{escaped}">{escaped}</a>'
        else:
            out[key] = escaped.replace("\n", "<br>\n")
    return out


def _email_html(texts: Texts, values: dict[str, str], language: str, subject: str) -> str:
    safe = _html_values(values)
    paragraphs = []
    for part in texts.email:
        text = choose(part, values)
        if text is None:
            continue
        body = fill(html.escape(text, quote=False), safe).replace("\n", "<br>\n")
        paragraphs.append(f"<p>{body}</p>")
    title = html.escape(subject, quote=False)
    content = "\n".join(paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n"
        '<body style="font-family: Arial, Helvetica, sans-serif; font-size: 15px; '
        'line-height: 1.5; color: #222; max-width: 600px; margin: 0 auto; padding: 16px;">\n'
        f"{content}\n</body>\n</html>\n"
    )


def _own_text(text: str, values: dict[str, str]) -> str:
    """A shop's own wording filled in: a line that needs a value we do not have is left out (as
    a catalog part would be), so missing data never shows as ``$name``."""
    lines = [line for line in text.splitlines() if all(values.get(n) for n in identifiers(line))]
    return "\n".join(fill(line, values) for line in lines).strip()


def _overridden(
    kind: Channel, override: Mapping[str, str], values: dict[str, str], lang: str
) -> RenderedMessage | None:
    """The message in the shop's own words for ``kind``, or None to use the catalog's."""
    if kind is Channel.EMAIL and "email" in override:
        text = _own_text(override["email"], values)
        subject = _own_text(override.get("subject", ""), values) or None
        paragraphs = "\n".join(
            f"<p>{html.escape(block, quote=False)}</p>".replace("\n", "<br>\n")
            for block in text.split("\n\n")
            if block.strip()
        )
        page = (
            f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(subject or '', quote=False)}</title>\n</head>\n"
            f"<body>\n{paragraphs}\n</body>\n</html>\n"
        )
        return RenderedMessage(subject=subject, text=text, html=page, title=None)
    field = {Channel.SMS: "sms", Channel.WHATSAPP: "whatsapp", Channel.PUSH: "push_body"}.get(kind)
    if field is None or field not in override:
        return None
    text = _own_text(override[field], values)
    title = _own_text(override.get("push_title", ""), values) or None
    return RenderedMessage(
        subject=None, text=text, html=None, title=title if kind is Channel.PUSH else None
    )


def render(
    template_id: str,
    channel: Channel | str,
    language: str,
    data: Mapping[str, Any],
    override: Mapping[str, str] | None = None,
) -> RenderedMessage:
    """Render ``template_id`` for ``channel`` in ``language`` (``fr``, ``en``, ``sw``; another
    language falls back to English). Missing data never shows: the sentence needing it is left
    out or worded without it. ``override``: the shop's own wording of this template in this
    language (``templateOverrides``), used for the fields it has. Raises
    ``UnknownTemplateError`` for an id without wording."""
    texts = texts_for(template_id, language)
    if texts is None:
        raise UnknownTemplateError(f"no template {template_id!r}")
    lang = language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE
    values = build_values(template_id, lang, data)
    kind = Channel(channel)
    if override:
        own = _overridden(kind, override, values, lang)
        if own is not None and own.text:
            return own
    if kind is Channel.SMS:
        return RenderedMessage(subject=None, text=_sms(texts, values), html=None, title=None)
    if kind is Channel.WHATSAPP:
        text = _render_parts(texts.whatsapp, values, "\n\n")
        return RenderedMessage(subject=None, text=text, html=None, title=None)
    if kind is Channel.PUSH:
        title = _render_parts((texts.push_title,), values, " ")
        body = _render_parts(texts.push_body, values, " ")
        return RenderedMessage(subject=None, text=body, html=None, title=title)
    subject = _render_parts((texts.subject,), values, " ")
    text = _render_parts(texts.email, values, "\n\n")
    return RenderedMessage(
        subject=subject, text=text, html=_email_html(texts, values, lang, subject), title=None
    )


def render_reply(reply_id: str, language: str, data: Mapping[str, Any]) -> str:
    """The answer ``reply_id`` (``reply.status``...) in ``language`` (another language falls back
    to English), with the values of ``values.reply_values``: each part is a sentence, first
    letter capitalized, joined by spaces. The same text goes out on SMS and WhatsApp. Raises
    ``UnknownTemplateError`` for an id without wording."""
    parts = reply_for(reply_id, language)
    if parts is None:
        raise UnknownTemplateError(f"no reply {reply_id!r}")
    lang = language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE
    values = reply_values(lang, data)
    chosen = [choose(part, values) for part in parts]
    return _join([_capitalize(fill(text, values)) for text in chosen if text is not None], " ")
