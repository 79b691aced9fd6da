"""``settings/staff``: the shop's list of staff (uids, emails) besides the ``staff`` claim."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.rules.staff import StaffList
from shared.store.client import read
from shared.store.collections import SETTINGS, STAFF_SETTINGS

if TYPE_CHECKING:
    from google.cloud.firestore import Client


def staff_list(db: Client) -> StaffList:
    """The list (empty when the document is absent or malformed)."""
    return StaffList.from_document(read(db.collection(SETTINGS).document(STAFF_SETTINGS)))
