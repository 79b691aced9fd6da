"""Delivering one notification: claim, re-check, render, send, record. Exactly once in effect.

Cloud Tasks delivers at least once and concurrently. A worker owns an attempt only after
claiming the history document (``shared.store.claims``: the ``claim`` field, taken by a write
that holds only if nobody wrote since its read): exactly one worker gets each attempt. The claim
carries a lease; a later worker takes the next attempt once the previous one gave it back (a
transient failure) or its lease expired (the worker died: the provider is then asked whether
that attempt got through before sending again).
Task-name dedup is never relied on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.adapters.channels.meta_whatsapp import DEFAULT_TEMPLATE_LANGUAGE
from shared.adapters.channels.senders import SenderRegistry, get_senders
from shared.adapters.tasks import TaskQueue, get_queue
from shared.flows import live_checks
from shared.flows.consent import opt_out_after_provider_refusal
from shared.flows.fallback import trigger_fallback
from shared.flows.templates_status import template_usability
from shared.model.enums import Channel, NotificationStatus, Provider
from shared.model.messages import OutboundMessage, Sender, SendResult
from shared.model.record import InvalidRecordError, NotificationRecord
from shared.model.status import AFTER_ATTEMPT, can_transition
from shared.platform.clock import as_datetime, utcnow
from shared.platform.log import get_logger, log_context
from shared.platform.queues import NOTIFICATIONS_QUEUE, queue_for
from shared.platform.settings import get_settings
from shared.rules.delivery_policy import on_failure
from shared.rules.provider_errors import ErrorKind, ProviderError, provider_error
from shared.rules.rendering import build_message, sms_estimate
from shared.store import claims, customers, history
from shared.store.client import compare_and_set, get_db
from shared.store.conversations import outbound_write
from shared.store.shop import get_shop_settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference

log = get_logger(__name__)

LEASE = timedelta(seconds=120)
LOOKUP_SLACK = timedelta(seconds=5)  # clocks of ours and the provider's differ a little
# What a send returned: recorded even when a status callback already moved the notification on
# (where the callback did not already say it: its cost beats our estimate).
SENT_FACTS = frozenset({"sentAt", "provider", "providerMessageId"})


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

    def __post_init__(self) -> None:
        # The history document as this attempt's claim left it, and that write's update time:
        # the base of every write of the attempt (a precondition, no read).
        self._base: tuple[dict[str, Any], datetime | None] = ({}, None)

    def ref(self, notification_id: str) -> DocumentReference:
        return history.ref(self.db, notification_id)

    def run(self, notification_id: str) -> Outcome:
        with log_context(notificationId=notification_id):
            return self._run(notification_id)

    def _run(self, notification_id: str) -> Outcome:
        ref = self.ref(notification_id)
        try:
            claim = claims.claim(
                self.db,
                ref,
                now=self.now,
                lease=self.lease,
                precheck=self._moot,
                also=lambda attempt: {"attempts": attempt, "updatedAt": self.now},
            )
        except claims.ClaimBusyError:
            return Outcome("in_progress", 503, "another attempt holds the lease")
        if claim.outcome is claims.ClaimOutcome.COMPLETED:
            status = str(claim.doc.get("status") or "unknown")
            return Outcome("already_final", extra={"status": status})
        if not claim.taken:
            if claim.reason == "missing":
                log.warning("no such notification; nothing to deliver")
                return Outcome("unknown_notification")
            if claim.reason == "already_final":
                return Outcome("already_final", extra={"status": claim.doc.get("status")})
            due = as_datetime(claim.doc.get("scheduledFor"))
            return Outcome("not_due", detail=f"scheduled for {due.isoformat() if due else '?'}")
        # An earlier attempt may have reached the provider without us learning it: its worker
        # died after claiming (expired lease) or its answer was lost (ambiguous timeout).
        self._base = (dict(claim.doc), claim.update_time)
        try:
            record = NotificationRecord.from_document(notification_id, claim.doc)
        except InvalidRecordError as exc:
            log.warning("skipped an unreadable notification: %s", exc)
            self._finish(ref, NotificationStatus.SKIPPED, claim.attempt, reason="invalid_record")
            return Outcome("skipped", detail="invalid_record")
        suspect_since = claim.resumed_from or record.ambiguous_since
        with log_context(attempt=claim.attempt):
            return self._attempt(record, ref, claim.attempt, suspect_since)

    def _moot(self, doc: Mapping[str, Any] | None) -> str | None:
        """Why this notification needs no attempt now (claims' precheck), or None."""
        if doc is None:
            return "missing"
        status = NotificationStatus(str(doc.get("status", "unknown")))
        if status in AFTER_ATTEMPT:
            return "already_final"
        due = as_datetime(doc.get("scheduledFor"))
        if (
            status is NotificationStatus.SCHEDULED
            and due
            and due > self.now + timedelta(seconds=30)
        ):
            return "not_due"
        return None

    # -- one attempt --------------------------------------------------------------------------

    def _attempt(
        self,
        record: NotificationRecord,
        ref: DocumentReference,
        generation: int,
        suspect_since: datetime | None = None,
    ) -> Outcome:
        shop = get_shop_settings(self.db)
        check = live_checks.check(
            self.db, record, now=self.now, shop=shop, default_country=self.default_country
        )
        if check.cancel:
            self._finish(ref, NotificationStatus.CANCELLED, generation, reason=check.reason)
            return Outcome("cancelled", detail=check.reason)
        if check.hold:
            return self._hold(ref, generation, check.reason)
        if check.reschedule_at is not None:
            return self._reschedule(record, ref, generation, check.reschedule_at)

        sender = self.senders.sender_for(record.channel, record.provider)
        if sender is None:
            self._finish(
                ref, NotificationStatus.SKIPPED, generation, reason="provider_not_configured"
            )
            return Outcome("skipped", detail="provider_not_configured")
        message = build_message(record, check.profile, now=self.now, shop=shop)
        if message is None:
            self._finish(ref, NotificationStatus.SKIPPED, generation, reason="nothing_to_send")
            return Outcome("skipped", detail="nothing_to_send")
        try:
            previous = self._find_previous(sender, message, suspect_since)
            result = previous or self._send(sender, message)
        except ProviderError as exc:
            return self._failed(record, ref, generation, exc)
        if previous is not None:
            log.info("an earlier attempt had been accepted; recording it instead of resending")
        self._record_sent(ref, record, generation, message, result)
        if result.invalid_tokens and record.customer_id:
            customers.remove_push_tokens(self.db, record.customer_id, result.invalid_tokens)
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
            self._check_template(sender, message)
            return sender.send(message)
        except ProviderError as exc:
            if exc.window_closed and not message.use_template and message.template is not None:
                log.info("WhatsApp window closed at the provider; resending as a template")
                as_template = replace(message, use_template=True)
                self._check_template(sender, as_template)
                return sender.send(as_template)
            raise

    def _check_template(self, sender: Sender, message: OutboundMessage) -> None:
        """A Meta template that Meta paused, rejected, disabled... (its status webhooks,
        ``shared.flows.templates_status``) fails as a missing one does: permanently, reason
        ``template``, ``errorCode`` the rule's reason (``template_paused``), then the fallback."""
        template = message.template
        if sender.provider is not Provider.META or not message.use_template:
            return
        if template is None or not template.meta_name:
            return  # the adapter refuses it: no approved template at all
        language = template.meta_language or DEFAULT_TEMPLATE_LANGUAGE
        verdict = template_usability(self.db, template.meta_name, language)
        if not verdict.usable:
            raise provider_error(
                Provider.META,
                ErrorKind.TEMPLATE,
                f"the WhatsApp template {template.meta_name} ({language}) may not be used: "
                f"{verdict.reason}",
                code=verdict.reason,
            )

    def _record_sent(
        self,
        ref: DocumentReference,
        record: NotificationRecord,
        generation: int,
        message: OutboundMessage,
        result: SendResult,
    ) -> None:
        metadata: dict[str, Any] = {}
        if message.channel is Channel.SMS:
            metadata.update(sms_estimate(message.text, record.country))
            if result.segments:
                metadata["segments"] = result.segments
        if message.use_template:
            metadata["whatsappTemplate"] = True
        if result.price is not None:
            metadata.update(providerPrice=result.price, providerPriceUnit=result.price_unit)
        update: dict[str, Any] = {
            "status": NotificationStatus.SENT.value,
            "statusReason": record.status_reason,
            "attempts": generation,
            "sentAt": self.now,
            "updatedAt": self.now,
            "provider": result.provider.value,
            "providerMessageId": result.provider_message_id,
            "providerStatus": result.status,
            **{f"metadata.{k}": v for k, v in metadata.items()},
        }
        # The conversation's copy of the message goes in the same commit (one round trip).
        conversation = outbound_write(self.db, record, message, result, now=self.now)
        also = [conversation] if conversation is not None else []
        self._write(ref, update, done=True, facts=SENT_FACTS, also=also)

    def _failed(
        self,
        record: NotificationRecord,
        ref: DocumentReference,
        generation: int,
        exc: ProviderError,
    ) -> Outcome:
        code = str(exc.code) if exc.code is not None else None
        verdict = on_failure(
            exc,
            attempt=generation,
            max_attempts=self.max_attempts,
            task_retry_count=self.task_retry_count,
        )
        if verdict.retry:
            log.warning("transient provider failure, the queue will retry: %s", exc)
            update: dict[str, Any] = {}
            if verdict.mark_ambiguous and record.ambiguous_since is None:
                update["ambiguousSince"] = self.now
            self._write(
                ref,
                {
                    **update,
                    "status": NotificationStatus.SENDING.value,
                    "statusReason": verdict.reason,
                    "attempts": generation,
                    "lastAttemptAt": self.now,
                    "errorCode": code,
                    "errorMessage": str(exc.message)[:500],
                    "updatedAt": self.now,
                },
                done=False,
            )
            return Outcome("retry", verdict.http_status, str(exc), {"errorCode": code})
        log.warning("delivery failed for good (%s): %s", verdict.reason, exc)
        self._finish(
            ref,
            NotificationStatus.FAILED,
            generation,
            reason=verdict.reason,
            error_code=code,
            error_message=str(exc.message)[:500],
        )
        if verdict.opt_out:
            opt_out_after_provider_refusal(self.db, record, code, now=self.now)
        fallback_id = None
        if verdict.fall_back:
            fallback_id = trigger_fallback(
                self.db, record, queue=self.queue or get_queue(), now=self.now
            )
        return Outcome(
            "failed", detail=verdict.reason, extra={"errorCode": code, "fallbackId": fallback_id}
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
        self._write(ref, update, done=True)

    def _write(
        self,
        ref: DocumentReference,
        fields: Mapping[str, Any],
        *,
        done: bool,
        facts: frozenset[str] = frozenset(),
        also: Sequence[tuple[DocumentReference, Mapping[str, Any]]] = (),
    ) -> None:
        """One write of this attempt's outcome, with the claim completed (``done``) or given
        back. Forward-only: when a provider's status callback moved the notification past the
        outcome meanwhile (a Meta status carries our id and may beat our own ``sent``), only the
        claim and the ``facts`` (what the send returned) are written, never the older status."""
        closing = claims.completed_fields(self.now) if done else claims.released_fields(self.now)

        def decide(current: dict[str, Any] | None) -> dict[str, Any]:
            if current is None:
                return {}
            now_status = str(current.get("status") or "unknown")
            new_status = str(fields.get("status") or now_status)
            if new_status == now_status or can_transition(now_status, new_status):
                return {**fields, **closing}
            kept = {
                k: v
                for k, v in fields.items()
                if (k in facts or (facts and k.startswith("metadata."))) and _absent(current, k)
            }
            return {**kept, **closing}

        base, version = self._base
        known = (base, version) if version is not None else None
        written = compare_and_set(ref, decide, known=known, also=also, db=self.db)
        self._base = ({**(written.current or {}), **written.fields}, written.update_time)

    def _reschedule(
        self, record: NotificationRecord, ref: DocumentReference, generation: int, when: datetime
    ) -> Outcome:
        """Quiet hours began: give the attempt back and come back at the next allowed minute
        (on the record's own queue: a campaign's messages never wait on the service queue)."""
        queue = self.queue or get_queue(queue_for(record.type))
        queue.enqueue(record.notification_id, generation=generation, schedule_time=when)
        self._write(
            ref,
            {
                "status": NotificationStatus.SCHEDULED.value,
                "scheduledFor": when,
                "scheduledAt": self.now,
                "attempts": generation,
                "updatedAt": self.now,
            },
            done=False,
        )
        return Outcome("scheduled", detail=f"quiet hours until {when.isoformat()}")

    def _hold(self, ref: DocumentReference, generation: int, reason: str) -> Outcome:
        """Its campaign is paused: give the attempt back and keep no task; resuming the
        campaign enqueues the message again (``shared.flows.campaigns.resume``)."""
        self._write(
            ref,
            {
                "status": NotificationStatus.SCHEDULED.value,
                "statusReason": reason,
                "heldAt": self.now,
                "attempts": generation,
                "updatedAt": self.now,
            },
            done=False,
        )
        return Outcome("held", detail=reason)


def _absent(doc: Mapping[str, Any], path: str) -> bool:
    """Whether a field (``a`` or ``a.b``) of ``doc`` is missing or null."""
    head, _, tail = path.partition(".")
    value = doc.get(head)
    if tail:
        value = value.get(tail) if isinstance(value, Mapping) else None
    return value is None


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
