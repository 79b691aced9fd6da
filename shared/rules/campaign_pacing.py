"""How fast a campaign may go: the ``campaigns`` queue's ``max_dispatches_per_second``.

Pure; the deploy step (``scripts/deploying``) sets the queue from it. One queue carries every
campaign message, so its rate is the slowest of what applies:

- Meta (Cloud API): the number's throughput (80 messages/s by default, up to 1,000) and its
  messaging limit tier (unique customers per rolling 24 hours: 250, 1,000, 10,000, 100,000),
  spread over the hours the shop sends marketing in a day;
- Twilio: its rate per sender (an SMS long code: 1 segment/s; WhatsApp senders: up to 80/s)
  times the senders in the messaging service;
- the shop's own daily cap, spread the same way.

Without any limit the queue keeps its default. Rates below one message every ten seconds are
raised to that (a campaign that crawls slower is better stopped at the cap by the shop).

Planning keeps ahead of that rate, not of the whole audience (``page_interval``): after a page
that enqueued ``n`` messages, the next comes ``n / (PLAN_LEAD x rate)`` seconds later, never
within ``MIN_PAGE_SECONDS`` (a page of customers skipped is no reason to wait). Planned far
ahead, messages would only wait in the queue while the planner's bursts of writes share the
database with the service messages.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_RATE = 0.1
META_TIERS = (250, 1_000, 10_000, 100_000)
PLAN_LEAD = 2.0  # planning goes this many times faster than the queue sends
MIN_PAGE_SECONDS = 2.0


@dataclass(frozen=True)
class Pacing:
    """The campaign settings of a deployment (``DEPLOY_CAMPAIGN_*``); None: not limiting."""

    whatsapp_provider: str | None = None  # "meta", "twilio", or None (no WhatsApp)
    sms: bool = False
    meta_messages_per_second: float = 80.0
    meta_tier: int | None = None  # spread over the sending hours when given
    twilio_messages_per_second: float = 1.0  # per sender
    twilio_senders: int = 1
    daily_cap: int | None = None
    sending_hours: float = 10.0  # hours a day marketing may go (the marketing windows)


def _spread(per_day: int, hours: float) -> float:
    return per_day / (max(hours, 1.0) * 3600)


def campaign_rate(pacing: Pacing, default: float) -> float:
    """Messages per second for the ``campaigns`` queue."""
    limits: list[float] = []
    if pacing.whatsapp_provider == "meta":
        limits.append(pacing.meta_messages_per_second)
        if pacing.meta_tier:
            limits.append(_spread(pacing.meta_tier, pacing.sending_hours))
    twilio = pacing.sms or pacing.whatsapp_provider == "twilio"
    if twilio:
        limits.append(pacing.twilio_messages_per_second * max(pacing.twilio_senders, 1))
    if pacing.daily_cap:
        limits.append(_spread(pacing.daily_cap, pacing.sending_hours))
    if not limits:
        return default
    return round(max(min(limits), MIN_RATE), 3)


def page_interval(enqueued: int, rate: float) -> float:
    """Seconds from a planning page that enqueued ``enqueued`` messages to the next page, for
    messages sent at ``rate`` per second (the ``campaigns`` queue's rate as deployed)."""
    return max(MIN_PAGE_SECONDS, max(enqueued, 0) / (PLAN_LEAD * max(rate, MIN_RATE)))
