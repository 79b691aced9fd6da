"""Staff retrying or rerouting a failed message (issue 18): what a click may do, and why not.

Pure. A failed message (``failed`` or ``undelivered``) may be:

- **retried on the same channel** only when what stopped it may pass: the queue gave up after
  transient errors (``retries_exhausted``), or the provider's code is transient (rate limit,
  outage, timeout). A number that is invalid, a landline, an opt-out or a missing template
  will fail again: retrying it would only spend money;
- **rerouted** to the plan's next allowed channel (its fallback: SMS after WhatsApp...), once:
  the fallback's id derives from the original's, so a second click finds it made.

Anything else says why it cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.model.enums import NotificationStatus, Provider
from shared.model.record import NotificationRecord
from shared.rules import error_codes
from shared.rules.provider_errors import TRANSIENT_KINDS

FAILED = frozenset({NotificationStatus.FAILED, NotificationStatus.UNDELIVERED})
_TABLES = {Provider.TWILIO: error_codes.TWILIO, Provider.META: error_codes.META}


@dataclass(frozen=True)
class Allowed:
    ok: bool
    reason: str
    detail: str


def _transient_code(record: NotificationRecord) -> bool:
    table = _TABLES.get(record.provider) if record.provider else None
    code = record.error_code
    if table is None or code is None or not code.isdigit():
        return False
    kind = table.get(int(code))
    return kind is not None and kind in TRANSIENT_KINDS


def may_retry(record: NotificationRecord) -> Allowed:
    """Whether staff may send ``record`` again on its own channel."""
    if record.status not in FAILED:
        return Allowed(False, "not_failed", f"the message is {record.status.value}, not failed")
    if record.status_reason == "retries_exhausted" or _transient_code(record):
        return Allowed(True, "transient", "the failure was temporary: the same channel may work")
    return Allowed(
        False,
        "permanent_failure",
        f"the failure ({record.status_reason or record.error_code or 'error'}) will happen "
        "again on this channel",
    )


def may_reroute(record: NotificationRecord) -> Allowed:
    """Whether staff may send ``record`` by its plan's next allowed channel."""
    if record.status not in FAILED:
        return Allowed(False, "not_failed", f"the message is {record.status.value}, not failed")
    if record.fallback() is None:
        return Allowed(False, "no_other_channel", "the customer allows no other channel for it")
    assert record.fallback_channel is not None
    return Allowed(True, "fallback", f"by {record.fallback_channel.value} instead")
