"""Delivering one notification: claim, re-check, render, send, record. Exactly once in effect.

Cloud Tasks delivers at least once and concurrently. A worker owns an attempt only after
creating its claim document (``notification_claims/{id}_{generation}``) with ``create()``:
exactly one worker gets each generation. A claim carries a lease; a later worker may take the
next generation only once the lease has expired (the first worker died) or the notification
records that attempt as finished. Task-name dedup is never relied on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.channels.base import OutboundMessage, Sender, SendResult
from shared.channels.error_codes import ErrorKind
from shared.channels.errors import ProviderError
from shared.firestore import as_datetime, create_if_absent, get_db, read, utcnow
from shared.log import get_logger, log_context
from shared.models import Channel, NotificationStatus, Provider
from shared.pipeline import live_checks
from shared.pipeline.consent import opt_out_after_provider_refusal
from shared.pipeline.conversations import record_outbound
from shared.pipeline.fallback import trigger_fallback
from shared.pipeline.outbox import HISTORY
from shared.pipeline.rendering import build_message
from shared.pipeline.senders import SenderRegistry, get_senders
from shared.pipeline.shop import get_shop_settings
from shared.queues import NOTIFICATIONS_QUEUE
from shared.settings import get_settings
from shared.sms import analyze, estimate_cost
from shared.tasks import TaskQueue, get_queue

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference

log = get_logger(__name__)

CLAIMS = "notification_claims"
LEASE = timedelta(seconds=120)
MAX_CLAIM_STEPS = 20
LOOKUP_SLACK = timedelta(seconds=5)  # clocks of ours and the provider's differ a little
FINAL = {
    NotificationStatus.SENT,
    NotificationStatus.DELIVERED,
    NotificationStatus.READ,
    NotificationStatus.UNDELIVERED,
    NotificationStatus.FAILED,
    NotificationStatus.SKIPPED,
    NotificationStatus.CANCELLED,
}


@dataclass(frozen=True)
class Outcome:
    """What a delivery attempt ended with, and the HTTP status Cloud Tasks should see."""

    outcome: str
    http_status: int = 200
    detail: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def body(self, notification_id: str) -> dict[str, Any]:
        return {
            "notificationId": notification_id,
            "outcome": self.outcome,
            "detail": self.detail,
            **self.extra,
        }


@dataclass
class Delivery:
    """One delivery attempt; its collaborators are injected (defaults made lazily)."""

    db: Client
    senders: SenderRegistry
    queue: TaskQueue | None = None
    now: datetime = field(default_factory=utcnow)
    task_retry_count: int | None = None
    lease: timedelta = LEASE
    max_attempts: int = NOTIFICATIONS_QUEUE.max_attempts
    default_country: str = "FR"

    def ref(self, notification_id: str) -> DocumentReference:
        return self.db.collection(HISTORY).document(notification_id)

    def run(self, notification_id: str) -> Outcome:
        with log_context(notificationId=notification_id):
            return self._run(notification_id)

    def _run(self, notification_id: str) -> Outcome:
        ref = self.ref(notification_id)
        doc = read(ref)
        if doc is None:
            log.warning("no such notification; nothing to deliver")
            return Outcome("unknown_notification")
        status = NotificationStatus(str(doc.get("status", "unknown")))
        if status in FINAL:
            return Outcome("already_final", extra={"status": status.value})
        due = as_datetime(doc.get("scheduledFor"))
        if (
            status is NotificationStatus.SCHEDULED
            and due
            and due > self.now + timedelta(seconds=30)
        ):
            return Outcome("not_due", detail=f"scheduled for {due.isoformat()}")

        claim = self._claim(notification_id, doc)
        if claim is None:
            return Outcome("in_progress", 503, "another attempt holds the lease")
        generation, abandoned_since = claim
        # An earlier attempt may have reached the provider without us learning it: its worker
        # died after claiming (abandoned lease) or its answer was lost (ambiguous timeout).
        suspect_since = abandoned_since or as_datetime(doc.get("ambiguousSince"))
        with log_context(attempt=generation):
            return self._attempt(notification_id, ref, doc, generation, suspect_since)

    # -- claiming -----------------------------------------------------------------------------

    def _claim(
        self, notification_id: str, doc: Mapping[str, Any]
    ) -> tuple[int, datetime | None] | None:
        """Create the next free claim: (generation, start of an abandoned earlier attempt).

        None while a live lease is held by someone else.
        """
        generation = int(doc.get("attempts") or 0) + 1
        abandoned_since: datetime | None = None
        for _ in range(MAX_CLAIM_STEPS):
            claim_ref = self.db.collection(CLAIMS).document(f"{notification_id}_{generation}")
            claim = {
                "notificationId": notification_id,
                "generation": generation,
                "createdAt": self.now,
                "leaseExpiresAt": self.now + self.lease,
                "taskRetryCount": self.task_retry_count,
            }
            if create_if_absent(claim_ref, claim):
                return generation, abandoned_since
            existing = read(claim_ref) or {}
            lease_end = as_datetime(existing.get("leaseExpiresAt"))
            if lease_end is not None and lease_end > self.now:
                return None
            started = as_datetime(existing.get("createdAt")) or lease_end
            if started is not None and (abandoned_since is None or started < abandoned_since):
                abandoned_since = started
            generation += 1
        return None

    # -- one attempt --------------------------------------------------------------------------

    def _attempt(
        self,
        notification_id: str,
        ref: DocumentReference,
        doc: dict[str, Any],
        generation: int,
        suspect_since: datetime | None = None,
    ) -> Outcome:
        shop = get_shop_settings(self.db)
        check = live_checks.check(
            self.db, doc, now=self.now, shop=shop, default_country=self.default_country
        )
        if check.cancel:
            self._finish(ref, NotificationStatus.CANCELLED, generation, reason=check.reason)
            return Outcome("cancelled", detail=check.reason)
        if check.reschedule_at is not None:
            return self._reschedule(notification_id, ref, generation, check.reschedule_at)

        channel = Channel(str(doc.get("channel")))
        provider = Provider(str(doc["provider"])) if doc.get("provider") else None
        sender = self.senders.sender_for(channel, provider)
        if sender is None:
            self._finish(
                ref, NotificationStatus.SKIPPED, generation, reason="provider_not_configured"
            )
            return Outcome("skipped", detail="provider_not_configured")
        message = build_message(notification_id, doc, check.profile, now=self.now, shop=shop)
        if message is None:
            self._finish(ref, NotificationStatus.SKIPPED, generation, reason="nothing_to_send")
            return Outcome("skipped", detail="nothing_to_send")
        try:
            previous = self._find_previous(sender, message, suspect_since)
            result = previous or self._send(sender, message)
        except ProviderError as exc:
            return self._failed(notification_id, ref, doc, generation, exc)
        if previous is not None:
            log.info("an earlier attempt had been accepted; recording it instead of resending")
        self._record_sent(ref, doc, generation, message, result)
        record_outbound(self.db, notification_id, doc, message, result, now=self.now)
        if result.invalid_tokens and doc.get("customerId"):
            live_checks.remove_push_tokens(self.db, str(doc["customerId"]), result.invalid_tokens)
        return Outcome("sent", extra={"providerMessageId": result.provider_message_id})

    def _find_previous(
        self, sender: Sender, message: OutboundMessage, since: datetime | None
    ) -> SendResult | None:
        """Ask the provider whether an earlier attempt got through (each adapter's policy)."""
        if since is None:
            return None
        return sender.find_previous(message, since - LOOKUP_SLACK)

    def _send(self, sender: Sender, message: OutboundMessage) -> SendResult:
        try:
            return sender.send(message)
        except ProviderError as exc:
            if exc.window_closed and not message.use_template and message.template is not None:
                log.info("WhatsApp window closed at the provider; resending as a template")
                return sender.send(replace(message, use_template=True))
            raise

    def _record_sent(
        self,
        ref: DocumentReference,
        doc: Mapping[str, Any],
        generation: int,
        message: OutboundMessage,
        result: SendResult,
    ) -> None:
        metadata: dict[str, Any] = dict(doc.get("metadata") or {})
        if message.channel is Channel.SMS:
            info = analyze(message.text)
            cost = estimate_cost(info.segments, str(doc.get("country") or ""))
            metadata.update(
                segments=result.segments or info.segments,
                encoding=info.encoding,
                cost=cost.amount,
                currency=cost.currency,
                costEstimated=True,
            )
        if message.use_template:
            metadata["whatsappTemplate"] = True
        update: dict[str, Any] = {
            "status": NotificationStatus.SENT.value,
            "statusReason": doc.get("statusReason", ""),
            "attempts": generation,
            "sentAt": self.now,
            "updatedAt": self.now,
            "provider": result.provider.value,
            "providerMessageId": result.provider_message_id,
            "providerStatus": result.status,
            "metadata": metadata,
        }
        if result.price is not None:
            update["metadata"]["providerPrice"] = result.price
            update["metadata"]["providerPriceUnit"] = result.price_unit
        ref.update(update)

    def _failed(
        self,
        notification_id: str,
        ref: DocumentReference,
        doc: Mapping[str, Any],
        generation: int,
        exc: ProviderError,
    ) -> Outcome:
        code = str(exc.code) if exc.code is not None else None
        last_attempt = generation >= self.max_attempts or (
            self.task_retry_count is not None and self.task_retry_count + 1 >= self.max_attempts
        )
        if exc.transient and not last_attempt:
            log.warning("transient provider failure, the queue will retry: %s", exc)
            update: dict[str, Any] = {}
            if exc.ambiguous and not doc.get("ambiguousSince"):
                update["ambiguousSince"] = self.now
            ref.update(
                {
                    **update,
                    "status": NotificationStatus.SENDING.value,
                    "statusReason": "retrying",
                    "attempts": generation,
                    "lastAttemptAt": self.now,
                    "errorCode": code,
                    "errorMessage": str(exc.message)[:500],
                    "updatedAt": self.now,
                }
            )
            status = 429 if exc.kind is ErrorKind.RATE_LIMITED else 503
            return Outcome("retry", status, str(exc), {"errorCode": code})
        reason = "retries_exhausted" if exc.transient else exc.kind.value
        log.warning("delivery failed for good (%s): %s", reason, exc)
        self._finish(
            ref,
            NotificationStatus.FAILED,
            generation,
            reason=reason,
            error_code=code,
            error_message=str(exc.message)[:500],
        )
        if exc.opt_out:
            opt_out_after_provider_refusal(self.db, notification_id, doc, now=self.now)
        fallback_id = trigger_fallback(
            self.db, notification_id, doc, queue=self.queue or get_queue(), now=self.now
        )
        return Outcome(
            "failed", detail=reason, extra={"errorCode": code, "fallbackId": fallback_id}
        )

    def _finish(
        self,
        ref: DocumentReference,
        status: NotificationStatus,
        generation: int,
        *,
        reason: str,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        update: dict[str, Any] = {
            "status": status.value,
            "statusReason": reason,
            "attempts": generation,
            "updatedAt": self.now,
            f"{status.value}At": self.now,
        }
        if error_code is not None or error_message is not None:
            update["errorCode"] = error_code
            update["errorMessage"] = error_message
        ref.update(update)

    def _reschedule(
        self, notification_id: str, ref: DocumentReference, generation: int, when: datetime
    ) -> Outcome:
        """Quiet hours began: give the attempt back and come back at the next allowed minute."""
        queue = self.queue or get_queue()
        queue.enqueue(notification_id, generation=generation, schedule_time=when)
        ref.update(
            {
                "status": NotificationStatus.SCHEDULED.value,
                "scheduledFor": when,
                "scheduledAt": self.now,
                "attempts": generation,
                "updatedAt": self.now,
            }
        )
        return Outcome("scheduled", detail=f"quiet hours until {when.isoformat()}")


def deliver(
    notification_id: str,
    *,
    db: Client | None = None,
    senders: SenderRegistry | None = None,
    queue: TaskQueue | None = None,
    now: datetime | None = None,
    task_retry_count: int | None = None,
) -> Outcome:
    """Deliver one notification (the body of ``deliver_notification``)."""
    return Delivery(
        db=db or get_db(),
        senders=senders or get_senders(get_settings()),
        queue=queue,
        now=now or utcnow(),
        task_retry_count=task_retry_count,
        lease=timedelta(seconds=get_settings().delivery_lease_seconds),
        default_country=get_settings().default_country,
    ).run(notification_id)
