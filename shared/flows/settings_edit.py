"""Staff change the shop's settings from the console (issue 18): validated per field, written
to ``settings/notifications``, recorded in ``settings_history``.

- Only the keys the console edits may change (``EDITABLE``); a key set to None goes back to its
  default.
- The result must parse without a problem (``ShopSettings.from_document``, the same parser
  every function uses): otherwise nothing is written and each field gets its message.
- The change takes effect within the settings cache (``SHOP_SETTINGS_CACHE_SECONDS``, 5 s by
  default): every function reads the document again after that.
- The history entry says who (``staffId``), when (``at``), and each changed key's ``before`` and
  ``after``; its id is the form's own (a resent form changes nothing twice).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.model.shop import ShopSettings
from shared.platform.errors import InvalidInputError
from shared.platform.log import get_logger
from shared.store import settings_history
from shared.store.settings_history import ChangeAlreadyRecordedError

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)
EDITABLE = frozenset(
    {
        "shopName",
        "quietHours",
        "businessHours",
        "marketingWindows",
        "smsOptOut",
        "whatsappTemplates",
        "walkInServiceSms",
        "pickupReminderDays",
        "paymentReminderHoursBefore",
        "cartReminder1DelayHours",
        "cartReminder2DelayHours",
        "discountPercent",
        "discountValidDays",
        "attributionWindowDays",
        "urgentEvents",
        "templateOverrides",  # the shop's own wording (shared.flows.template_edit)
    }
)
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9]*)")


class SettingsInvalidError(InvalidInputError):
    """The change would not parse; ``problems`` maps each field to its messages."""

    def __init__(self, problems: Mapping[str, list[str]]) -> None:
        super().__init__("; ".join(p for ps in problems.values() for p in ps))
        self.problems = dict(problems)


@dataclass(frozen=True)
class SettingsChange:
    change_id: str
    changed: tuple[str, ...]  # the keys whose value moved
    duplicate: bool = False  # the same form again: nothing written


def problems_by_field(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """The parser's problems with ``document``, grouped by top-level key."""
    found: dict[str, list[str]] = {}
    for problem in ShopSettings.from_document(document).problems:
        match = _FIELD.match(problem)
        found.setdefault(match.group(1) if match else "document", []).append(problem)
    return found


def apply_change(
    db: Client,
    changes: Mapping[str, Any],
    *,
    change_id: str,
    staff_uid: str,
    now: datetime,
) -> SettingsChange:
    """Validate and write ``changes`` (top-level key -> new value, None: the default)."""
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise SettingsInvalidError(
            {k: [f"{k} is not a setting the console changes"] for k in unknown}
        )
    if not change_id or len(change_id) > 128 or "/" in change_id:
        raise SettingsInvalidError({"document": ["the change has no id of its own"]})
    changed: list[str] = []

    def decide(current: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        after = {**current, **changes}
        after = {k: v for k, v in after.items() if v is not None}
        before_problems = problems_by_field(current)
        new_problems = {
            key: messages
            for key, messages in problems_by_field(after).items()
            if key in changes or messages != before_problems.get(key)
        }
        if new_problems:
            raise SettingsInvalidError(new_problems)
        moved = [k for k in sorted(changes) if current.get(k) != changes[k]]
        changed[:] = moved
        entry = {
            "staffId": staff_uid,
            "at": now,
            "changes": {k: {"before": current.get(k), "after": changes[k]} for k in moved},
        }
        return {k: changes[k] for k in moved}, entry

    try:
        settings_history.write_change(db, change_id, decide)
    except ChangeAlreadyRecordedError:
        return SettingsChange(change_id, (), duplicate=True)
    log.info("settings changed by %s: %s", staff_uid, ", ".join(changed) or "nothing")
    return SettingsChange(change_id, tuple(changed))


def current_settings(db: Client) -> dict[str, Any]:
    """The stored ``settings/notifications`` document, as staff edit it."""
    return settings_history.read_settings(db)


def recent_changes(db: Client, limit: int = 20) -> list[dict[str, Any]]:
    """The latest settings changes, newest first."""
    return settings_history.recent_history(db, limit=limit)
