"""Every Firestore query of the code is served by an index in ``firestore.indexes.json``.

Production Firestore refuses (``FAILED_PRECONDITION``) a query that needs a composite index it
does not have; the emulators never do, so only this test catches a missing one before deploy.

How it knows the queries: it scans ``shared/`` and ``functions/`` (ast) for query sites, i.e.
functions that build filters (``FieldFilter(...)``, ``.where(...)``, the ``where(query, field,
op, value)`` helper) or orders (``.order_by(...)``).

- A site whose filters are all literal equalities (``==``, ``in``) and that orders nothing needs
  no composite index (Firestore merges single-field indexes): it passes as it is.
- Any other site (an order, a range, an operator or field held in a variable) must be declared in
  ``QUERY_SITES`` below with the shapes of the queries it runs; each shape that needs a composite
  index must find one in ``firestore.indexes.json``. Adding a query means adding its shape here,
  and the index there when this test asks for it.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
INDEXES_PATH = ROOT / "firestore.indexes.json"
SCANNED = ("shared", "functions")

EQUALITY_OPS = {"==", "in"}
RANGE_OPS = {"<", "<=", ">", ">=", "!=", "not-in"}
ASC, DESC = "ASCENDING", "DESCENDING"


@dataclass(frozen=True)
class QueryShape:
    """What an index must serve: equality fields, range fields, orders (field, direction)."""

    collection: str
    equalities: frozenset[str] = frozenset()
    ranges: frozenset[str] = frozenset()
    orders: tuple[tuple[str, str], ...] = ()
    note: str = ""

    def effective_orders(self) -> tuple[tuple[str, str], ...]:
        """Orders as Firestore runs them: range fields not ordered explicitly come first."""
        ordered = {f for f, _ in self.orders}
        implicit = tuple((f, ASC) for f in sorted(self.ranges - ordered))
        return implicit + self.orders

    def needs_composite(self) -> bool:
        # Firestore orders by ``__name__`` after the last order implicitly: a single-field
        # order followed by ``__name__`` is served by the automatic single-field index.
        orders = tuple(o for o in self.effective_orders() if o[0] != "__name__")
        if len(self.ranges) > 1 or len(orders) > 1:
            return True
        return bool(self.equalities and orders)


def _shape(collection: str, eq: tuple[str, ...] = (), rng: tuple[str, ...] = (),
           orders: tuple[tuple[str, str], ...] = (), note: str = "") -> QueryShape:  # fmt: skip
    return QueryShape(collection, frozenset(eq), frozenset(rng), orders, note)


# The abandoned-cart sweep (issue 6): active carts due for a reminder, oldest first, paged with
# query cursors under ``field <= cutoff``.
CART_SWEEP = (
    _shape("carts", ("status", "reminderStage"), ("updatedAt",), (("updatedAt", ASC),),
           "first reminder: reminderStage 0, idle since before the cutoff"),
    _shape("carts", ("status", "reminderStage"), ("lastReminderAt",), (("lastReminderAt", ASC),),
           "second reminder: reminderStage 1, first reminder before the cutoff"),
)  # fmt: skip
STUCK_CART_CLAIMS = (
    _shape("cart_reminders", ("claim.state",), ("claim.leaseExpiresAt",),
           (("claim.leaseExpiresAt", ASC),), "claims whose lease expired"),
)  # fmt: skip
# The recovery report (issue 6): reminders sent in a date range, in creation order.
RECOVERY_REPORT = (
    _shape("notification_history", ("type",), ("createdAt",), (("createdAt", ASC),),
           "cart reminders created in [start, end)"),
)  # fmt: skip
# What the customer app lists: its own tickets, orders and messages, newest first.
CUSTOMER_APP = (
    _shape("tickets", ("customerId",), orders=(("updatedAt", DESC),)),
    _shape("tickets", ("customerId",), orders=(("createdAt", DESC),)),
    _shape("orders", ("customerId",), orders=(("updatedAt", DESC),)),
    _shape("orders", ("customerId",), orders=(("createdAt", DESC),)),
    _shape("notification_history", ("customerId",), orders=(("createdAt", DESC),)),
)

# Campaigns (issue 19): the audience (marketing accepted, then the filters; a last-order range
# orders by lastOrderAt), a campaign's recent outcomes, a customer's campaign messages for an
# order's attribution, the opt-outs since a campaign started. Equality-only audiences (the
# common case: country, language, a tag, cart status) need no composite index.
_MARKETING = "notificationPreferences.marketingEnabled"
_LAST = (("lastOrderAt", ASC),)
CAMPAIGN_AUDIENCE = (
    _shape("customer_profiles", (_MARKETING,), ("lastOrderAt",), _LAST, "by last order"),
    _shape("customer_profiles", (_MARKETING, "country"), ("lastOrderAt",), _LAST, "a country"),
    _shape("customer_profiles", (_MARKETING, "country", "language"), ("lastOrderAt",), _LAST,
           "a country and language"),
    _shape("customer_profiles", (_MARKETING, "country", "tags"), ("lastOrderAt",), _LAST,
           "a country and a tag"),
    _shape("customer_profiles", (_MARKETING, "country", "cartStatus"), ("lastOrderAt",), _LAST,
           "a country and a cart status"),
    _shape("customer_profiles", (_MARKETING, "country"), note="equalities only"),
)  # fmt: skip
CAMPAIGN_OUTCOMES = (
    _shape("notification_history", ("campaignId", "status"), orders=(("updatedAt", DESC),),
           note="the last sends of a campaign"),
)  # fmt: skip

# The console (issue 17): newest first, 50 a page, after a cursor; totals by aggregation.
_NEWEST = (("createdAt", DESC),)
CONSOLE_HISTORY = tuple(
    _shape("notification_history", (f,), orders=_NEWEST, note=f"messages by {f}")
    for f in ("to", "ticketId", "orderId", "cartId", "customerId")
)
CONSOLE_FAILURES = (
    _shape("notification_history", ("status",), ("createdAt",), _NEWEST, "failures since"),
)
CONSOLE_TOTALS = (
    _shape("notification_history", ("channel",), ("createdAt",), (), "segments and cost by month"),
)
# The overview's rollups (shared/rules/rollups.py): a day's messages, single-field range.
CONSOLE_ROLLUP_DAY = (
    _shape("notification_history", rng=("createdAt",), note="the messages created in a day"),
)
CONSOLE_CONSENT = (
    _shape("consent_events", orders=(("at", DESC),), note="the whole ledger, newest first"),
    # One filter each; several merge these indexes (Firestore's index merging).
    *(
        _shape("consent_events", (f,), orders=(("at", DESC),), note=f"ledger by {f}")
        for f in ("channel", "purpose", "action", "source", "customerId", "to")
    ),
)
CONSOLE_OTHERS = (
    _shape("customer_profiles", rng=("displayName",), orders=(("displayName", ASC),)),
    _shape("tickets", ("customerId",), orders=_NEWEST),
    _shape("orders", ("customerId",), orders=_NEWEST),
    _shape("messages", orders=(("at", DESC),), note="a conversation, outbound"),
    _shape("messages", orders=(("receivedAt", DESC),), note="a conversation, inbound"),
    _shape("inbox", ("status",), orders=(("receivedAt", DESC),), note="open items, newest"),
)

# "path::function" -> the shapes of the queries it builds. A generic helper lists the shapes of
# its callers' queries.
QUERY_SITES: dict[str, tuple[QueryShape, ...]] = {
    # where(query, field, op, value): a one-line helper; its callers are scanned on their own.
    "shared/store/carts.py::where": (),
    # paginate(base, field): ordered pages of the sweep's base queries.
    "shared/store/carts.py::paginate": CART_SWEEP + RECOVERY_REPORT,
    "shared/store/carts.py::due_carts": CART_SWEEP,
    "shared/store/carts.py::stuck_reminders": STUCK_CART_CLAIMS,
    "shared/store/carts.py::reminders_created": RECOVERY_REPORT,
    # Campaigns (issue 19).
    "shared/store/campaigns.py::_filter": (),
    "shared/store/campaigns.py::audience_page": CAMPAIGN_AUDIENCE,
    "shared/store/campaigns.py::recent_outcomes": CAMPAIGN_OUTCOMES,
    "shared/store/campaigns.py::held_page": (
        _shape("notification_history", ("campaignId", "status"), note="waiting, by id"),
    ),
    "shared/store/campaigns.py::opt_outs_since": (
        _shape("consent_events", ("action",), ("at",), note="opt-outs since a time"),
    ),
    "shared/store/campaigns.py::campaign_messages_of": (
        _shape("notification_history", ("customerId", "type"), ("sentAt",), note="since"),
    ),
    # The consent export (issue 15): the whole ledger, page by page, in document-id order.
    # The console's campaign list (issue 19): the latest campaigns, single-field order.
    "shared/store/campaigns.py::recent": (
        _shape("campaigns", orders=(("createdAt", DESC),), note="latest campaigns"),
    ),
    # The console's settings history (issue 18): the latest changes, single-field order.
    "shared/store/settings_history.py::recent_history": (
        _shape("settings_history", orders=(("at", DESC),), note="latest settings changes"),
    ),
    "shared/store/consent.py::every_event": (
        _shape("consent_events", orders=(("__name__", ASC),), note="every event, by id"),
    ),
    "shared/store/consent.py::by_customer": (
        _shape(
            "consent_events",
            orders=(("customerId", ASC), ("__name__", ASC)),
            note="every event naming a customer, grouped by customer (the state's backfill)",
        ),
    ),
    # The console's reads (issue 17); _filter is the FieldFilter helper of the sites below.
    "shared/store/console.py::_filter": (),
    "shared/store/console.py::history_where": CONSOLE_HISTORY,
    "shared/store/console.py::history_needing_a_look": CONSOLE_FAILURES,
    "shared/store/console.py::history_totals": CONSOLE_TOTALS,
    "shared/store/console.py::history_created": CONSOLE_ROLLUP_DAY,
    "shared/store/console.py::profiles_named": CONSOLE_OTHERS[:1],
    "shared/store/console.py::_of_customer": CONSOLE_OTHERS[1:3],
    "shared/store/console.py::conversation": CONSOLE_OTHERS[3:5],
    "shared/store/console.py::inbox_waiting": CONSOLE_OTHERS[5:],
    "shared/store/console.py::consent_events": CONSOLE_CONSENT,
}
# Shapes that no scanned function builds yet but that are known to come (client apps,
# planned code): their indexes are deployed now.
PLANNED: tuple[QueryShape, ...] = CART_SWEEP + CUSTOMER_APP


@dataclass
class Site:
    """A function of the code that builds a query, as the scan sees it."""

    key: str
    line: int
    literal_equalities_only: bool = True
    reasons: list[str] = field(default_factory=list)


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _filter_operator(call: ast.Call, name: str) -> tuple[bool, ast.expr | None] | None:
    """(is a filter, operator node) for a filter-building call, None for anything else."""
    if name == "FieldFilter":
        return True, call.args[1] if len(call.args) > 1 else None
    if name == "where" and isinstance(call.func, ast.Name):
        return True, call.args[2] if len(call.args) > 2 else None  # where(query, f, op, v)
    if name == "where" and isinstance(call.func, ast.Attribute):
        if not call.args:  # .where(filter=FieldFilter(...)): the FieldFilter is the site
            return None
        return True, call.args[1] if len(call.args) > 1 else None  # .where(f, op, v)
    return None


def scan_sites() -> dict[str, Site]:
    sites: dict[str, Site] = {}
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
            for func in ast.walk(tree):
                if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                key = f"{relative}::{func.name}"
                for node in ast.walk(func):
                    if not isinstance(node, ast.Call):
                        continue
                    name = _call_name(node)
                    if name is None:
                        continue
                    site = sites.get(key) or Site(key, func.lineno)
                    if name == "order_by":
                        site.literal_equalities_only = False
                        site.reasons.append(f"line {node.lineno}: order_by")
                    elif name in {"Or", "And"}:
                        site.literal_equalities_only = False
                        site.reasons.append(f"line {node.lineno}: composite filter {name}")
                    else:
                        found = _filter_operator(node, name)
                        if found is None:
                            continue
                        op = _literal(found[1])
                        if op not in EQUALITY_OPS:
                            site.literal_equalities_only = False
                            site.reasons.append(f"line {node.lineno}: operator {op or '<var>'}")
                    sites[key] = site
    return sites


def load_indexes() -> list[dict[str, Any]]:
    data = json.loads(INDEXES_PATH.read_text(encoding="utf-8"))
    indexes = data.get("indexes")
    assert isinstance(indexes, list), "firestore.indexes.json needs an 'indexes' list"
    return indexes


def is_covered(shape: QueryShape, indexes: list[dict[str, Any]]) -> bool:
    """Whether a composite index serves ``shape``: its equality fields, then its orders."""
    wanted_orders = list(shape.effective_orders())
    for index in indexes:
        if index.get("collectionGroup") != shape.collection:
            continue
        if index.get("queryScope", "COLLECTION") != "COLLECTION":
            continue
        fields = [(f["fieldPath"], f.get("order")) for f in index["fields"]]
        n = len(shape.equalities)
        if {f for f, _ in fields[:n]} != shape.equalities:
            continue
        tail = [(f, o) for f, o in fields[n:] if f != "__name__"]
        if tail == wanted_orders:
            return True
    return False


def _all_shapes() -> list[QueryShape]:
    shapes = [s for group in QUERY_SITES.values() for s in group]
    return list(dict.fromkeys(shapes + list(PLANNED)))


def test_indexes_file_is_well_formed() -> None:
    seen: set[str] = set()
    for index in load_indexes():
        assert set(index) <= {"collectionGroup", "queryScope", "fields", "density"}, index
        assert isinstance(index["collectionGroup"], str), index
        assert index["collectionGroup"], index
        assert index.get("queryScope", "COLLECTION") in {"COLLECTION", "COLLECTION_GROUP"}
        fields = index["fields"]
        assert len(fields) >= 2, f"a composite index has at least two fields: {index}"
        for f in fields:
            assert isinstance(f.get("fieldPath"), str), index
            assert f["fieldPath"], index
            assert (f.get("order") in {ASC, DESC}) != (f.get("arrayConfig") == "CONTAINS"), f
        key = json.dumps(index, sort_keys=True)
        assert key not in seen, f"duplicate index {index}"
        seen.add(key)


def test_every_query_site_is_known() -> None:
    undeclared = {
        key: site.reasons
        for key, site in scan_sites().items()
        if not site.literal_equalities_only and key not in QUERY_SITES
    }
    assert not undeclared, (
        "queries with an order, a range or a non-literal operator must declare their shapes in "
        f"QUERY_SITES ({__file__}) so their indexes are checked: {undeclared}"
    )


@pytest.mark.parametrize("shape", _all_shapes(), ids=lambda s: f"{s.collection}:{s.note or s}")
def test_each_query_shape_is_served_by_an_index(shape: QueryShape) -> None:
    if not shape.needs_composite():
        return
    assert is_covered(shape, load_indexes()), (
        f"no composite index in firestore.indexes.json serves {shape}; add one with the "
        f"equality fields {sorted(shape.equalities)} first, then {shape.effective_orders()}"
    )


# The matcher itself, on the cases that matter.
@pytest.mark.parametrize(
    ("shape", "needs"),
    [
        (_shape("x", ("a",)), False),
        (_shape("x", ("a", "b")), False),
        (_shape("x", rng=("t",)), False),
        (_shape("x", orders=(("t", DESC),)), False),
        (_shape("x", rng=("t",), orders=(("t", ASC),)), False),
        (_shape("x", ("a",), orders=(("t", ASC),)), True),
        (_shape("x", ("a",), rng=("t",)), True),
        (_shape("x", rng=("t", "u")), True),
        (_shape("x", rng=("t",), orders=(("u", ASC),)), True),
    ],
)
def test_which_shapes_need_a_composite_index(shape: QueryShape, needs: bool) -> None:
    assert shape.needs_composite() is needs


def test_matcher_respects_order_direction_and_field_sequence() -> None:
    index = {
        "collectionGroup": "tickets",
        "queryScope": "COLLECTION",
        "fields": [
            {"fieldPath": "customerId", "order": ASC},
            {"fieldPath": "updatedAt", "order": DESC},
        ],
    }
    assert is_covered(_shape("tickets", ("customerId",), orders=(("updatedAt", DESC),)), [index])
    assert not is_covered(_shape("tickets", ("customerId",), orders=(("updatedAt", ASC),)), [index])
    assert not is_covered(_shape("orders", ("customerId",), orders=(("updatedAt", DESC),)), [index])
    assert not is_covered(_shape("tickets", ("clientId",), orders=(("updatedAt", DESC),)), [index])


def test_scan_sees_the_kinds_of_query_it_must() -> None:
    # A guard on the scanner: the sites in the code today include an ordered one.
    sites = scan_sites()
    assert sites, "the scan found no query at all: has the code moved?"
    assert any(not s.literal_equalities_only for s in sites.values())
