"""The ``google.cloud.tasks.v2.CloudTasks`` gRPC service over :class:`state.Emulator`.

Reuses gcloud-tasks-emulator's generated servicer base and registration (its
``cloudtasks_pb2_grpc`` speaks proto-plus ``tasks_v2`` messages); only the behaviour is ours.
IAM methods stay UNIMPLEMENTED, as in the package. An ``api_core`` error raised by the state
becomes the gRPC status it stands for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from gcloud_tasks_emulator.cloudtasks_pb2_grpc import (
    CloudTasksServicer,
    add_CloudTasksServicer_to_server,
)
from google.api_core import exceptions
from google.cloud import tasks_v2
from google.protobuf import empty_pb2

from devstack.tasks.resources import api_error
from devstack.tasks.state import Emulator

T = TypeVar("T")
MAX_PAGE = 1000


def page(items: Sequence[T], size: int, token: str) -> tuple[list[T], str]:
    """One page of ``items`` and the token of the next one ("" when it is the last)."""
    try:
        start = int(token or 0)
    except ValueError:
        raise api_error(exceptions.InvalidArgument, f"invalid page_token {token!r}") from None
    end = start + (min(size, MAX_PAGE) if size > 0 else MAX_PAGE)
    return list(items[start:end]), str(end) if end < len(items) else ""


def _answer(context: Any, call: Callable[[], T]) -> T:
    try:
        return call()
    except exceptions.GoogleAPICallError as err:
        context.abort(err.grpc_status_code, err.message)
        raise  # abort raises; this keeps type checkers and readers sure of it


class CloudTasks(CloudTasksServicer):  # type: ignore[misc]  # the package has no types
    """Each RPC: read the request, one call into the emulator state, build the response."""

    def __init__(self, emulator: Emulator) -> None:
        super().__init__()
        self.emulator = emulator

    def CreateQueue(self, request: Any, context: Any) -> tasks_v2.Queue:
        return _answer(context, lambda: self.emulator.create_queue(request.parent, request.queue))

    def UpdateQueue(self, request: Any, context: Any) -> tasks_v2.Queue:
        paths = list(request.update_mask.paths) if "update_mask" in request else []
        return _answer(context, lambda: self.emulator.update_queue(request.queue, paths))

    def GetQueue(self, request: Any, context: Any) -> tasks_v2.Queue:
        return _answer(context, lambda: self.emulator.get_queue(request.name))

    def ListQueues(self, request: Any, context: Any) -> tasks_v2.ListQueuesResponse:
        def call() -> tasks_v2.ListQueuesResponse:
            queues = self.emulator.list_queues(request.parent)
            items, token = page(queues, request.page_size, request.page_token)
            return tasks_v2.ListQueuesResponse(queues=items, next_page_token=token)

        return _answer(context, call)

    def DeleteQueue(self, request: Any, context: Any) -> empty_pb2.Empty:
        _answer(context, lambda: self.emulator.delete_queue(request.name))
        return empty_pb2.Empty()

    def PurgeQueue(self, request: Any, context: Any) -> tasks_v2.Queue:
        return _answer(context, lambda: self.emulator.purge_queue(request.name))

    def PauseQueue(self, request: Any, context: Any) -> tasks_v2.Queue:
        return _answer(context, lambda: self.emulator.set_paused(request.name, paused=True))

    def ResumeQueue(self, request: Any, context: Any) -> tasks_v2.Queue:
        return _answer(context, lambda: self.emulator.set_paused(request.name, paused=False))

    def ListTasks(self, request: Any, context: Any) -> tasks_v2.ListTasksResponse:
        def call() -> tasks_v2.ListTasksResponse:
            tasks = self.emulator.list_tasks(request.parent, request.response_view)
            items, token = page(tasks, request.page_size, request.page_token)
            return tasks_v2.ListTasksResponse(tasks=items, next_page_token=token)

        return _answer(context, call)

    def GetTask(self, request: Any, context: Any) -> tasks_v2.Task:
        return _answer(context, lambda: self.emulator.get_task(request.name, request.response_view))

    def CreateTask(self, request: Any, context: Any) -> tasks_v2.Task:
        return _answer(
            context,
            lambda: self.emulator.create_task(request.parent, request.task, request.response_view),
        )

    def DeleteTask(self, request: Any, context: Any) -> empty_pb2.Empty:
        _answer(context, lambda: self.emulator.delete_task(request.name))
        return empty_pb2.Empty()

    def RunTask(self, request: Any, context: Any) -> tasks_v2.Task:
        return _answer(context, lambda: self.emulator.run_task(request.name, request.response_view))


def register(server: Any, emulator: Emulator) -> None:
    """Serve the Cloud Tasks API of ``emulator`` on a ``grpc.server``."""
    add_CloudTasksServicer_to_server(CloudTasks(emulator), server)
