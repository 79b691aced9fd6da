"""Queue and Task resources as the Cloud Tasks API shows them: names, defaults, validation.

Runs in the emulator (``.venv-tasks``, ``google.cloud.tasks_v2`` on protobuf 4); the state of a
task between attempts is an :class:`Entry`, rendered into a ``Task`` for the API on demand.
Limits and defaults are the v2 reference's (https://cloud.google.com/tasks/docs/reference/rpc).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from google.api_core import exceptions
from google.cloud import tasks_v2

from devstack.tasks import schedule

QUEUE_NAME = re.compile(
    r"^projects/[A-Za-z0-9:._-]+/locations/[A-Za-z0-9-]+/queues/[A-Za-z0-9-]{1,100}$"
)
TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,500}$")
MAX_SCHEDULE_AHEAD = timedelta(days=30)
MIN_DEADLINE, MAX_DEADLINE = timedelta(seconds=15), timedelta(minutes=30)
MAX_RATE, MAX_CONCURRENCY = 500.0, 5000
_OUTPUT_ONLY = {"name", "state", "purge_time", "rate_limits.max_burst_size"}
_BODY_METHODS = {tasks_v2.HttpMethod.POST, tasks_v2.HttpMethod.PUT, tasks_v2.HttpMethod.PATCH}

M = TypeVar("M")


def copy_of(message: M) -> M:
    """A deep copy of a proto-plus message (what the API hands out is never the stored one)."""
    kind: Any = type(message)
    result: M = kind.deserialize(kind.serialize(message))
    return result


def api_error(kind: type[exceptions.GoogleAPICallError], message: str) -> Exception:
    """An ``api_core`` error (the servicer answers with its gRPC status); its constructor is
    untyped, hence the detour through ``Any``."""
    factory: Any = kind
    error: Exception = factory(message)
    return error


def short_id(path: str) -> str:
    """The last segment of a resource name (``notifications``, a task id)."""
    return path.rsplit("/", 1)[-1]


def when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def seconds(value: timedelta) -> float:
    return value.total_seconds()


# -- queues ----------------------------------------------------------------------------------------
def check_queue_name(name: str, parent: str | None = None) -> None:
    if not QUEUE_NAME.match(name or ""):
        raise api_error(
            exceptions.InvalidArgument,
            f"Queue name {name!r} is not projects/PROJECT/locations/LOCATION/queues/QUEUE_ID",
        )
    if parent is not None and not name.startswith(f"{parent}/queues/"):
        raise api_error(exceptions.InvalidArgument, f"Queue {name} is not in {parent}")


def normalized(queue: tasks_v2.Queue) -> tasks_v2.Queue:
    """The queue with Cloud Tasks' defaults for what the caller left unset, and the burst size
    derived from the rate. ``max_doublings`` has no presence in proto3: it is taken as given
    (0 included) when ``retry_config`` is set, the default otherwise."""
    result = copy_of(queue)
    rates = result.rate_limits
    if not rates.max_dispatches_per_second:
        rates.max_dispatches_per_second = schedule.DEFAULT_MAX_DISPATCHES_PER_SECOND
    if not rates.max_concurrent_dispatches:
        rates.max_concurrent_dispatches = schedule.DEFAULT_MAX_CONCURRENT_DISPATCHES
    rates.max_burst_size = schedule.burst_size(rates.max_dispatches_per_second)
    retry = result.retry_config
    if "retry_config" not in queue:
        retry.max_doublings = schedule.DEFAULT_MAX_DOUBLINGS
    if not retry.max_attempts:
        retry.max_attempts = schedule.DEFAULT_MAX_ATTEMPTS
    if "min_backoff" not in retry:
        retry.min_backoff = timedelta(seconds=schedule.DEFAULT_MIN_BACKOFF)
    if "max_backoff" not in retry:
        retry.max_backoff = timedelta(seconds=schedule.DEFAULT_MAX_BACKOFF)
    if "max_retry_duration" not in retry:
        retry.max_retry_duration = timedelta(0)
    check_limits(result)
    return result


def check_limits(queue: tasks_v2.Queue) -> None:
    rates, retry = queue.rate_limits, queue.retry_config
    problems = []
    if not 0 < rates.max_dispatches_per_second <= MAX_RATE:
        problems.append(f"max_dispatches_per_second must be in (0, {MAX_RATE:g}]")
    if not 0 < rates.max_concurrent_dispatches <= MAX_CONCURRENCY:
        problems.append(f"max_concurrent_dispatches must be in (0, {MAX_CONCURRENCY}]")
    if retry.max_attempts < -1:
        problems.append("max_attempts must be >= -1")
    if retry.max_doublings < 0:
        problems.append("max_doublings must be >= 0")
    if retry.min_backoff > retry.max_backoff:
        problems.append("min_backoff must not exceed max_backoff")
    if problems:
        raise api_error(exceptions.InvalidArgument, "; ".join(problems))


def updated(current: tasks_v2.Queue, update: tasks_v2.Queue, paths: list[str]) -> tasks_v2.Queue:
    """``UpdateQueue``: the fields named by the mask copied from ``update`` (every field when
    the mask is empty, as the API documents); output-only fields are kept."""
    if not paths:
        result = copy_of(update)
    else:
        result = copy_of(current)
        for path in paths:
            snake = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), path)
            if snake in _OUTPUT_ONLY:
                continue
            *parents, leaf = snake.split(".")
            source: Any = update
            target: Any = result
            try:
                for part in parents:
                    source, target = getattr(source, part), getattr(target, part)
                setattr(target, leaf, getattr(source, leaf))
            except (AttributeError, KeyError, TypeError) as exc:
                raise api_error(
                    exceptions.InvalidArgument, f"unknown field in update_mask: {path}"
                ) from exc
    result.name = current.name
    result.state = current.state
    if "purge_time" in current:
        result.purge_time = current.purge_time
    return normalized(result)


def retry_policy(queue: tasks_v2.Queue) -> schedule.RetryPolicy:
    retry = queue.retry_config
    return schedule.RetryPolicy(
        max_attempts=retry.max_attempts,
        min_backoff=seconds(retry.min_backoff),
        max_backoff=seconds(retry.max_backoff),
        max_doublings=retry.max_doublings,
        max_retry_duration=seconds(retry.max_retry_duration),
    )


# -- tasks -----------------------------------------------------------------------------------------
def new_task(parent: str, task: tasks_v2.Task, name: str, now: float) -> tasks_v2.Task:
    """The task as stored: validated like ``CreateTask``, defaults filled in."""
    if "app_engine_http_request" in task:
        raise api_error(
            exceptions.MethodNotImplemented, "App Engine tasks are not emulated: use HttpRequest"
        )
    if not task.http_request.url.startswith(("http://", "https://")):
        raise api_error(
            exceptions.InvalidArgument, "http_request.url must be an http:// or https:// URL"
        )
    if not name.startswith(f"{parent}/tasks/") or not TASK_ID.match(short_id(name)):
        raise api_error(
            exceptions.InvalidArgument,
            f"Task name {name!r} is not {parent}/tasks/TASK_ID (letters, digits, - and _)",
        )
    stored = copy_of(task)
    stored.name = name
    request = stored.http_request
    request.http_method = tasks_v2.HttpMethod(request.http_method or tasks_v2.HttpMethod.POST)
    if request.body and request.http_method not in _BODY_METHODS:
        raise api_error(
            exceptions.InvalidArgument, "a body is allowed only with POST, PUT or PATCH"
        )
    if "dispatch_deadline" in task and not (MIN_DEADLINE <= task.dispatch_deadline <= MAX_DEADLINE):
        raise api_error(
            exceptions.InvalidArgument, "dispatch_deadline must be between 15 s and 30 min"
        )
    if "schedule_time" not in task:
        stored.schedule_time = when(now)
    elif stored.schedule_time.timestamp() > now + MAX_SCHEDULE_AHEAD.total_seconds():
        raise api_error(exceptions.InvalidArgument, "schedule_time is more than 30 days ahead")
    stored.create_time = when(now)
    return stored


@dataclass
class Attempt:
    """The latest attempt, kept for ``Task.last_attempt``."""

    schedule_at: float
    dispatch_at: float
    response_at: float | None = None
    code: int | None = None
    message: str = ""


@dataclass
class Entry:
    """A task in a queue, between and during its attempts."""

    task: tasks_v2.Task  # as created: name, request, create time, deadline
    seq: int  # creation order: ties in schedule time go to the older task
    schedule_at: float
    attempts: int = 0  # dispatch_count
    responses: int = 0  # response_count: any HTTP answer
    executions: int = 0  # X-CloudTasks-TaskExecutionCount: answers other than 5xx
    previous_status: int | None = None
    first_dispatch_at: float | None = None
    last: Attempt | None = None
    running: bool = False

    @property
    def name(self) -> str:
        return str(self.task.name)


def rendered(entry: Entry, view: int) -> tasks_v2.Task:
    """The task as ``GetTask``/``ListTasks`` return it; the BASIC view leaves the body out and
    ``first_attempt`` has only its dispatch time, as in the API."""
    task = copy_of(entry.task)
    task.schedule_time = when(entry.schedule_at)
    task.dispatch_count = entry.attempts
    task.response_count = entry.responses
    if entry.first_dispatch_at is not None:
        task.first_attempt = tasks_v2.Attempt(dispatch_time=when(entry.first_dispatch_at))
    if entry.last is not None:
        last = tasks_v2.Attempt(
            schedule_time=when(entry.last.schedule_at), dispatch_time=when(entry.last.dispatch_at)
        )
        if entry.last.response_at is not None:
            last.response_time = when(entry.last.response_at)
            last.response_status = {"code": entry.last.code or 0, "message": entry.last.message}
        task.last_attempt = last
    views = tasks_v2.Task.View
    full = view == views.FULL
    task.view = views(views.FULL if full else views.BASIC)
    if not full:
        task.http_request.body = b""
    return task
