"""One cart reminder, exactly once: claim, discount code, cart stage, plan and outbox.

The claim is ``cart_reminders/{cartId}_{episode}_{stage}``, created with ``create()``: of two
sweeps finding the same cart, one creates it. Each later step is idempotent (deterministic
notification ids, the code kept in the claim), so a claim whose worker died is taken over
once its lease expires and finished by whoever comes next; ``done`` claims are never redone.

The cart's stage is recorded *before* the reminder is planned: delivery cancels a cart reminder
whose cart is back at stage 0 (``shared.carts.episodes.abandoned_reason``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.adapters.tasks import TaskQueue
from shared.flows.outbox import submit
from shared.model.documents import CustomerContext
from shared.model.enums import CartStatus, EventKey
from shared.model.ids import reminder_event_id
from shared.model.shop import ShopSettings
from shared.platform.clock import as_datetime
from shared.platform.log import get_logger
from shared.platform.settings import Settings
from shared.rules.cart_episodes import cart_status, episode_of, reminder_stage
from shared.rules.changes import CustomerEvent
from shared.rules.planner import Source, plan_drafts
from shared.store.carts import CART_REMINDERS, CARTS, Reads
from shared.store.client import create_if_absent, read
from shared.store.customers import load_customer
from shared.store.discounts import Offer, ensure_code

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)

LEASE = timedelta(minutes=10)
STAGE_KEYS = {1: EventKey.CART_REMINDER_1, 2: EventKey.CART_REMINDER_2}
CLAIMED, DONE, ABANDONED = "claimed", "done", "abandoned"


def claim_id(cart_id: str, episode: str, stage: int) -> str:
    return f"{cart_id}_{episode}_{stage}"


def source_event_id(cart_id: str, episode: str, stage: int) -> str:
    """The ``sourceEventId`` of a reminder: one per (cart, episode, stage)."""
    return reminder_event_id("cart", cart_id, f"{episode}:{stage}")


@dataclass(frozen=True)
class DueCart:
    """A cart the sweep found due for ``stage``; ``update_time`` is its snapshot's."""

    cart_id: str
    data: Mapping[str, Any]
    stage: int
    update_time: datetime | None = None

    @property
    def episode(self) -> str:
        episode = episode_of(self.data)
        if episode is None:
            raise ValueError(f"cart {self.cart_id} has no updatedAt")
        return episode


@dataclass(frozen=True)
class Outcome:
    """What happened to one due cart: ``reminded``, ``already_done``, ``in_progress``,
    ``cart_changed``; with the messages planned (id -> status) when reminded."""

    cart_id: str
    stage: int
    outcome: str
    messages: Mapping[str, str] = field(default_factory=dict)


def still_wanted(cart: Mapping[str, Any] | None, episode: str, stage: int) -> bool:
    """Whether a reminder of (episode, stage) may still be completed for this cart as it is."""
    if cart is None or cart_status(cart) is not CartStatus.ACTIVE:
        return False
    if episode_of(cart) != episode:
        return False
    current = reminder_stage(cart)
    if current == stage:
        return cart.get("reminderEpisode") in (None, episode)
    return current == stage - 1


def customer_reads(cart: Mapping[str, Any], customer: CustomerContext) -> int:
    """Documents ``load_customer`` read: the profile (when named) and the client record."""

    def usable(value: Any) -> bool:
        return isinstance(value, str) and bool(value.strip()) and "/" not in value

    client_id = cart.get("clientId")
    if not (isinstance(client_id, str) and client_id.strip()):
        client_id = customer.profile.client_id if customer.profile else None
    return int(usable(customer.customer_id)) + int(usable(client_id))


@dataclass
class Reminders:
    """Sends the reminders of one sweep; collaborators injected."""

    db: Client
    queue: TaskQueue | None
    settings: Settings
    shop: ShopSettings
    now: datetime
    reads: Reads

    def remind(self, due: DueCart) -> Outcome:
        """Claim (cart, episode, stage) and see the reminder through, or say who has it."""
        episode = due.episode
        ref = self.db.collection(CART_REMINDERS).document(claim_id(due.cart_id, episode, due.stage))
        offer = self._new_offer() if due.stage == 2 else None
        claim: dict[str, Any] = {
            "cartId": due.cart_id,
            "customerId": due.data.get("customerId"),
            "episode": episode,
            "stage": due.stage,
            "state": CLAIMED,
            "claimedAt": self.now,
            "leaseExpiresAt": self.now + LEASE,
            **(offer.claim_fields() if offer else {}),
        }
        if not create_if_absent(ref, claim):
            existing = read(ref) or {}
            self.reads.get()
            state = existing.get("state")
            if state == DONE:
                self._restore_stage(due, episode)
                return Outcome(due.cart_id, due.stage, "already_done")
            lease_end = as_datetime(existing.get("leaseExpiresAt"))
            if state == CLAIMED and (lease_end is None or lease_end > self.now):
                return Outcome(due.cart_id, due.stage, "in_progress")
            # An expired claim (its worker died), or one abandoned when the cart looked changed
            # but that the sweep now finds due again: take it over and finish it.
            offer = Offer.from_claim(existing) if due.stage == 2 else None
            takeover: dict[str, Any] = {
                "state": CLAIMED,
                "claimedAt": self.now,
                "leaseExpiresAt": self.now + LEASE,
            }
            if due.stage == 2 and offer is None:
                offer = self._new_offer()
                takeover.update(offer.claim_fields())
            ref.update(takeover)
            log.info("took over the expired reminder claim %s", ref.id)
        return self.complete(due, episode, offer)

    def resume(self, claim: Mapping[str, Any], claim_ref_id: str) -> Outcome:
        """Finish a claim whose worker died after claiming (found by the sweep's stuck query)."""
        cart_id, episode, stage = str(claim["cartId"]), str(claim["episode"]), int(claim["stage"])
        claim_ref = self.db.collection(CART_REMINDERS).document(claim_ref_id)
        snap = self.db.collection(CARTS).document(cart_id).get()
        self.reads.get()
        cart = snap.to_dict() if snap.exists else None
        if not still_wanted(cart, episode, stage):
            claim_ref.update({"state": ABANDONED, "completedAt": self.now})
            return Outcome(cart_id, stage, "cart_changed")
        assert cart is not None
        claim_ref.update({"claimedAt": self.now, "leaseExpiresAt": self.now + LEASE})
        offer = Offer.from_claim(claim) if stage == 2 else None
        if stage == 2 and offer is None:
            offer = self._new_offer()
            claim_ref.update(offer.claim_fields())
        due = DueCart(cart_id, cart, stage, snap.update_time)
        return self.complete(due, episode, offer)

    def complete(self, due: DueCart, episode: str, offer: Offer | None) -> Outcome:
        """Code, cart stage, plan, outbox, then the claim marked done. Idempotent."""
        claim_ref = self.db.collection(CART_REMINDERS).document(
            claim_id(due.cart_id, episode, due.stage)
        )
        customer_id = due.data.get("customerId")
        if offer is not None:
            ensure_code(
                self.db,
                offer,
                cart_id=due.cart_id,
                customer_id=customer_id if isinstance(customer_id, str) else None,
                now=self.now,
            )
        cart = self._record_stage(due, episode, offer)
        if cart is None:
            claim_ref.update({"state": ABANDONED, "completedAt": self.now})
            return Outcome(due.cart_id, due.stage, "cart_changed")

        customer = load_customer(self.db, cart)
        self.reads.get(customer_reads(cart, customer))
        source = dict(cart)
        if offer is not None:
            source.update(offer.claim_fields())
        drafts = plan_drafts(
            CustomerEvent(STAGE_KEYS[due.stage]),
            source=Source("cartId", due.cart_id, source),
            customer=customer,
            event_id=source_event_id(due.cart_id, episode, due.stage),
            settings=self.settings,
            shop=self.shop,
            now=self.now,
        )
        drafts = [replace(d, refs={**d.refs, "cartEpisode": episode}) for d in drafts]
        results = submit(drafts, db=self.db, queue=self.queue, now=self.now)
        self.reads.get(sum(1 for r in results if not r.created))
        messages = {r.notification_id: r.status.value for r in results}
        claim_ref.update(
            {
                "state": DONE,
                "completedAt": self.now,
                "notificationIds": list(messages),
                "statuses": dict(Counter(messages.values())),
            }
        )
        log.info(
            "cart %s: reminder %d planned (%s)",
            due.cart_id,
            due.stage,
            ", ".join(sorted(set(messages.values()))) or "no message",
            extra={"cartId": due.cart_id, "episode": episode},
        )
        return Outcome(due.cart_id, due.stage, "reminded", messages)

    # -- helpers ------------------------------------------------------------------------------

    def _new_offer(self) -> Offer:
        return Offer.new(
            percent=self.shop.discount_percent,
            valid_days=self.shop.discount_valid_days,
            now=self.now,
        )

    def _stage_fields(self, stage: int, episode: str, offer: Offer | None) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "reminderStage": stage,
            "reminderEpisode": episode,
            "lastReminderAt": self.now,
            f"reminder{stage}At": self.now,
        }
        if offer is not None:
            fields["discountCode"] = offer.code
        return fields

    def _record_stage(
        self, due: DueCart, episode: str, offer: Offer | None
    ) -> Mapping[str, Any] | None:
        """Write the stage on the cart unless it is there; the cart as it now is, or ``None``
        when the customer came back (or it was bought) since the sweep read it."""
        from google.api_core.exceptions import FailedPrecondition  # noqa: PLC0415

        cart: Mapping[str, Any] | None = due.data
        update_time = due.update_time
        ref = self.db.collection(CARTS).document(due.cart_id)
        for _ in range(2):
            if not still_wanted(cart, episode, due.stage):
                return None
            if reminder_stage(cart) == due.stage:
                return cart
            fields = self._stage_fields(due.stage, episode, offer)
            option = self.db.write_option(last_update_time=update_time) if update_time else None
            try:
                ref.update(fields, option=option)
            except FailedPrecondition:
                snap = ref.get()  # someone wrote the cart since we read it: look again
                self.reads.get()
                cart = snap.to_dict() if snap.exists else None
                update_time = snap.update_time if snap.exists else None
                continue
            return {**(cart or {}), **fields}
        return None

    def _restore_stage(self, due: DueCart, episode: str) -> None:
        """A done claim but a cart still below its stage (a late write reset it): put it back,
        so the next sweep moves on to the next stage instead of finding this one again."""
        if episode_of(due.data) == episode and reminder_stage(due.data) < due.stage:
            fields = {"reminderStage": due.stage, "reminderEpisode": episode}
            self.db.collection(CARTS).document(due.cart_id).update(fields)
