"""``on_consent_written``: Firestore ``document.v1.written`` on ``consent_events/{eventId}``."""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

from functions.boundary import cloudevents
from shared.flows.consent_state import handle_consent_change


@functions_framework.cloud_event
def on_consent_written(event: CloudEvent) -> None:
    """The event, decoded once, to the consent-state flow (the customer's ledger replayed onto
    their profile); transient failures raise (Eventarc retries)."""
    cloudevents.run(event, handle_consent_change)
