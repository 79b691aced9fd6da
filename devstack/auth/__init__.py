"""The Firebase Auth emulator of the local stack, and its seeded member of staff.

``serve.js`` runs firebase-tools' own Auth emulator (the ``firebase-tools`` version pinned in
``package.json``, installed by ``scripts/setup.sh`` with ``npm ci``) on its own: no CLI, no
emulator hub or UI, so parallel stacks never fight over their fixed ports. The functions get
``FIREBASE_AUTH_EMULATOR_HOST`` (firebase-admin and the console's sign-in page use it).

The emulator keeps its users in memory: every stack seeds ``STAFF`` (the ``staff`` custom claim)
once it is up; ``make dev`` and ``make demo`` print it with the console's URL. Local only: the
password is fixed and printed on purpose.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
SERVE = HERE / "serve.js"
PACKAGE = HERE / "node_modules" / "firebase-tools" / "package.json"


class AuthEmulatorMissingError(RuntimeError):
    """firebase-tools is not installed in devstack/auth (scripts/setup.sh installs it)."""


@dataclass(frozen=True)
class User:
    """An account of the emulator: email, password, and the custom claims it carries."""

    email: str
    password: str
    display_name: str
    claims: dict[str, Any]


STAFF = User("staff@shop.example", "staff-demo-password", "Awa (staff)", {"staff": True})


def argv(host: str, port: int, project: str) -> list[str]:
    """The command that starts the emulator (port 0: a free one, said on its ready line)."""
    node = shutil.which("node")
    if node is None or not PACKAGE.is_file():
        raise AuthEmulatorMissingError(
            f"the Firebase Auth emulator needs node and {PACKAGE.parent}: run scripts/setup.sh"
        )
    return [node, str(SERVE), host, str(port), project]


def version() -> str:
    """The installed firebase-tools version."""
    return str(json.loads(PACKAGE.read_text())["version"])


def create_user(host: str, project: str, user: User, *, timeout: float = 10.0) -> str:
    """Create ``user`` on the emulator at ``host`` (its uid); an existing email is kept as it is."""
    base = f"http://{host}/identitytoolkit.googleapis.com/v1/projects/{project}"
    owner = {"Authorization": "Bearer owner"}  # the emulator's admin credential
    body = {
        "email": user.email,
        "password": user.password,
        "displayName": user.display_name,
        "emailVerified": True,
    }
    response = requests.post(f"{base}/accounts", json=body, headers=owner, timeout=timeout)
    if response.status_code == 400 and "EMAIL_EXISTS" in response.text:
        found = requests.post(
            f"{base}/accounts:lookup", json={"email": [user.email]}, headers=owner, timeout=timeout
        )
        found.raise_for_status()
        uid = str(found.json()["users"][0]["localId"])
    else:
        response.raise_for_status()
        uid = str(response.json()["localId"])
    if user.claims:
        update = {"localId": uid, "customAttributes": json.dumps(user.claims)}
        requests.post(
            f"{base}/accounts:update", json=update, headers=owner, timeout=timeout
        ).raise_for_status()
    return uid
