"""``firebase.json``: the emulator ports and the rules file, shared with the Firebase CLI.

``make dev`` starts the Cloud Firestore emulator on the port ``firebase.json`` declares and the
trigger router on the functions emulator's port (the address the Firestore emulator posts
trigger events to, which is what the router stands in for), and loads the rules file it names:
a developer running ``firebase emulators:start`` gets the same addresses and rules. Tests and
the bench use free ports instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.process import ROOT

FIREBASE_JSON = ROOT / "firebase.json"


@dataclass(frozen=True)
class FirebaseConfig:
    rules: Path | None
    firestore_port: int
    functions_port: int


def _port(emulators: dict[str, Any], name: str) -> int:
    value = (emulators.get(name) or {}).get("port")
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else 0


def load(path: Path = FIREBASE_JSON) -> FirebaseConfig:
    data = json.loads(path.read_text())
    rules = (data.get("firestore") or {}).get("rules")
    emulators = data.get("emulators") or {}
    return FirebaseConfig(
        rules=(path.parent / rules) if rules else None,
        firestore_port=_port(emulators, "firestore"),
        functions_port=_port(emulators, "functions"),
    )
