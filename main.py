"""Cloud Functions entry file: imports and re-exports every deployed target, nothing else."""

from functions.cart_sweep import cart_sweep
from functions.deliver_notification import deliver_notification
from functions.meta_webhook import meta_webhook
from functions.on_cart_written import on_cart_written
from functions.on_order_written import on_order_written
from functions.on_ticket_written import on_ticket_written
from functions.twilio_inbound import twilio_inbound
from functions.twilio_status import twilio_status

__all__ = [
    "cart_sweep",
    "deliver_notification",
    "meta_webhook",
    "on_cart_written",
    "on_order_written",
    "on_ticket_written",
    "twilio_inbound",
    "twilio_status",
]
