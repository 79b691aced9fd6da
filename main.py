"""Cloud Functions' entry file: exports every target of ``functions/registry.py``, nothing else.

Each target is imported when first asked for, not when this file loads. functions-framework
loads this file and then resolves ``getattr(main, TARGET)``: the module ``__getattr__`` below
(PEP 562) imports ``functions.<TARGET>`` at that moment, so a cold start imports its own target
and none of the others (``on_ticket_written``'s instance never loads the Twilio webhooks).
Every target stays exported: ``from main import on_ticket_written``, ``main.twilio_status``,
``__all__`` and ``dir(main)`` all see the full list.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from functions.registry import BY_NAME, NAMES

if TYPE_CHECKING:  # what type checkers and readers see; at run time __getattr__ does this
    from functions.campaign_step import campaign_step as campaign_step  # noqa: PLC0414 (re-exported)
    from functions.cart_sweep import cart_sweep as cart_sweep  # noqa: PLC0414 (re-exported)
    from functions.console import console as console  # noqa: PLC0414 (re-exported)
    from functions.deliver_notification import deliver_notification as deliver_notification  # noqa: PLC0414 (re-exported)
    from functions.meta_webhook import meta_webhook as meta_webhook  # noqa: PLC0414 (re-exported)
    from functions.on_campaign_written import on_campaign_written as on_campaign_written  # noqa: PLC0414 (re-exported)
    from functions.on_cart_written import on_cart_written as on_cart_written  # noqa: PLC0414 (re-exported)
    from functions.on_consent_written import on_consent_written as on_consent_written  # noqa: PLC0414 (re-exported)
    from functions.on_order_written import on_order_written as on_order_written  # noqa: PLC0414 (re-exported)
    from functions.on_ticket_written import on_ticket_written as on_ticket_written  # noqa: PLC0414 (re-exported)
    from functions.twilio_inbound import twilio_inbound as twilio_inbound  # noqa: PLC0414 (re-exported)
    from functions.twilio_status import twilio_status as twilio_status  # noqa: PLC0414 (re-exported)

__all__ = list(NAMES)


def __getattr__(name: str) -> Any:
    """Import the target's module on first use, then keep the function as a plain global."""
    if name not in BY_NAME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    function = getattr(importlib.import_module(BY_NAME[name].module), name)
    globals()[name] = function
    return function


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
