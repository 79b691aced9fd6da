"""Google's Cloud Firestore emulator (the JAR the Firebase CLI runs): find it, start it, use it.

The emulator ships in the Debian package ``google-cloud-cli-firestore-emulator`` as
``<Cloud SDK>/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar`` and runs on the
machine's Java (17 here). It is started as a JVM directly: the bash launcher beside the JAR does
not ``exec`` java (a signal to it would orphan the JVM) and ``gcloud emulators firestore start``
has no flag for the triggers.

What the stack relies on, checked against version 1.19.9:

- ready when ``GET /`` answers ``200 Ok`` (1.3 to 2.5 s); port 0 is refused, so a free port is
  picked and the start retried on another one when it exits with a ``BindException``;
- ``DELETE /emulator/v1/projects/{p}/databases/(default)/documents`` empties a project (and fires
  a delete trigger per document: the router's drop mode absorbs them);
- ``POST /emulator/v1/projects/{p}/eventarcTrigger?eventarcTriggerId={id}`` registers a trigger
  (no way to list or delete one: registered at every start); with ``--functions_emulator`` it
  then posts each matching write to ``http://{that}/functions/projects/{p}/triggers/{id}``;
- ``--rules`` loads security rules, enforced on client (non-admin) requests only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JAR_SUBPATH = Path("platform/cloud-firestore-emulator/cloud-firestore-emulator.jar")
MAIN_CLASS = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"
WRITTEN = "google.cloud.firestore.document.v1.written"
DATABASE = "(default)"
# Debian's Cloud SDK; the official tarball's default; gcloud's own root is asked last (slow).
_SDK_ROOTS = (Path("/usr/lib/google-cloud-sdk"), Path.home() / "google-cloud-sdk")
MISSING_HINT = (
    "install the Debian packages google-cloud-cli-firestore-emulator and a Java runtime "
    "(openjdk-17-jre-headless), or set FIRESTORE_EMULATOR_JAR to the emulator's JAR"
)


class EmulatorMissingError(RuntimeError):
    """The emulator's JAR or a Java runtime to run it is not on this machine."""


@dataclass(frozen=True)
class EmulatorInstall:
    """Where the JAR and the ``java`` that runs it are."""

    jar: Path
    java: str

    def argv(
        self,
        *,
        host: str,
        port: int,
        functions_emulator: str | None = None,
        rules: Path | None = None,
    ) -> list[str]:
        """The command line: a bounded heap (1 GiB: at 512 MiB a 10,000-recipient campaign's
        ledger queries ran it out of memory), the serial GC and C1 only (it starts faster and
        the emulator is I/O bound), English messages (the only ones it has)."""
        argv = [
            self.java,
            "-Duser.language=en",
            "-Xmx1g",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            str(self.jar),
            MAIN_CLASS,
            f"--host={host}",
            f"--port={port}",
        ]
        if functions_emulator:
            argv.append(f"--functions_emulator={functions_emulator}")
        if rules is not None:
            argv.append(f"--rules={rules}")
        return argv


def _sdk_roots(env: Mapping[str, str]) -> list[Path]:
    roots = [Path(env[name]) for name in ("CLOUDSDK_ROOT_DIR", "CLOUDSDK_ROOT") if env.get(name)]
    gcloud = shutil.which("gcloud", path=env.get("PATH"))
    if gcloud:  # /usr/bin/gcloud -> /usr/lib/google-cloud-sdk/bin/gcloud
        roots.append(Path(gcloud).resolve().parent.parent)
    roots.extend(_SDK_ROOTS)
    return roots


def find_install(env: Mapping[str, str] | None = None) -> EmulatorInstall:
    """The emulator JAR (``FIRESTORE_EMULATOR_JAR``, else the Cloud SDK's) and ``java``
    (``JAVA``, else on ``PATH``); ``EmulatorMissingError`` naming the packages otherwise."""
    e = os.environ if env is None else env
    explicit = e.get("FIRESTORE_EMULATOR_JAR")
    candidates = [Path(explicit)] if explicit else [r / JAR_SUBPATH for r in _sdk_roots(e)]
    jar = next((c for c in candidates if c.is_file()), None)
    if jar is None:
        looked = ", ".join(str(c) for c in dict.fromkeys(candidates))
        raise EmulatorMissingError(
            f"no Cloud Firestore emulator JAR (looked at {looked}): {MISSING_HINT}"
        )
    java = e.get("JAVA") or shutil.which("java", path=e.get("PATH"))
    if not java:
        raise EmulatorMissingError(f"no java on PATH to run {jar}: {MISSING_HINT}")
    return EmulatorInstall(jar=jar, java=java)


def java_major(java: str) -> int | None:
    """The major version of a ``java`` (``17``), or None when it cannot tell."""
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=20, check=False
        ).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    for token in out.split():
        text = token.strip('"')
        head = text.split(".")[0]
        if head.isdigit() and text[0].isdigit():
            return 8 if head == "1" else int(head)
    return None


def bind_failed(log_text: str) -> bool:
    """Whether an emulator that exited did so because its port was taken."""
    return "BindException" in log_text or "Address already in use" in log_text


# -- its HTTP API ------------------------------------------------------------------------------


def _request(method: str, url: str, body: object | None = None, timeout: float = 30.0) -> bytes:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", "Bearer owner")  # admin: the rules do not apply
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return bytes(response.read())


def is_ready(host: str, timeout: float = 2.0) -> bool:
    """``GET /`` answers ``Ok`` once the emulator serves requests."""
    try:
        return _request("GET", f"http://{host}/", timeout=timeout).strip() == b"Ok"
    except (OSError, urllib.error.URLError):
        return False


def documents_url(host: str, project: str) -> str:
    return f"http://{host}/emulator/v1/projects/{project}/databases/{DATABASE}/documents"


def reset(host: str, project: str) -> None:
    """Delete every document of ``project`` (each deletion fires its trigger)."""
    _request("DELETE", documents_url(host, project))


@dataclass(frozen=True)
class Trigger:
    """One Eventarc-style trigger: writes matching ``document`` go to ``trigger_id``."""

    trigger_id: str
    document: str  # a path pattern, "tickets/{ticketId}"
    event_type: str = WRITTEN

    def body(self) -> dict[str, object]:
        return {
            "eventType": self.event_type,
            "database": DATABASE,
            "namespace": DATABASE,
            "document": {"value": self.document, "matchType": "PATH_PATTERN"},
        }


def register_triggers(host: str, project: str, triggers: Sequence[Trigger]) -> None:
    """Register each trigger (the emulator keeps them until it stops)."""
    for trigger in triggers:
        url = (
            f"http://{host}/emulator/v1/projects/{project}/eventarcTrigger"
            f"?eventarcTriggerId={urllib.parse.quote(trigger.trigger_id, safe='')}"
        )
        _request("POST", url, trigger.body())


def put_document(host: str, project: str, path: str, fields: Mapping[str, str]) -> None:
    """Write a document of string fields through the REST API (no client library needed)."""
    collection, _, doc_id = path.rpartition("/")
    url = (
        f"http://{host}/v1/projects/{project}/databases/{DATABASE}/documents/{collection}"
        f"?documentId={urllib.parse.quote(doc_id, safe='')}"
    )
    _request("POST", url, {"fields": {k: {"stringValue": v} for k, v in fields.items()}})


def delete_document(host: str, project: str, path: str) -> None:
    url = f"http://{host}/v1/projects/{project}/databases/{DATABASE}/documents/{path}"
    _request("DELETE", url)


_ENV_LOCK = threading.Lock()


def client_for(host: str, project: str) -> Any:
    """A real ``google.cloud.firestore.Client`` on the emulator at ``host`` (admin: no rules).

    The client reads ``FIRESTORE_EMULATOR_HOST`` once, when it is made; the variable is set only
    for that moment (under a lock), so the process environment is left as it was.
    """
    from google.cloud import firestore  # noqa: PLC0415 - heavy, only where a client is wanted

    with _ENV_LOCK:
        saved = os.environ.get("FIRESTORE_EMULATOR_HOST")
        os.environ["FIRESTORE_EMULATOR_HOST"] = host
        try:
            return firestore.Client(project=project)
        finally:
            if saved is None:
                os.environ.pop("FIRESTORE_EMULATOR_HOST", None)
            else:
                os.environ["FIRESTORE_EMULATOR_HOST"] = saved
