"""Deploy the notification backend to a Google Cloud / Firebase project, from this repository.

    python scripts/deploy.py --env-file deploy.env --dry-run   # print the plan, run nothing
    python scripts/deploy.py --env-file deploy.env             # run it, stop at the first failure

The plan (docs/deploy.md tells it in prose): enable the APIs; create the runtime and invoker
service accounts and their roles; make sure each secret exists, has a value, and is readable by
the runtime account; create or update the Cloud Tasks queues from ``shared/platform/queues.py``;
deploy the private HTTP functions, check their URLs, deploy the Firestore triggers and the public
webhooks (every target of ``functions/registry.py``, with its settings); let the invoker account
call the private functions and the triggers; create or update the Cloud Scheduler job of
``cart_sweep``; deploy the Firestore rules and indexes.

Every step is idempotent: running the script again updates what exists. The dry run prints one
shell line per step (``if <exists>; then <update>; else <create>; fi`` where a resource may
exist already), which is also what a real run executes. Standard library only; the work is in
``scripts/deploying/`` (``config``, ``plan``, ``execute``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]  # the repository's code, and ``deploying``

from deploying.config import ConfigError, load_config, read_env_file  # noqa: E402
from deploying.execute import StepFailedError, execute  # noqa: E402
from deploying.plan import build_plan, webhook_urls  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--env-file", type=Path, default=ROOT / "deploy.env")
    parser.add_argument("--project", help="overrides DEPLOY_PROJECT")
    parser.add_argument("--region", help="overrides DEPLOY_REGION (default europe-west1)")
    parser.add_argument("--project-number", help="overrides DEPLOY_PROJECT_NUMBER")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, run nothing")
    args = parser.parse_args(argv)
    try:
        values = read_env_file(args.env_file) if args.env_file.exists() else {}
        if not args.env_file.exists() and not args.dry_run:
            raise ConfigError(f"{args.env_file} not found (copy deploy.env.example)")
        cfg = load_config(
            values,
            {
                "DEPLOY_PROJECT": args.project,
                "DEPLOY_REGION": args.region,
                "DEPLOY_PROJECT_NUMBER": args.project_number,
            },
        )
    except (ConfigError, OSError) as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 2
    plan = build_plan(cfg)
    if args.dry_run:
        for step in plan:
            print(step.render())
        return 0
    try:
        cfg = execute(cfg, plan)
    except StepFailedError as exc:
        print(f"deploy: stopped: {exc}", file=sys.stderr)
        return 1
    print("deploy: done. Webhook URLs to give Twilio and Meta:")
    for name, url in webhook_urls(cfg).items():
        print(f"  {name}: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
