"""What an inbound text asks for: opt-out, opt-in, help, a status question, or nothing automatic.

Pure functions of the text. Keywords match the whole message, case- and accent-insensitively,
with surrounding spaces, punctuation, symbols, emoji and variation selectors ignored: ``"Stop!"``,
``" arrêt."`` and ``"STOP ❤️"`` opt out, ``"stop please"`` does not (a person wrote a sentence; it
goes to the staff inbox). Inside the message, runs of spaces and hyphens count as one space
(``"désabonnez-moi"``).

The words are data, in one place: ``keywords.toml`` beside this module (Twilio's default words,
the French and the Swahili ones, each list with why it is there).

Decisions:

- Opt-in is ``START`` and ``UNSTOP`` only. ``YES`` is not (Twilio's default list has it): SMS is
  opt-in by contract, and a "yes" answering a staff question must not switch a channel on.
- A status question is a message that mentions ``statut``/``status``, asks "où en est ..." /
  "where is my ...", or names one of the customer's tickets (checked by the caller against
  Firestore: ``ticket_number_candidates`` only proposes tokens).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

KEYWORDS_FILE = Path(__file__).with_name("keywords.toml")

_STATUS_WORDS = frozenset({"statut", "status", "statuts"})
_STATUS_PHRASES = ("ou en est", "ou en sont", "where is my", "where s my", "wheres my")
_TOKEN = re.compile(r"#?([A-Za-z0-9][A-Za-z0-9_-]{1,63})")
_MAX_CANDIDATES = 5


class Intent(StrEnum):
    """What the shop does with an inbound text."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"  # HELP / INFO: who we are and how to stop
    STATUS = "status"
    MESSAGE = "message"  # for a person


@dataclass(frozen=True)
class Detected:
    intent: Intent
    keyword: str | None = None  # the normalized keyword, for consent records


def _fold(text: str) -> str:
    """Compatibility-decomposed, without combining marks (``Arrêt`` -> ``Arret``, ``ＳＴＯＰ`` ->
    ``STOP``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _is_edge_noise(ch: str) -> bool:
    """Spaces, punctuation, symbols (emoji, skin tones), marks left after folding (variation
    selectors, the keycap) and invisible characters (zero-width joiner) around a keyword."""
    return unicodedata.category(ch)[0] in "ZPSCM"


def _is_inner_gap(ch: str) -> bool:
    """Spaces and dashes between two words of a keyword (``DÉSABONNEZ-MOI``)."""
    category = unicodedata.category(ch)
    return category[0] == "Z" or category == "Pd" or ch in "\t\n\r"


def normalize_keyword(text: str | None) -> str:
    """``" Arrêt ! "`` -> ``"ARRET"``: folded, upper-cased, edges stripped, inner gaps one space."""
    if not text:
        return ""
    folded = _fold(text).upper()
    start, end = 0, len(folded)
    while start < end and _is_edge_noise(folded[start]):
        start += 1
    while end > start and _is_edge_noise(folded[end - 1]):
        end -= 1
    out: list[str] = []
    for ch in folded[start:end]:
        if _is_inner_gap(ch):
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _load(path: Path) -> MappingProxyType[str, tuple[Intent, str]]:
    """``keywords.toml`` -> normalized word -> (intent, list it came from); a word in two
    intents, or one that normalizes to nothing, is an error in the data file."""
    with path.open("rb") as file:
        data = tomllib.load(file)
    table: dict[str, tuple[Intent, str]] = {}
    sections = (("opt_out", Intent.OPT_OUT), ("opt_in", Intent.OPT_IN), ("help", Intent.HELP))
    for section, intent in sections:
        for source, words in data[section].items():
            for raw in words:
                word = normalize_keyword(raw)
                if not word or not all(ch.isalpha() or ch == " " for ch in raw):
                    raise ValueError(f"{path.name}: {raw!r} is not upper-case words")
                known = table.get(word)
                if known is not None and known[0] is not intent:
                    raise ValueError(f"{path.name}: {raw!r} is both {known[0]} and {intent}")
                table.setdefault(word, (intent, source))
    return MappingProxyType(table)


KEYWORDS = _load(KEYWORDS_FILE)
OPT_OUT_KEYWORDS = frozenset(w for w, (i, _) in KEYWORDS.items() if i is Intent.OPT_OUT)
OPT_IN_KEYWORDS = frozenset(w for w, (i, _) in KEYWORDS.items() if i is Intent.OPT_IN)
HELP_KEYWORDS = frozenset(w for w, (i, _) in KEYWORDS.items() if i is Intent.HELP)


def normalize_sentence(text: str | None) -> str:
    """Lower-case, accents removed, anything but letters and digits as single spaces."""
    if not text:
        return ""
    folded = _fold(text).lower()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def keyword_intent(text: str | None) -> Detected | None:
    """The opt-out / opt-in / help keyword this whole message is, if any."""
    word = normalize_keyword(text)
    found = KEYWORDS.get(word)
    return Detected(found[0], word) if found is not None else None


_OPT_OUT_TYPES = {"STOP": Intent.OPT_OUT, "START": Intent.OPT_IN, "HELP": Intent.HELP}


def twilio_opt_out_type(value: str | None) -> Detected | None:
    """Twilio's Advanced Opt-Out ``OptOutType`` parameter (``STOP``/``START``/``HELP``)."""
    word = normalize_keyword(value)
    intent = _OPT_OUT_TYPES.get(word)
    return Detected(intent, word) if intent is not None else None


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
    """The intent of an inbound text (the ticket-number case is settled by the caller).

    Twilio's ``OptOutType`` STOP / START wins over the text (Twilio acted on it already); its
    HELP does not win over a STOP in the text."""
    twilio = twilio_opt_out_type(opt_out_type)
    if twilio is not None and twilio.intent is not Intent.HELP:
        return twilio
    found = keyword_intent(text) or twilio
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
