"""What an inbound text asks for: opt-out, opt-in, a status question, or nothing automatic.

Pure functions of the text. Keywords match the whole message, case- and accent-insensitively,
with surrounding spaces, punctuation, symbols and emoji ignored: ``"Stop!"`` and ``" arrêt."``
opt out, ``"stop please"`` does not (a person wrote a sentence; it goes to the staff inbox).

Decisions:

- Opt-in is ``START`` and ``UNSTOP`` only. ``YES`` is not: SMS is opt-in by contract, and a
  "yes" answering a staff question must not switch a channel on.
- A status question is a message that mentions ``statut``/``status``, asks "où en est ..." /
  "where is my ...", or names one of the customer's tickets (checked by the caller against
  Firestore: ``ticket_number_candidates`` only proposes tokens).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "ARRET", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"}
)
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP"})

_STATUS_WORDS = frozenset({"statut", "status", "statuts"})
_STATUS_PHRASES = ("ou en est", "ou en sont", "where is my", "where s my", "wheres my")
_TOKEN = re.compile(r"#?([A-Za-z0-9][A-Za-z0-9_-]{1,63})")
_MAX_CANDIDATES = 5


class Intent(StrEnum):
    """What the shop does with an inbound text."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    STATUS = "status"
    MESSAGE = "message"  # for a person


@dataclass(frozen=True)
class Detected:
    intent: Intent
    keyword: str | None = None  # the normalized keyword, for consent records


def _fold(text: str) -> str:
    """Compatibility-decomposed, without combining marks (``Arrêt`` -> ``Arret``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _is_edge_noise(ch: str) -> bool:
    """Spaces, punctuation, symbols (emoji) and invisible characters around a keyword."""
    return unicodedata.category(ch)[0] in "ZPSC"


def normalize_keyword(text: str | None) -> str:
    """``" Arrêt ! "`` -> ``"ARRET"``: folded, upper-cased, edges stripped."""
    if not text:
        return ""
    folded = _fold(text).upper()
    start, end = 0, len(folded)
    while start < end and _is_edge_noise(folded[start]):
        start += 1
    while end > start and _is_edge_noise(folded[end - 1]):
        end -= 1
    return folded[start:end]


def normalize_sentence(text: str | None) -> str:
    """Lower-case, accents removed, anything but letters and digits as single spaces."""
    if not text:
        return ""
    folded = _fold(text).lower()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def keyword_intent(text: str | None) -> Detected | None:
    """The opt-out / opt-in keyword this whole message is, if any."""
    word = normalize_keyword(text)
    if word in OPT_OUT_KEYWORDS:
        return Detected(Intent.OPT_OUT, word)
    if word in OPT_IN_KEYWORDS:
        return Detected(Intent.OPT_IN, word)
    return None


def twilio_opt_out_type(value: str | None) -> Detected | None:
    """Twilio's Advanced Opt-Out ``OptOutType`` parameter (``STOP``/``START``/``HELP``)."""
    word = normalize_keyword(value)
    if word == "STOP":
        return Detected(Intent.OPT_OUT, word)
    if word == "START":
        return Detected(Intent.OPT_IN, word)
    return None


def asks_status(text: str | None) -> bool:
    """Whether the text asks where a repair or an order is."""
    sentence = normalize_sentence(text)
    if not sentence:
        return False
    if _STATUS_WORDS.intersection(sentence.split()):
        return True
    padded = f" {sentence} "
    return any(f" {phrase} " in padded for phrase in _STATUS_PHRASES)


def ticket_number_candidates(text: str | None) -> list[str]:
    """Tokens that could be a ticket number (at least one digit), in order, without repeats."""
    if not text:
        return []
    out: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group(1).strip("-_")
        if any(ch.isdigit() for ch in token) and len(token) >= 2 and token not in out:
            out.append(token)
        if len(out) >= _MAX_CANDIDATES:
            break
    return out


def detect(text: str | None, *, opt_out_type: str | None = None) -> Detected:
    """The intent of an inbound text (the ticket-number case is settled by the caller)."""
    found = twilio_opt_out_type(opt_out_type) or keyword_intent(text)
    if found is not None:
        return found
    if asks_status(text):
        return Detected(Intent.STATUS)
    return Detected(Intent.MESSAGE)


MAX_WORDS_BESIDE_TICKET = 3


def short_ticket_mention(text: str | None) -> list[str]:
    """The ticket numbers a short message names (``"T123"``, ``"statut T123 ?"``), else none:
    in a longer message a number-like word is more likely something else."""
    candidates = ticket_number_candidates(text)
    if not candidates:
        return []
    words = normalize_sentence(text).split()
    folded = {normalize_sentence(c) for c in candidates}
    others = [w for w in words if w not in folded and not any(w in f.split() for f in folded)]
    return candidates if len(others) <= MAX_WORDS_BESIDE_TICKET else []
