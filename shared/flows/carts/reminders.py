"""One cart reminder, exactly once: claim, discount code, cart stage, plan and outbox.

The claim is ``cart_reminders/{cartId}_{episode}_{stage}`` (``shared.store.claims``): of two
sweeps finding the same cart, one takes it. Each later step is idempotent (deterministic
notification ids, the code kept in the claim), so a claim whose worker died is taken over
once its lease expires and finished by whoever comes next; completed claims are never redone.

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
from shared.flows.consent import facts_for_plan
from shared.flows.outbox import submit
from shared.model.documents import CustomerContext
from shared.model.enums import CartStatus, EventKey
from shared.model.ids import cart_reminder_id, reminder_event_id
from shared.model.shop import ShopSettings
from shared.platform.log import get_logger
from shared.platform.settings import Settings
from shared.rules.cart_episodes import cart_status, episode_of, reminder_stage
from shared.rules.changes import CustomerEvent
from shared.rules.planner import Source, plan_drafts
from shared.store import claims
from shared.store.carts import Reads, cart_ref, reminder_ref
from shared.store.customers import load_customer
from shared.store.discounts import Offer, ensure_code

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)

LEASE = timedelta(minutes=10)
STAGE_KEYS = {1: EventKey.CART_REMINDER_1, 2: EventKey.CART_REMINDER_2}


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
        ref = reminder_ref(self.db, cart_reminder_id(due.cart_id, episode, due.stage))
        fresh_offer = self._new_offer() if due.stage == 2 else None
        try:
            claim = claims.claim(
                self.db,
                ref,
                now=self.now,
                lease=LEASE,
                create={
                    "cartId": due.cart_id,
                    "customerId": due.data.get("customerId"),
                    "episode": episode,
                    "stage": due.stage,
                    **(fresh_offer.claim_fields() if fresh_offer else {}),
                },
            )
        except claims.ClaimBusyError:
            return Outcome(due.cart_id, due.stage, "in_progress")
        if not claim.created:
            self.reads.get()  # the claim document was there already, and read
        if claim.outcome is claims.ClaimOutcome.COMPLETED:
            self._restore_stage(due, episode)
            return Outcome(due.cart_id, due.stage, "already_done")
        if not claim.created:
            # An expired claim (its worker died), or one given back when the cart looked
            # changed but that the sweep now finds due again: take it over and finish it.
            log.info("took over the reminder claim %s", ref.id)
        return self.complete(due, episode, self._offer(due.stage, claim.doc, ref))

    def resume(self, claim_doc: Mapping[str, Any], claim_ref_id: str) -> Outcome:
        """Finish a claim whose worker died after claiming (found by the sweep's stuck query)."""
        cart_id, episode = str(claim_doc["cartId"]), str(claim_doc["episode"])
        stage = int(claim_doc["stage"])
        ref = reminder_ref(self.db, claim_ref_id)
        snap = cart_ref(self.db, cart_id).get()
        self.reads.get()
        cart = snap.to_dict() if snap.exists else None
        if not still_wanted(cart, episode, stage):
            claims.release(ref, self.now)
            return Outcome(cart_id, stage, "cart_changed")
        assert cart is not None
        try:
            claim = claims.claim(self.db, ref, now=self.now, lease=LEASE)
        except claims.ClaimBusyError:
            return Outcome(cart_id, stage, "in_progress")
        if not claim.taken:
            return Outcome(cart_id, stage, "already_done")
        due = DueCart(cart_id, cart, stage, snap.update_time)
        return self.complete(due, episode, self._offer(stage, claim.doc, ref))

    def complete(self, due: DueCart, episode: str, offer: Offer | None) -> Outcome:
        """Code, cart stage, plan, outbox, then the claim completed. Idempotent."""
        ref = reminder_ref(self.db, cart_reminder_id(due.cart_id, episode, due.stage))
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
            claims.release(ref, self.now)
            return Outcome(due.cart_id, due.stage, "cart_changed")

        customer = load_customer(self.db, cart)
        self.reads.get(customer_reads(cart, customer))
        source = dict(cart)
        if offer is not None:
            source.update(offer.claim_fields())
        key = STAGE_KEYS[due.stage]
        consent = facts_for_plan(
            self.db,
            customer,
            source,
            [key],
            default_country=self.settings.default_country,
            on_query=self.reads.query,
        )
        drafts = plan_drafts(
            CustomerEvent(key),
            source=Source("cartId", due.cart_id, source),
            customer=customer,
            event_id=source_event_id(due.cart_id, episode, due.stage),
            settings=self.settings,
            shop=self.shop,
            now=self.now,
            consent=consent,
        )
        drafts = [replace(d, refs={**d.refs, "cartEpisode": episode}) for d in drafts]
        results = submit(drafts, db=self.db, queue=self.queue, now=self.now)
        self.reads.get(sum(1 for r in results if not r.created))
        messages = {r.notification_id: r.status.value for r in results}
        claims.complete(
            ref,
            self.now,
            {
                "notificationIds": list(messages),
                "statuses": dict(Counter(messages.values())),
            },
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

    def _offer(self, stage: int, claim_doc: Mapping[str, Any], ref: Any) -> Offer | None:
        """The second reminder's discount: the one the claim holds, else a new one kept on it."""
        if stage != 2:
            return None
        offer = Offer.from_claim(claim_doc)
        if offer is None:
            offer = self._new_offer()
            ref.update(offer.claim_fields())
        return offer

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
        ref = cart_ref(self.db, due.cart_id)
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
            cart_ref(self.db, due.cart_id).update(fields)
