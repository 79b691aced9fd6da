"""English wording (the fallback language). SMS texts stay within GSM-7."""

from __future__ import annotations

from shared.rules.templates.model import Droppable, Texts

HELLO = ("Hello $customerName,", "Hello,")
SHOP = Droppable("$shopName:")
SIGN = ("See you soon,\n$shopName", "See you soon.")
WA_SIGN = "— $shopName"
STOP = "Reply STOP to opt out"
MARKETING_FOOTER = (
    "You are receiving this because you accepted offers from $shopName. "
    "You can unsubscribe at any time from your account.",
    "You are receiving this because you accepted our offers. "
    "You can unsubscribe at any time from your account.",
)
TICKET = ("(ticket $ticketId).", ".")

TEXTS: dict[str, Texts] = {
    "ticket.received": Texts(
        subject=("Repair $ticketId registered", "Your repair is registered"),
        email=(
            HELLO,
            (
                "We have received your $deviceLabel (ticket $ticketId).",
                "We have received your $deviceLabel.",
            ),
            "We will keep you posted at every step of the repair.",
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            ("your $deviceLabel is registered for repair", "your $deviceLabel is registered"),
            TICKET,
            Droppable("We will keep you posted."),
        ),
        whatsapp=(
            HELLO,
            (
                "We have received your *$deviceLabel* (ticket $ticketId).",
                "We have received your *$deviceLabel*.",
            ),
            "We will keep you posted at every step.",
            WA_SIGN,
        ),
        push_title="Repair registered",
        push_body=(
            (
                "Your $deviceLabel is registered (ticket $ticketId).",
                "Your $deviceLabel is registered.",
            ),
        ),
    ),
    "ticket.walk_in_welcome": Texts(
        subject=("Welcome to $shopName", "Welcome"),
        email=(
            "Hello,",
            ("Your repair is registered (ticket $ticketId).", "Your repair is registered."),
            "Create your account to follow the repair and get updates: $registrationUrl",
            SIGN,
        ),
        sms=(
            SHOP,
            Droppable("Welcome!"),
            ("Repair $ticketId registered.", "Your repair is registered."),
            ("Create your account to follow it: $registrationUrl",),
        ),
        whatsapp=(
            ("Welcome to $shopName!", "Welcome!"),
            ("Your repair is registered (ticket $ticketId).", "Your repair is registered."),
            "Follow it by creating your account: $registrationUrl",
        ),
        push_title="Welcome",
        push_body=("Your repair is registered.",),
    ),
    "ticket.status_changed": Texts(
        subject=("Repair $ticketId: $statusLabel", "Your repair is progressing"),
        email=(
            HELLO,
            ("Your $deviceLabel is now $statusLabel.", "Your repair is progressing."),
            ("Ticket: $ticketId",),
            "We will let you know as soon as it is ready.",
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            ("your $deviceLabel is now $statusLabel", "your repair is progressing"),
            TICKET,
        ),
        whatsapp=(
            HELLO,
            ("Your *$deviceLabel* is now $statusLabel.", "Your repair is progressing."),
            ("Ticket: $ticketId",),
            WA_SIGN,
        ),
        push_title=("Repair: $statusLabel", "Your repair is progressing"),
        push_body=(("Your $deviceLabel is now $statusLabel.", "Your repair is progressing."),),
    ),
    "ticket.completed": Texts(
        subject="Your $deviceLabel is ready!",
        email=(
            HELLO,
            "Good news: the repair of your $deviceLabel is complete.",
            (
                "You can pick it up at $shopName during opening hours.",
                "You can pick it up during opening hours.",
            ),
            ("Your ticket number: $ticketId",),
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            ("your $deviceLabel is repaired and ready for pickup", "your $deviceLabel is ready"),
            TICKET,
        ),
        whatsapp=(
            HELLO,
            "Good news: your *$deviceLabel* is repaired ✅",
            "You can pick it up during opening hours.",
            ("Ticket: $ticketId",),
            WA_SIGN,
        ),
        push_title="Repair complete",
        push_body=("Your $deviceLabel is ready for pickup.",),
    ),
    "ticket.pickup_reminder": Texts(
        subject="Your $deviceLabel is waiting for you",
        email=(
            HELLO,
            "Your $deviceLabel is repaired and still waiting for you at the shop.",
            (
                "Drop by during opening hours with your ticket $ticketId.",
                "Drop by during opening hours.",
            ),
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            (
                "your $deviceLabel is still waiting for you at the shop",
                "your $deviceLabel is waiting",
            ),
            TICKET,
            Droppable("Drop by during opening hours."),
        ),
        whatsapp=(
            HELLO,
            "Your *$deviceLabel* is repaired and still waiting for you at the shop.",
            "Drop by during opening hours.",
            ("Ticket: $ticketId",),
            WA_SIGN,
        ),
        push_title="Your device is waiting",
        push_body=("Your $deviceLabel is repaired, come and pick it up.",),
    ),
}
