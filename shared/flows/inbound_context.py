"""What handling one inbound message carries from step to step (shared by its modules)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.model.inbound import InboundMessage
from shared.model.record import NotificationRecord
from shared.model.shop import ShopSettings
from shared.platform.settings import Settings
from shared.rules import replies
from shared.rules.replies import ReplyType
from shared.store.lookup import Customer

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference


@dataclass(frozen=True)
class InboundOutcome:
    """What one inbound record led to (for the log line and the tests)."""

    message_id: str
    action: str  # duplicate, not_a_phone, opt_out, opt_in, status, inbox, stored, ignored...
    customer_id: str | None = None
    replies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """One message being handled, with who sent it and what the answers need."""

    db: Client
    message: InboundMessage
    customer: Customer
    ref: DocumentReference
    shop: ShopSettings
    settings: Settings
    now: datetime

    @property
    def key(self) -> str:
        return str(self.ref.id)

    @property
    def language(self) -> str:
        profile = self.customer.profile
        return replies.reply_language(profile.language if profile else None, self.customer.region)

    def reply(
        self,
        reply_type: ReplyType,
        body: str,
        *,
        dedupe_key: str | None = None,
        refs: Mapping[str, str] | None = None,
    ) -> NotificationRecord:
        return replies.reply_draft(
            reply_type=reply_type,
            dedupe_key=dedupe_key or self.key,
            channel=self.message.channel,
            provider=self.message.provider,
            to=self.customer.address,
            customer_id=self.customer.customer_id,
            body=body,
            language=self.language,
            country=self.customer.region,
            refs=refs,
        )
