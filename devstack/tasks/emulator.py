"""gcloud-tasks-emulator 0.6.2 with two fixes; runs under ``.venv-tasks/bin/python``, not ``.venv``.

Same command line as ``gcloud-tasks-emulator`` (``start --port P --default-queue Q ...``). Fixes:

- A queue purged while the dispatcher walks its snapshot of tasks made the next lookup raise
  ``NotFound`` in the dispatcher thread, which died: that queue never dispatched again. A task
  gone from the queue is now simply skipped (``RunTask`` on a missing task still answers NOT_FOUND).
- Dispatch had no deadline, so one hung target blocked its queue forever; it now times out after
  ``DEVSTACK_TASKS_DISPATCH_DEADLINE`` seconds (default 60) and counts as a failed attempt
  (Cloud Tasks' own dispatch deadline, 10 minutes by default, is longer than any local test).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from gcloud_tasks_emulator import server
from gcloud_tasks_emulator.__main__ import main
from google.api_core.exceptions import NotFound

_submit_task = server.QueueState.submit_task
_urlopen = server.request.urlopen
_DEADLINE = float(os.environ.get("DEVSTACK_TASKS_DISPATCH_DEADLINE", "60"))


def submit_task(self: Any, task_name: str, force_run: bool = False) -> Any:
    try:
        return _submit_task(self, task_name, force_run)
    except NotFound:
        if force_run:
            raise
        return None  # purged or deleted since the dispatcher's snapshot: nothing to do


def urlopen(req: Any, *args: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("timeout", _DEADLINE)
    return _urlopen(req, *args, **kwargs)


server.QueueState.submit_task = submit_task
server.request.urlopen = urlopen

if __name__ == "__main__":
    sys.exit(main())
