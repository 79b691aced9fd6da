"""What the stack (main venv) calls to run the Tasks emulator and give it the deployed queues.

``tasks_argv`` is the emulator's command line; once its ready line is out, ``ensure_queues``
creates (or brings up to date) every queue of ``shared/platform/queues.py`` through the Cloud Tasks
API, with the rate limits and retry configuration the deploy step gives ``gcloud tasks queues
create``, so the local queue retries and throttles as the deployed one does.

``backoff_scale`` is a local-only knob: it multiplies min and max backoff so tests see a 10 s
backoff as 0.5 s (0.05). Cloud Tasks truncates backoffs to whole seconds; never use it against
a real project.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devstack.tasks.schedule import RetryPolicy
from shared.platform.queues import QUEUES, QueueConfig

if TYPE_CHECKING:
    from google.cloud import tasks_v2

EMULATOR = Path(__file__).resolve().with_name("emulator.py")
DEFAULT_HOST = "127.0.0.1"

# Every field ``queue_proto`` sets, for UpdateQueue (max_burst_size is output only).
UPDATE_PATHS = (
    "rate_limits.max_dispatches_per_second",
    "rate_limits.max_concurrent_dispatches",
    "retry_config.max_attempts",
    "retry_config.min_backoff",
    "retry_config.max_backoff",
    "retry_config.max_doublings",
    "retry_config.max_retry_duration",
)


def tasks_argv(python: str, port: int, *, host: str = DEFAULT_HOST) -> list[str]:
    """The emulator's command line for ``python`` (``.venv-tasks/bin/python``); ``port`` 0
    lets it bind a free port, named in the JSON line it prints on stdout when ready."""
    return [python, str(EMULATOR), "start", "--host", host, "--port", str(port)]


def queue_path(project: str, location: str, name: str) -> str:
    return f"projects/{project}/locations/{location}/queues/{name}"


def retry_policy(config: QueueConfig, backoff_scale: float = 1.0) -> RetryPolicy:
    """The retry policy the emulator applies to a queue made by ``queue_proto``."""
    return RetryPolicy(
        max_attempts=config.max_attempts,
        min_backoff=config.min_backoff_seconds * backoff_scale,
        max_backoff=config.max_backoff_seconds * backoff_scale,
        max_doublings=config.max_doublings,
        max_retry_duration=float(config.max_retry_duration_seconds),
    )


def queue_proto(path: str, config: QueueConfig, *, backoff_scale: float = 1.0) -> tasks_v2.Queue:
    """The ``Queue`` resource of ``config`` at ``path``, as CreateQueue/UpdateQueue take it."""
    from google.cloud import tasks_v2  # noqa: PLC0415 - the stack imports this module early

    if backoff_scale <= 0:
        raise ValueError(f"backoff_scale must be positive, not {backoff_scale}")
    policy = retry_policy(config, backoff_scale)
    return tasks_v2.Queue(
        name=path,
        rate_limits=tasks_v2.RateLimits(
            max_dispatches_per_second=config.max_dispatches_per_second,
            max_concurrent_dispatches=config.max_concurrent_dispatches,
        ),
        retry_config=tasks_v2.RetryConfig(
            max_attempts=policy.max_attempts,
            min_backoff=timedelta(seconds=policy.min_backoff),
            max_backoff=timedelta(seconds=policy.max_backoff),
            max_doublings=policy.max_doublings,
            max_retry_duration=timedelta(seconds=policy.max_retry_duration),
        ),
    )


def ensure_queues(
    client: Any,
    project: str,
    location: str,
    configs: Iterable[QueueConfig] = QUEUES,
    backoff_scale: float = 1.0,
) -> list[str]:
    """Create every queue of ``configs`` on the emulator ``client`` talks to, or update it
    when it exists (an emulator started with ``--default-queue``, a re-run); their paths."""
    from google.api_core import exceptions  # noqa: PLC0415

    paths: list[str] = []
    for config in configs:
        path = queue_path(project, location, config.name)
        queue = queue_proto(path, config, backoff_scale=backoff_scale)
        try:
            client.create_queue(
                parent=f"projects/{project}/locations/{location}", queue=queue, timeout=10
            )
        except exceptions.AlreadyExists:
            client.update_queue(queue=queue, update_mask={"paths": list(UPDATE_PATHS)}, timeout=10)
        paths.append(path)
    return paths


def queue_paths(project: str, location: str, configs: Sequence[QueueConfig] = QUEUES) -> list[str]:
    """The paths ``ensure_queues`` creates."""
    return [queue_path(project, location, config.name) for config in configs]
