"""Fuzzing the two internal HTTP targets, ``deliver_notification`` and ``cart_sweep``: never a
5xx, and nothing written (the webhooks have ``test_webhooks_fuzz.py``).

The targets run in process (``functions_framework.create_app`` on ``main.py``) against the session
stack. Bodies are JSON objects with odd ``notificationId`` values (ids Firestore refuses, lone
surrogates, huge and deeply nested values, ids of notifications already final or scheduled for
later), any JSON, random bytes, forms, text in several encodings, very large and deeply nested
bodies; headers carry random Cloud Tasks and trace headers, bearer tokens and content types;
methods and query strings vary. No input references a notification still to be delivered, so a
5xx can only be a bug (``deliver_notification`` answers 503 for an attempt in progress and 429/5xx
to ask for a retry, neither of which applies here), and nothing may be written or enqueued.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from devstack.stack import Stack
from shared.store.shop import clear_cache
from tests.support.cloudevents import http_client

pytestmark = pytest.mark.integration

# Ids of notifications the fuzzer may name: all final, or scheduled for later.
SEEDED: dict[str, dict[str, Any]] = {
    "fz-sent": {"status": "sent", "channel": "sms", "provider": "twilio", "attempts": 1},
    "fz-skipped": {"status": "skipped", "channel": "sms", "statusReason": "invalid_phone"},
    "fz-cancelled": {"status": "cancelled", "channel": "email", "provider": "smtp"},
    "fz-later": {"status": "scheduled", "channel": "sms", "provider": "twilio", "attempts": 0},
}
WATCHED = (
    "notification_history",
    "carts",
    "cart_reminders",
    "discount_codes",
    "provider_status_orphans",
    "conversations",
)
ODD_IDS = [
    ".",
    "..",
    "__x__",
    "__",
    "a/b",
    "/",
    " x ",
    "\x00",
    "\ud800",
    "x\udfffy",
    "é" * 800,
    "x" * 1500,
    "x" * 1501,
    "🙂" * 400,
    "n_" + "0" * 24,
    "fz-sent/x",
    "fz-sent ",
]

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["notificationId", "id", "task"]) | st.text(max_size=6),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)
ids = st.sampled_from(list(SEEDED)) | st.sampled_from(ODD_IDS) | st.text(max_size=60) | json_values


def nested(depth: int, opener: str) -> bytes:
    closer = {"[": "]", '{"a":': "}"}[opener]
    return (opener * depth + "1" + closer * depth).encode()


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(
        st.sampled_from(["delivery"] * 6 + ["json", "bytes", "form", "text", "nested", "big", ""])
    )
    if kind == "delivery":
        body: dict[str, Any] = {"notificationId": draw(ids)}
        body.update(draw(st.dictionaries(st.text(max_size=8), json_values, max_size=3)))
        text = json.dumps(body, ensure_ascii=draw(st.booleans()))
        return text.encode("utf-8", errors="surrogatepass")
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "form":
        return urlencode({"notificationId": draw(st.text(max_size=30))}).encode()
    if kind == "text":
        encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16", "utf-32"]))
        return draw(st.text(max_size=200)).encode(encoding, errors="replace")
    if kind == "nested":
        return nested(draw(st.integers(500, 30_000)), draw(st.sampled_from(["[", '{"a":'])))
    if kind == "big":
        size = draw(st.integers(60_000, 200_000))
        return json.dumps({"notificationId": "fz-sent", "pad": "A" * size}).encode()
    return b""


@st.composite
def requests_(draw: st.DrawFn) -> dict[str, Any]:
    headers: dict[str, str] = {
        "Content-Type": draw(
            st.sampled_from(
                [
                    "application/json",
                    "application/json; charset=utf-16",
                    "text/plain",
                    "",
                    "application/x-www-form-urlencoded",
                    "application/octet-stream",
                    "é/é",
                ]
            )
        )
    }
    optional = {
        "X-CloudTasks-TaskRetryCount": st.sampled_from(["0", "7", "-1", "1e9", "", "99" * 20])
        | st.text(max_size=10),
        "X-CloudTasks-TaskName": st.text(max_size=40),
        "X-CloudTasks-QueueName": st.sampled_from(["notifications", ""]),
        "X-Cloud-Trace-Context": st.sampled_from(["", "/", "abc/1;o=1", "x" * 500])
        | st.text(max_size=30),
        "Authorization": st.sampled_from(["", "Bearer", "Bearer x.y.z", "Basic Zm9vOmJhcg=="])
        | st.text(max_size=60),
        "Content-Encoding": st.sampled_from(["gzip", "br", "identity"]),
    }
    for name, values in optional.items():
        if draw(st.integers(0, 3)) == 0:
            value = draw(values)
            headers[name] = "".join(ch for ch in value if " " <= ch <= "~")  # what HTTP carries
    return {
        "target": draw(st.sampled_from(["deliver_notification"] * 3 + ["cart_sweep"])),
        "method": draw(st.sampled_from(["POST"] * 10 + ["GET", "PUT", "DELETE", "PATCH"])),
        "body": draw(bodies()),
        "query": draw(st.sampled_from(["", "notificationId=fz-sent"]) | st.text(max_size=20)),
        "headers": headers,
    }


def state(db: Any, stack: Stack) -> dict[str, Any]:
    """Every watched document with its update time, and the tasks waiting in the queue."""
    docs: dict[str, Any] = {
        name: sorted((s.id, str(s.update_time)) for s in db.collection(name).get())
        for name in WATCHED
    }
    client = stack.tasks_client()
    docs["tasks"] = [len(list(client.list_tasks(parent=p))) for p in stack.queue_paths()]
    return docs


@pytest.fixture
def internal(stack_env: dict[str, str], firestore_client: Any) -> Iterator[dict[str, FlaskClient]]:
    later = datetime.now(UTC) + timedelta(days=2)
    for nid, fields in SEEDED.items():
        doc: dict[str, Any] = {
            "type": "ticket.completed",
            "to": "+33612345678",
            "template": "ticket.completed",
            "language": "fr",
            "country": "FR",
            "data": {"ticketId": "T1"},
            **fields,
        }
        if fields["status"] == "scheduled":
            doc["scheduledFor"] = later
        firestore_client.collection("notification_history").document(nid).set(doc)
    firestore_client.collection("settings").document("notifications").set({"quietHours": {}})
    clear_cache()
    yield {name: http_client(name) for name in ("deliver_notification", "cart_sweep")}
    clear_cache()


def test_fuzzed_internal_requests_never_get_a_5xx_and_write_nothing(
    internal: dict[str, FlaskClient], firestore_client: Any, clean_stack: Stack
) -> None:
    before = state(firestore_client, clean_stack)
    seen: set[tuple[str, int]] = set()

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(requests_())
    @example(
        {
            "target": "deliver_notification",
            "method": "POST",
            "query": "",
            "headers": {},
            "body": nested(20_000, "["),
        }
    )
    @example(
        {
            "target": "deliver_notification",
            "method": "POST",
            "query": "",
            "headers": {},
            "body": b'{"notificationId": "\\ud800"}',
        }
    )
    def check(request: dict[str, Any]) -> None:
        response = internal[request["target"]].open(
            f"/{request['target']}",
            method=request["method"],
            data=request["body"],
            query_string=request["query"],
            headers=request["headers"],
        )
        event(f"{request['target']} {response.status_code}")
        seen.add((request["target"], response.status_code))
        assert response.status_code < 500, (request, response.get_data(as_text=True)[:300])
        assert state(firestore_client, clean_stack) == before, request

    check()
    # The fuzzer got past the checks as well as being refused by them.
    assert {("deliver_notification", 200), ("deliver_notification", 400)} <= seen, seen
    assert ("cart_sweep", 200) in seen, seen


@pytest.mark.parametrize(
    "body",
    [nested(20_000, "["), nested(20_000, '{"a":')],
    ids=["array", "object"],
)
def test_a_deeply_nested_json_body_is_refused_with_400(
    internal: dict[str, FlaskClient], body: bytes
) -> None:
    response = internal["deliver_notification"].post(
        "/deliver_notification", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "notification_id",
    [".", "..", "__x__", "\ud800", "é" * 800, "x" * 1501],
    ids=["dot", "dot-dot", "reserved", "lone-surrogate", "1600-utf8-bytes", "1501-chars"],
)
def test_a_notification_id_firestore_cannot_hold_is_refused_with_400(
    internal: dict[str, FlaskClient], notification_id: str
) -> None:
    """In production Firestore answers INVALID_ARGUMENT for these ids (the emulator does not
    check them all): a 5xx would make Cloud Tasks retry a request that can never succeed."""
    body = json.dumps({"notificationId": notification_id}).encode()
    response = internal["deliver_notification"].post(
        "/deliver_notification", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
