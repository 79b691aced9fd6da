"""After a provider refused or failed a send: retry, or fail for good (and what else to do).

Pure: the classified provider error (``shared.rules.provider_errors``) and where the attempt
stands in the queue's retry budget come in, the verdict comes out.

- A transient failure (outage, timeout, throttling) is retried by the queue, unless this was
  its last attempt (``max_attempts`` of the queue, known from the attempt number or from Cloud
  Tasks' own retry count): then it fails for good as ``retries_exhausted``.
- A permanent one fails for good with its kind as the reason (``invalid_recipient``,
  ``opted_out``...).
- A failure after which the provider may still have taken the message (a read timeout, a
  dropped connection) marks the notification ambiguous: the next attempt asks the provider
  before sending again.
- Failing for good creates the planned fallback; a provider saying the customer unsubscribed
  also opts them out of that channel.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.rules.error_codes import ErrorKind
from shared.rules.provider_errors import ProviderError


@dataclass(frozen=True)
class FailureVerdict:
    retry: bool
    reason: str  # statusReason: "retrying" while retried, else why it failed for good
    http_status: int  # what the queue is told: 429 / 503 to retry, 200 when finished
    mark_ambiguous: bool = False
    opt_out: bool = False
    fall_back: bool = False


def is_last_attempt(attempt: int, max_attempts: int, task_retry_count: int | None) -> bool:
    """Whether no retry will follow this attempt (``max_attempts`` < 1: unlimited)."""
    if max_attempts < 1:
        return False
    return attempt >= max_attempts or (
        task_retry_count is not None and task_retry_count + 1 >= max_attempts
    )


def on_failure(
    error: ProviderError, *, attempt: int, max_attempts: int, task_retry_count: int | None
) -> FailureVerdict:
    """What to do after ``error`` ended attempt number ``attempt``."""
    if error.transient and not is_last_attempt(attempt, max_attempts, task_retry_count):
        return FailureVerdict(
            retry=True,
            reason="retrying",
            http_status=429 if error.kind is ErrorKind.RATE_LIMITED else 503,
            mark_ambiguous=error.ambiguous,
        )
    return FailureVerdict(
        retry=False,
        reason="retries_exhausted" if error.transient else error.kind.value,
        http_status=200,
        opt_out=error.opt_out,
        fall_back=True,
    )
