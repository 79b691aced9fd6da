"""``firestore.rules`` checked without the emulator: a small parser, then the policy's shape.

The behaviour of every rule path is tested against the Firestore emulator in ``tests/rules/``
(run by ``tests/rules/test_rules_emulator.py`` when the emulator and the node packages are
there). This file runs everywhere, so a rules file that would not deploy (unbalanced braces, a
malformed ``match`` path, an ``allow`` without a condition), or that opens what must stay
closed, fails the suite even where the emulator cannot start.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

RULES_PATH = Path(__file__).resolve().parents[2] / "firestore.rules"

OPERATIONS = {"read", "get", "list", "write", "create", "update", "delete"}
WRITE_OPERATIONS = {"write", "create", "update", "delete"}
# Global functions of the rules language (namespaced ones, like ``math.abs``, are methods here).
BUILTINS = {"get", "exists", "getAfter", "existsAfter", "debug", "int", "float", "string",
            "bool", "path"}  # fmt: skip
KEYWORDS = {"return", "if", "let", "in", "is", "true", "false", "null"}
# Every collection of the contract and of docs/data-model.md needs an explicit match block.
CONTRACT_COLLECTIONS = {
    "customer_profiles", "clients", "tickets", "orders", "carts", "notification_history",
    "discount_codes", "conversations", "consent_events", "settings", "phone_index",
}  # fmt: skip
# Kept by the functions (Admin SDK) only: no client write, whoever asks.
SERVER_ONLY = {
    "notification_history", "conversations", "settings", "discount_codes",
    "phone_index", "provider_status_orphans", "carts", "settings_history", "console_rollups",
}  # fmt: skip
# Append-only proofs: a client may create one (stamped with the server's time), never change or
# delete it (consent_events: a customer's registration checkbox, a staff counter record).
CREATE_ONLY = {"consent_events"}

_SEGMENT = re.compile(r"[A-Za-z0-9_\-]+|\{[A-Za-z_][A-Za-z0-9_]*\}|\{[A-Za-z_][A-Za-z0-9_]*=\*\*\}")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class RulesSyntaxError(ValueError):
    """The rules text does not parse; the message names the line."""


class RulesPolicyError(ValueError):
    """The rules parse but break a policy this project holds (see the checks below)."""


@dataclass
class Allow:
    operations: tuple[str, ...]
    condition: str
    line: int


@dataclass
class Match:
    path: str  # relative to its parent
    full_path: str  # from the service root
    line: int
    allows: list[Allow] = field(default_factory=list)
    children: list[Match] = field(default_factory=list)


@dataclass
class Rules:
    version: str
    service: str
    functions: dict[str, str]
    root: list[Match]

    def matches(self) -> list[Match]:
        found: list[Match] = []
        stack = list(self.root)
        while stack:
            m = stack.pop()
            found.append(m)
            stack.extend(m.children)
        return found


def _strip_comments(text: str) -> str:
    """Comments become spaces (newlines kept, so line numbers hold); strings are untouched."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c in "'\"":
            j = i + 1
            while j < len(text) and text[j] != c:
                if text[j] == "\n":
                    raise RulesSyntaxError(f"line {text.count(chr(10), 0, i) + 1}: open string")
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = len(text) if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise RulesSyntaxError("unterminated /* comment")
            out.append(re.sub(r"[^\n]", " ", text[i : j + 2]))
            i = j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = _strip_comments(text)
        self.pos = 0
        self.functions: dict[str, str] = {}

    def line(self, pos: int | None = None) -> int:
        return self.text.count("\n", 0, self.pos if pos is None else pos) + 1

    def fail(self, message: str) -> RulesSyntaxError:
        return RulesSyntaxError(f"line {self.line()}: {message}")

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def expect(self, literal: str) -> None:
        self.skip_ws()
        if not self.text.startswith(literal, self.pos):
            found = self.text[self.pos : self.pos + 20].split("\n", 1)[0]
            raise self.fail(f"expected {literal!r}, found {found!r}")
        self.pos += len(literal)

    def ident(self) -> str:
        self.skip_ws()
        m = _IDENT.match(self.text, self.pos)
        if not m:
            raise self.fail("expected a name")
        self.pos = m.end()
        return m.group(0)

    def until(self, stop: str) -> str:
        """Text up to ``stop`` at nesting depth 0 (outside strings), brackets checked."""
        start = self.pos
        stack: list[str] = []
        pairs = {")": "(", "]": "[", "}": "{"}
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c in "'\"":
                end = self.text.find(c, self.pos + 1)
                self.pos = end + 1
                continue
            if not stack and c == stop:
                body = self.text[start : self.pos]
                self.pos += 1
                return body
            if c in "([{":
                stack.append(c)
            elif c in ")]}" and (not stack or stack.pop() != pairs[c]):
                raise self.fail(f"unbalanced {c!r}")
            self.pos += 1
        raise RulesSyntaxError(f"line {self.line(start)}: missing {stop!r}")

    def parse(self) -> Rules:
        self.expect("rules_version")
        self.expect("=")
        self.skip_ws()
        m = re.compile(r"'([^']*)'|\"([^\"]*)\"").match(self.text, self.pos)
        if not m:
            raise self.fail("rules_version needs a quoted value")
        version = m.group(1) or m.group(2) or ""
        self.pos = m.end()
        self.expect(";")
        self.expect("service")
        self.skip_ws()
        m = re.compile(r"[a-z.]+").match(self.text, self.pos)
        if not m:
            raise self.fail("expected a service name")
        self.pos = m.end()
        self.expect("{")
        _, root = self.body("")
        self.skip_ws()
        if self.pos != len(self.text):
            raise self.fail("text after the service block (unbalanced braces?)")
        return Rules(version, m.group(0), self.functions, root)

    def body(self, parent: str) -> tuple[list[Allow], list[Match]]:
        """Items until the closing brace of the current block: its allows and match blocks."""
        matches: list[Match] = []
        allows: list[Allow] = []
        while True:
            self.skip_ws()
            if self.pos >= len(self.text):
                raise self.fail("missing '}' (unbalanced braces)")
            if self.text[self.pos] == "}":
                self.pos += 1
                return allows, matches
            word = self.ident()
            if word == "match":
                matches.append(self.match(parent))
            elif word == "allow":
                allows.append(self.allow())
            elif word == "function":
                self.function()
            else:
                raise self.fail(f"unexpected {word!r}")

    def match(self, parent: str) -> Match:
        self.skip_ws()
        line = self.line()
        # The path ends at the first '{' followed by whitespace (segments' braces are inline).
        m = re.compile(r"(\S+)\s*\{\s").match(self.text, self.pos)
        if not m:
            raise self.fail("match needs a path and a block")
        path = m.group(1)
        segments = path.split("/")
        if not path.startswith("/") or any(not s for s in segments[1:]):
            raise self.fail(f"malformed match path {path!r}")
        for i, segment in enumerate(segments[1:], start=1):
            if not _SEGMENT.fullmatch(segment):
                raise self.fail(f"malformed segment {segment!r} in {path!r}")
            if segment.endswith("=**}") and i != len(segments) - 1:
                raise self.fail(f"recursive wildcard must be last in {path!r}")
        self.pos = m.end() - 1
        full = parent + path
        allows, children = self.body(full)
        return Match(path, full, line, allows, children)

    def allow(self) -> Allow:
        line = self.line()
        header = self.until(";")
        if ":" not in header:
            raise RulesSyntaxError(f"line {line}: 'allow' without ': if <condition>'")
        ops_text, condition = header.split(":", 1)
        operations = tuple(op.strip() for op in ops_text.split(","))
        if not operations or any(op not in OPERATIONS for op in operations):
            raise RulesSyntaxError(f"line {line}: unknown operation in {ops_text.strip()!r}")
        condition = condition.strip()
        if not condition.startswith("if ") or not condition[3:].strip():
            raise RulesSyntaxError(f"line {line}: 'allow' needs 'if <condition>'")
        return Allow(operations, " ".join(condition[3:].split()), line)

    def function(self) -> None:
        name = self.ident()
        self.expect("(")
        self.until(")")
        self.expect("{")
        body = self.until("}")
        if "return" not in body:
            raise self.fail(f"function {name} returns nothing")
        self.functions[name] = " ".join(body.split())


def parse_rules(text: str) -> Rules:
    return _Parser(text).parse()


def _collection(match: Match) -> str | None:
    """The collection a match under ``/databases/{database}/documents`` starts with."""
    prefix = "/databases/{database}/documents/"
    if not match.full_path.startswith(prefix):
        return None
    first = match.full_path[len(prefix) :].split("/", 1)[0]
    return None if first.startswith("{") else first


def check_rules(text: str) -> Rules:
    """Parse, then hold the policy; raises ``RulesSyntaxError`` or ``RulesPolicyError``."""
    rules = parse_rules(text)
    if rules.version != "2":
        raise RulesPolicyError(f"rules_version must be '2', got {rules.version!r}")
    if rules.service != "cloud.firestore":
        raise RulesPolicyError(f"service must be cloud.firestore, got {rules.service!r}")
    if [m.path for m in rules.root] != ["/databases/{database}/documents"]:
        raise RulesPolicyError("the service must hold one match /databases/{database}/documents")
    everything = rules.matches()
    conditions = [a.condition for m in everything for a in m.allows] + list(
        rules.functions.values()
    )
    for condition in conditions:
        for call in re.finditer(r"(?<![.\w])([A-Za-z_]\w*)\s*\(", condition):
            name = call.group(1)
            if name not in set(rules.functions) | BUILTINS | KEYWORDS:
                raise RulesPolicyError(f"call to undefined function {name}()")
    for m in everything:
        for a in m.allows:
            if a.condition.strip("() ") == "true":
                raise RulesPolicyError(f"line {a.line}: 'if true' opens {m.full_path}")
            collection = _collection(m)
            writes = WRITE_OPERATIONS.intersection(a.operations)
            if writes and collection in SERVER_ONLY and a.condition != "false":
                raise RulesPolicyError(
                    f"line {a.line}: clients may not write {collection} ({a.condition})"
                )
            if (
                writes
                and collection in CREATE_ONLY
                and a.condition != "false"
                and (writes != {"create"} or "request.time" not in a.condition)
            ):
                raise RulesPolicyError(
                    f"line {a.line}: {collection} is created once with the server's time, "
                    f"never changed ({a.condition})"
                )
            if writes and collection is None:
                raise RulesPolicyError(f"line {a.line}: a catch-all match must not allow writes")
    covered = {c for m in everything if (c := _collection(m))}
    missing = CONTRACT_COLLECTIONS - covered
    if missing:
        raise RulesPolicyError(f"no match block for {sorted(missing)}")
    return rules


def _rules_text() -> str:
    return RULES_PATH.read_text(encoding="utf-8")


def _allows(rules: Rules, collection: str) -> list[Allow]:
    return [a for m in rules.matches() if _collection(m) == collection for a in m.allows]


def test_the_rules_file_parses_and_holds_the_policy() -> None:
    rules = check_rules(_rules_text())
    assert {"isStaff", "isCustomer", "ownsDocument"} <= set(rules.functions)


def test_staff_is_the_custom_claim_and_nothing_else() -> None:
    rules = parse_rules(_rules_text())
    assert "request.auth.token.staff == true" in rules.functions["isStaff"]
    assert "role" not in rules.functions["isStaff"]


def test_customers_may_change_only_preferences_language_and_tokens() -> None:
    updates = [a for a in _allows(parse_rules(_rules_text()), "customer_profiles")
               if "update" in a.operations]  # fmt: skip
    assert len(updates) == 1
    condition = updates[0].condition
    assert "isCustomer(customerId)" in condition
    assert (
        "diff(resource.data).affectedKeys() .hasOnly(['notificationPreferences', 'language',"
        " 'fcmTokens'])" in condition
    )


@pytest.mark.parametrize("collection", ["tickets", "orders", "carts", "notification_history"])
def test_customers_read_only_their_own_documents(collection: str) -> None:
    reads = [a for a in _allows(parse_rules(_rules_text()), collection) if "read" in a.operations]
    assert [a.condition for a in reads] == ["ownsDocument() || isStaff()"]


@pytest.mark.parametrize("collection", ["tickets", "orders"])
def test_staff_write_tickets_and_orders(collection: str) -> None:
    writes = [a for a in _allows(parse_rules(_rules_text()), collection)
              if {"create", "update"} <= set(a.operations)]  # fmt: skip
    assert [a.condition for a in writes] == ["isStaff()"]


# Each mutation of the real file must be caught: the check is only worth what it refuses.
BROKEN: dict[str, Callable[[str], str]] = {
    "unbalanced braces": lambda t: t.rstrip().removesuffix("}"),
    "extra closing brace": lambda t: t + "\n}\n",
    "allow without condition": lambda t: t.replace(
        "allow read: if ownsDocument() || isStaff();", "allow read;", 1
    ),
    "allow with empty condition": lambda t: t.replace(
        "allow read: if ownsDocument() || isStaff();", "allow read: if ;", 1
    ),
    "unknown operation": lambda t: t.replace(
        "allow create, update: if isStaff();", "allow create, upsert: if isStaff();", 1
    ),
    "malformed match path": lambda t: t.replace(
        "match /tickets/{ticketId} {", "match /tickets/{ticketId {", 1
    ),
    "empty path segment": lambda t: t.replace(
        "match /orders/{orderId} {", "match /orders//{orderId} {", 1
    ),
    "wrong rules version": lambda t: t.replace("rules_version = '2';", "rules_version = '1';"),
    "missing rules version": lambda t: t.replace("rules_version = '2';", ""),
    "wrong service": lambda t: t.replace("service cloud.firestore", "service firebase.storage"),
    "history opened": lambda t: t.replace(
        "match /notification_history/{notificationId} {\n      allow read: if ownsDocument()"
        " || isStaff();\n      allow write: if false;",
        "match /notification_history/{notificationId} {\n      allow read: if ownsDocument()"
        " || isStaff();\n      allow write: if true;",
    ),
    "consent changed by staff": lambda t: t.replace(
        "      allow update, delete: if false;\n    }\n\n    match /settings",
        "      allow update, delete: if isStaff();\n    }\n\n    match /settings",
    ),
    "catch-all write": lambda t: t.replace(
        "match /{document=**} {\n      allow read: if isStaff();",
        "match /{document=**} {\n      allow read, write: if isStaff();",
    ),
    "read if true": lambda t: t.replace(
        "match /carts/{cartId} {\n      allow read: if ownsDocument() || isStaff();",
        "match /carts/{cartId} {\n      allow read: if (true);",
    ),
    "collection left out": lambda t: re.sub(
        r"match /phone_index/\{phone\} \{[^}]*\}", "", t, count=1
    ),
    "undefined function": lambda t: t.replace("if isStaff();", "if isStaf();", 1),
    "unterminated string": lambda t: t.replace("['fr', 'en', 'sw']", "['fr', 'en, 'sw']", 1),
    "unbalanced parenthesis": lambda t: t.replace(
        "allow read: if ownsDocument() || isStaff();", "allow read: if (ownsDocument();", 1
    ),
}


@pytest.mark.parametrize("mutation", sorted(BROKEN))
def test_a_broken_rules_file_fails_the_check(mutation: str) -> None:
    original = _rules_text()
    broken = BROKEN[mutation](original)
    assert broken != original, f"mutation {mutation!r} no longer applies to firestore.rules"
    with pytest.raises((RulesSyntaxError, RulesPolicyError)):
        check_rules(broken)
