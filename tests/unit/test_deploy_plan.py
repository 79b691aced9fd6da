"""The deploy step's plan (``scripts/deploy.py --dry-run``) and how a real run behaves.

The dry run is executed as an operator would run it, with fake ``gcloud`` and ``firebase``
programs first on ``PATH`` that record any call (a dry run must make none). The printed lines
are parsed back into commands and checked against main.py, CONTRACT.md and
shared/platform/queues.py. A real run is executed against the same fakes, which answer like a
project where nothing exists yet, or fail on a chosen command.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import main
from shared.platform.queues import CAMPAIGNS_QUEUE, QUEUES

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "deploy.py"
PROJECT, NUMBER, REGION = "shop-prod", "123456789012", "europe-west1"
INVOKER = f"notify-invoker@{PROJECT}.iam.gserviceaccount.com"
RUNTIME_SA = f"notify-runtime@{PROJECT}.iam.gserviceaccount.com"
DELIVER_URL = f"https://deliver-notification-{NUMBER}.{REGION}.run.app"
SWEEP_URL = f"https://cart-sweep-{NUMBER}.{REGION}.run.app"
STEP_URL = f"https://campaign-step-{NUMBER}.{REGION}.run.app"
INTERNAL = {"deliver_notification", "cart_sweep", "campaign_step"}
WEBHOOKS = {"twilio_inbound", "twilio_status", "meta_webhook"}
CONSOLE = {"console"}  # public: people sign in on its own page (Firebase Auth session)
TRIGGERS = {
    "on_ticket_written": "tickets/{ticketId}",
    "on_order_written": "orders/{orderId}",
    "on_cart_written": "carts/{cartId}",
    "on_campaign_written": "campaigns/{campaignId}",
    "on_consent_written": "consent_events/{eventId}",
}

ENV_FILE = f"""\
# a realistic deploy.env
DEPLOY_PROJECT={PROJECT}
DEPLOY_REGION={REGION}
DEPLOY_PROJECT_NUMBER={NUMBER}
DEPLOY_FIRESTORE_LOCATION=eur3
DEFAULT_COUNTRY=FR
TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef
TWILIO_SMS_FROM=MyShop
WHATSAPP_PROVIDER=meta
META_PHONE_NUMBER_ID=1098765432
SMTP_HOST=smtp.example.test
SMTP_USERNAME=notify@example.test
SMTP_FROM="MyShop, repairs <notify@example.test>"
"""

FAKE_TOOL = """\
#!{python}
import json, os, sys
argv = [os.path.basename(sys.argv[0])] + sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(argv) + "\\n")
line = " ".join(argv)
if os.environ.get("FAKE_FAIL") and os.environ["FAKE_FAIL"] in line:
    sys.exit(1)
if argv[:3] == ["gcloud", "projects", "describe"]:
    print("{number}")
elif argv[:4] == ["gcloud", "run", "services", "describe"]:
    service, region = argv[4], [a for a in argv if a.startswith("--region=")][0][9:]
    urls = ["https://%s-{number}.%s.run.app" % (service, region),
            "https://%s-abc123-ew.a.run.app" % service]
    annotations = {{"run.googleapis.com/urls": json.dumps(urls)}}
    print(json.dumps({{"status": {{"url": urls[1]}}, "metadata": {{"annotations": annotations}}}}))
elif "describe" in argv and "versions" not in argv and not os.environ.get("FAKE_EXISTS"):
    sys.exit(1)  # a new project: nothing exists yet
"""


def _make_fakes(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("gcloud", "firebase"):
        path = bin_dir / tool
        path.write_text(FAKE_TOOL.format(python=sys.executable, number=NUMBER))
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_LOG": str(tmp_path / "calls.jsonl"),
    }


@pytest.fixture
def fakes(tmp_path: Path) -> dict[str, str]:
    return _make_fakes(tmp_path)


def _deploy(tmp_path: Path, env: dict[str, str], *args: str, text: str = ENV_FILE) -> Any:
    env_file = tmp_path / "deploy.env"
    env_file.write_text(text)
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--env-file", str(env_file), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _calls(env: dict[str, str]) -> list[list[str]]:
    log = Path(env["FAKE_LOG"])
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def parse_plan(output: str) -> list[list[str]]:
    """Every command of the printed plan, the branches of ``if ...; then ...; else ...; fi``."""
    commands: list[list[str]] = []
    for line in output.splitlines():
        tokens = shlex.split(line, comments=True)
        current: list[str] = []
        for token in [*tokens, ";"]:
            if token in {"if", "then", "else", "fi", ";", ":", ">/dev/null", "2>&1"}:
                if current:
                    commands.append(current)
                current = []
            else:
                current.append(token)
    return commands


def _flags(command: list[str]) -> dict[str, list[str]]:
    flags: dict[str, list[str]] = {}
    for token in command:
        if token.startswith("--"):
            name, _, value = token.partition("=")
            flags.setdefault(name, []).append(value)
    return flags


def _env_vars(command: list[str]) -> dict[str, str]:
    value = _flags(command)["--set-env-vars"][0]
    delimiter = ","
    if value.startswith("^"):
        delimiter, value = value[1], value[3:]
    return dict(pair.split("=", 1) for pair in value.split(delimiter))


def _main_targets() -> set[str]:
    return set(main.__all__)  # importing main.py loads no target (tests/unit/test_main_lazy.py)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> list[list[str]]:
    tmp_path = tmp_path_factory.mktemp("plan")
    fakes = _make_fakes(tmp_path)
    result = _deploy(tmp_path, fakes, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert _calls(fakes) == [], "a dry run must not run gcloud or firebase"
    return parse_plan(result.stdout)


def _deploys(plan: list[list[str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for cmd in plan:
        if cmd[:3] == ["gcloud", "functions", "deploy"]:
            assert cmd[3] not in found, f"{cmd[3]} deployed twice"
            found[cmd[3]] = cmd
    return found


def test_every_target_of_main_is_deployed_as_gen2_python(plan: list[list[str]]) -> None:
    deploys = _deploys(plan)
    assert set(deploys) == _main_targets() == INTERNAL | WEBHOOKS | CONSOLE | set(TRIGGERS)
    for name, cmd in deploys.items():
        flags = _flags(cmd)
        assert "--gen2" in flags
        assert flags["--runtime"] == ["python312"]
        assert flags["--source"] == ["."]
        assert flags["--entry-point"] == [name]
        assert flags["--region"] == [REGION]
        assert flags["--service-account"] == [RUNTIME_SA]
        for flag in ("--memory", "--concurrency", "--timeout", "--max-instances"):
            assert flag in flags, f"{name} lacks {flag}"


def _campaigns_queue_rate(plan: list[list[str]]) -> str:
    (command,) = [c for c in plan if c[:4] == ["gcloud", "tasks", "queues", "create"]
                  and c[4] == "campaigns"]  # fmt: skip
    (flag,) = [f for f in command if f.startswith("--max-dispatches-per-second=")]
    return flag.split("=", 1)[1]


def test_internal_endpoints_are_private_and_verify_their_caller(plan: list[list[str]]) -> None:
    deploys = _deploys(plan)
    for name in INTERNAL:
        flags = _flags(deploys[name])
        assert "--trigger-http" in flags
        assert "--no-allow-unauthenticated" in flags
        assert "--allow-unauthenticated" not in flags
        env = _env_vars(deploys[name])
        assert (
            env["INTERNAL_AUDIENCE"]
            == {
                "deliver_notification": DELIVER_URL,
                "cart_sweep": SWEEP_URL,
                "campaign_step": STEP_URL,
            }[name]
        )
        assert env["CAMPAIGN_STEP_URL"] == STEP_URL
        # Planning keeps ahead of the campaigns queue's rate: the one the plan gives the queue
        # (this env's Twilio SMS sender: 1 message/s).
        assert env["CAMPAIGN_DISPATCH_RATE"] == _campaigns_queue_rate(plan) == "1"
        assert env["INTERNAL_INVOKERS"] == INVOKER
        binding = ["gcloud", "functions", "add-invoker-policy-binding", name]
        assert any(c[:4] == binding and f"--member=serviceAccount:{INVOKER}" in c for c in plan)
    # A check after their deploy that the URLs tasks and the scheduler call are theirs.
    described = [c[4] for c in plan if c[:4] == ["gcloud", "run", "services", "describe"]]
    assert described == ["deliver-notification", "cart-sweep", "campaign-step"]


def test_webhooks_are_public_and_always_warm(plan: list[list[str]]) -> None:
    deploys = _deploys(plan)
    for name in WEBHOOKS:
        flags = _flags(deploys[name])
        assert "--allow-unauthenticated" in flags
        assert "--no-allow-unauthenticated" not in flags
        assert flags["--min-instances"] == ["1"]


def test_the_console_is_public_behind_its_own_sign_in(plan: list[list[str]]) -> None:
    flags = _flags(_deploys(plan)["console"])
    assert "--allow-unauthenticated" in flags
    assert "--no-allow-unauthenticated" not in flags
    assert not any(
        c[:4] == ["gcloud", "functions", "add-invoker-policy-binding", "console"] for c in plan
    )


def test_each_twilio_webhook_is_told_the_exact_url_twilio_signs(plan: list[list[str]]) -> None:
    # Without it a deployed Twilio webhook refuses every request (signatures.py): the URL is
    # never taken from Host or X-Forwarded-*. The status one is the callback our messages name.
    deploys = _deploys(plan)
    inbound = _env_vars(deploys["twilio_inbound"])
    status = _env_vars(deploys["twilio_status"])
    assert inbound["WEBHOOK_PUBLIC_URL"] == f"https://twilio-inbound-{NUMBER}.{REGION}.run.app"
    assert status["WEBHOOK_PUBLIC_URL"] == status["TWILIO_STATUS_CALLBACK_URL"]
    assert status["WEBHOOK_PUBLIC_URL"] == f"https://twilio-status-{NUMBER}.{REGION}.run.app"
    for name in set(deploys) - {"twilio_inbound", "twilio_status"}:
        assert "WEBHOOK_PUBLIC_URL" not in _env_vars(deploys[name]), name


def test_triggers_listen_to_their_collection(plan: list[list[str]]) -> None:
    deploys = _deploys(plan)
    for name, document in TRIGGERS.items():
        flags = _flags(deploys[name])
        assert flags["--trigger-event-filters"] == [
            "type=google.cloud.firestore.document.v1.written",
            "database=(default)",
        ]
        assert flags["--trigger-event-filters-path-pattern"] == [f"document={document}"]
        assert flags["--trigger-location"] == ["eur3"]
        assert flags["--trigger-service-account"] == [INVOKER]
        assert "--retry" in flags  # an exception asks for a redelivery (CONTRACT.md)
        assert "--allow-unauthenticated" not in flags
        assert "--trigger-http" not in flags


def test_every_function_gets_the_same_wiring(plan: list[list[str]]) -> None:
    for name, cmd in _deploys(plan).items():
        env = _env_vars(cmd)
        assert env["GOOGLE_CLOUD_PROJECT"] == PROJECT
        assert env["DELIVER_URL"] == DELIVER_URL
        assert env["TASKS_SERVICE_ACCOUNT"] == INVOKER
        assert env["TASKS_QUEUE"] == "notifications"
        assert env["SMTP_FROM"] == "MyShop, repairs <notify@example.test>"  # a comma survives
        assert "FIRESTORE_EMULATOR_HOST" not in env
        secrets = _flags(cmd)["--set-secrets"][0].split(",")
        assert secrets == [
            "TWILIO_AUTH_TOKEN=TWILIO_AUTH_TOKEN:latest",
            "META_WHATSAPP_TOKEN=META_WHATSAPP_TOKEN:latest",
            "META_APP_SECRET=META_APP_SECRET:latest",
            "META_VERIFY_TOKEN=META_VERIFY_TOKEN:latest",
            "SMTP_PASSWORD=SMTP_PASSWORD:latest",
        ], name


def test_queues_get_the_flags_of_shared_queues(plan: list[list[str]]) -> None:
    for queue in QUEUES:
        for verb in ("create", "update"):
            found = [c for c in plan if c[:5] == ["gcloud", "tasks", "queues", verb, queue.name]]
            assert len(found) == 1, (verb, queue.name)
            flags = [t for t in found[0] if t.startswith("--max") or t.startswith("--min")]
            expected = queue
            if queue is CAMPAIGNS_QUEUE:  # paced: the env's Twilio SMS sender, 1 message/s
                expected = replace(queue, max_dispatches_per_second=1)
            assert flags == expected.gcloud_flags()


def test_scheduler_job_calls_cart_sweep_with_oidc(plan: list[list[str]]) -> None:
    jobs = [c for c in plan if c[:4] == ["gcloud", "scheduler", "jobs", "create"]]
    jobs += [c for c in plan if c[:4] == ["gcloud", "scheduler", "jobs", "update"]]
    assert len(jobs) == 2
    for job in jobs:
        flags = _flags(job)
        assert flags["--schedule"] == ["*/15 * * * *"]
        assert flags["--uri"] == [SWEEP_URL]
        assert flags["--http-method"] == ["POST"]
        assert flags["--oidc-service-account-email"] == [INVOKER]
        assert flags["--oidc-token-audience"] == [SWEEP_URL]


def test_accounts_secrets_and_rules_are_part_of_the_plan(plan: list[list[str]]) -> None:
    joined = [" ".join(c) for c in plan]
    assert any(
        c.startswith(f"gcloud iam service-accounts add-iam-policy-binding {INVOKER}")
        and f"serviceAccount:{RUNTIME_SA}" in c
        and "roles/iam.serviceAccountUser" in c
        for c in joined
    ), "the runtime account must be able to create OIDC tasks as the invoker"
    for secret in ("TWILIO_AUTH_TOKEN", "SMTP_PASSWORD"):
        assert any(c.startswith(f"gcloud secrets add-iam-policy-binding {secret}") for c in joined)
        assert any(c.startswith("gcloud secrets versions describe latest") and secret in c
                   for c in joined)  # fmt: skip
    assert joined[-1].startswith("firebase deploy --only firestore:rules,firestore:indexes")


def test_secrets_in_the_env_file_are_refused(tmp_path: Path, fakes: dict[str, str]) -> None:
    result = _deploy(tmp_path, fakes, "--dry-run", text=ENV_FILE + "TWILIO_AUTH_TOKEN=abc\n")
    assert result.returncode == 2
    assert "Secret Manager" in result.stderr
    assert "abc" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "line",
    [
        "FIRESTORE_EMULATOR_HOST=127.0.0.1:8080",
        "DELIVER_URL=https://elsewhere.test",
        "CAMPAIGN_DISPATCH_RATE=50",
    ],
)
def test_local_or_computed_variables_are_refused(
    tmp_path: Path, fakes: dict[str, str], line: str
) -> None:
    assert _deploy(tmp_path, fakes, "--dry-run", text=ENV_FILE + line + "\n").returncode == 2


def test_a_real_run_on_a_new_project_creates_everything(
    tmp_path: Path, fakes: dict[str, str]
) -> None:
    env_text = ENV_FILE.replace(f"DEPLOY_PROJECT_NUMBER={NUMBER}\n", "")
    result = _deploy(tmp_path, fakes, text=env_text)
    assert result.returncode == 0, result.stderr
    calls = [" ".join(c) for c in _calls(fakes)]
    assert calls[0].startswith(f"gcloud projects describe {PROJECT}")  # number looked up
    assert any(c.startswith("gcloud tasks queues create notifications") for c in calls)
    assert not any(c.startswith("gcloud tasks queues update") for c in calls)
    assert any(c.startswith("gcloud scheduler jobs create http cart-sweep") for c in calls)
    assert any(f"--uri={SWEEP_URL}" in c for c in calls)
    assert calls[-1].startswith("firebase deploy")
    assert DELIVER_URL in result.stdout


def test_a_real_run_stops_at_the_first_failure(tmp_path: Path, fakes: dict[str, str]) -> None:
    fakes["FAKE_EXISTS"] = "1"
    fakes["FAKE_FAIL"] = "functions deploy cart_sweep"
    result = _deploy(tmp_path, fakes)
    assert result.returncode == 1
    assert "stopped" in result.stderr
    calls = [" ".join(c) for c in _calls(fakes)]
    assert calls[-1].startswith("gcloud functions deploy cart_sweep")
    assert any(c.startswith("gcloud tasks queues update") for c in calls)
    assert not any("on_ticket_written" in c or c.startswith("firebase") for c in calls)


def test_firebase_json_deploys_rules_and_indexes_but_no_functions() -> None:
    config = json.loads((ROOT / "firebase.json").read_text())
    assert (ROOT / config["firestore"]["rules"]).is_file()
    assert (ROOT / config["firestore"]["indexes"]).is_file()
    assert "functions" not in config  # Python functions go out with gcloud (scripts/deploy.py)
    assert config["emulators"]["firestore"]["port"] > 0


def test_gcloudignore_uploads_the_runtime_code_only() -> None:
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        pytest.skip("no gcloud to read .gcloudignore the way a deploy does")
    listed = subprocess.run(
        [gcloud, "meta", "list-files-for-upload", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"},
    ).stdout.split()
    files = set(listed)
    assert {
        "main.py",
        "requirements.txt",
        "shared/platform/settings.py",
        "functions/cart_sweep.py",
    } <= files
    leaked = sorted(
        f
        for f in files
        if f.split("/")[0] in {"tests", "devstack", "bench", "docs", "scripts", "node_modules"}
        or f.startswith((".venv", ".git"))
        or f in {"deploy.env", "pyproject.toml", "requirements-dev.txt", "package.json"}
    )
    assert not leaked, leaked
