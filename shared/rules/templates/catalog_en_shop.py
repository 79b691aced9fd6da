"""English wording of order and cart messages (see ``catalog_en`` for the conventions)."""

from __future__ import annotations

from shared.rules.templates.catalog_en import HELLO, MARKETING_FOOTER, SHOP, SIGN, STOP, WA_SIGN
from shared.rules.templates.model import Droppable, Texts

TEXTS: dict[str, Texts] = {
    "order.placed": Texts(
        subject=("Order $orderId confirmed", "Order confirmed"),
        email=(
            HELLO,
            (
                "Thank you for your order $orderId ($total).",
                "Thank you for your order $orderId.",
                "Thank you for your order.",
            ),
            "We will let you know as soon as it ships.",
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            (
                "thank you for your order $orderId ($total).",
                "thank you for your order $orderId.",
                "thank you for your order.",
            ),
            Droppable("We will tell you when it ships."),
        ),
        whatsapp=(
            HELLO,
            (
                "Thank you for your order *$orderId* ($total) 🛍️",
                "Thank you for your order *$orderId* 🛍️",
                "Thank you for your order 🛍️",
            ),
            "We will let you know as soon as it ships.",
            WA_SIGN,
        ),
        push_title="Order confirmed",
        push_body=(("Thank you for your order $orderId.", "Thank you for your order."),),
    ),
    "order.shipped": Texts(
        subject=("Order $orderId shipped", "Your order has shipped"),
        email=(
            HELLO,
            ("Your order $orderId is on its way.", "Your order is on its way."),
            ("Track it here: $trackingUrl",),
            SIGN,
        ),
        sms=(
            SHOP,
            ("your order $orderId has shipped.", "your order has shipped."),
            ("Tracking: $trackingUrl",),
        ),
        whatsapp=(
            HELLO,
            ("Your order *$orderId* is on its way 📦", "Your order is on its way 📦"),
            ("Tracking: $trackingUrl",),
            WA_SIGN,
        ),
        push_title="Order shipped",
        push_body=(("Your order $orderId is on its way.", "Your order is on its way."),),
    ),
    "order.out_for_delivery": Texts(
        subject=("Order $orderId arrives today", "Your order arrives today"),
        email=(
            HELLO,
            (
                "Your order $orderId is out for delivery and arrives today.",
                "Your order is out for delivery and arrives today.",
            ),
            ("Tracking: $trackingUrl",),
            SIGN,
        ),
        sms=(
            SHOP,
            ("your order $orderId arrives today.", "your order arrives today."),
            ("Tracking: $trackingUrl",),
        ),
        whatsapp=(
            HELLO,
            ("Your order *$orderId* arrives today 🚚", "Your order arrives today 🚚"),
            ("Tracking: $trackingUrl",),
            WA_SIGN,
        ),
        push_title="Arriving today",
        push_body=(("Your order $orderId arrives today.", "Your order arrives today."),),
    ),
    "order.delivered": Texts(
        subject=("Order $orderId delivered", "Your order was delivered"),
        email=(
            HELLO,
            ("Your order $orderId was delivered.", "Your order was delivered."),
            "Thank you for your trust! Any question? Just reply to this message.",
            SIGN,
        ),
        sms=(
            SHOP,
            ("your order $orderId was delivered.", "your order was delivered."),
            Droppable("Thank you for your trust!"),
        ),
        whatsapp=(
            HELLO,
            ("Your order *$orderId* was delivered ✅", "Your order was delivered ✅"),
            "Thank you for your trust!",
            WA_SIGN,
        ),
        push_title="Order delivered",
        push_body=(("Your order $orderId was delivered.", "Your order was delivered."),),
    ),
    "order.cancelled": Texts(
        subject=("Order $orderId cancelled", "Your order was cancelled"),
        email=(
            HELLO,
            ("Your order $orderId was cancelled.", "Your order was cancelled."),
            "Any question? Just reply to this message.",
            SIGN,
        ),
        sms=(
            SHOP,
            ("your order $orderId was cancelled.", "your order was cancelled."),
            Droppable("Any question? Contact us."),
        ),
        whatsapp=(
            HELLO,
            ("Your order *$orderId* was cancelled.", "Your order was cancelled."),
            "Any question? Reply to this message.",
            WA_SIGN,
        ),
        push_title="Order cancelled",
        push_body=(("Your order $orderId was cancelled.", "Your order was cancelled."),),
    ),
    "order.payment_reminder": Texts(
        subject=("Order $orderId: payment pending", "Payment pending"),
        email=(
            HELLO,
            (
                "Payment for your order $orderId ($total) is due by $paymentDueAt.",
                "Payment for your order $orderId ($total) is still pending.",
                "Payment for your order $orderId is due by $paymentDueAt.",
                "Payment for your order $orderId is still pending.",
                "Payment for your order is still pending.",
            ),
            "If you have already paid, please ignore this message.",
            SIGN,
        ),
        sms=(
            SHOP,
            (
                "payment for order $orderId ($total) is due by $paymentDueAt.",
                "payment for order $orderId ($total) is pending.",
                "payment for order $orderId is due by $paymentDueAt.",
                "payment for order $orderId is pending.",
                "payment for your order is pending.",
            ),
            Droppable("Already paid? Ignore this message."),
        ),
        whatsapp=(
            HELLO,
            (
                "Payment for your order *$orderId* ($total) is due by $paymentDueAt.",
                "Payment for your order *$orderId* is still pending.",
                "Payment for your order is still pending.",
            ),
            "If you have already paid, please ignore this message.",
            WA_SIGN,
        ),
        push_title="Payment pending",
        push_body=(
            (
                "Order $orderId: payment due by $paymentDueAt.",
                "Order $orderId: payment pending.",
                "Payment for your order is pending.",
            ),
        ),
    ),
    "cart.reminder_1": Texts(
        subject="Your cart is waiting for you",
        email=(
            HELLO,
            ("You left some items in your cart:\n$cartLines", "You left some items in your cart."),
            ("Total: $cartTotal",),
            ("Complete your order here: $cartUrl", "They are waiting for you on our website."),
            SIGN,
            MARKETING_FOOTER,
        ),
        sms=(
            SHOP,
            (
                "your cart ($cartCount, $cartTotal) is waiting:",
                "your cart ($cartCount) is waiting:",
                "your cart is waiting:",
            ),
            ("$cartUrl", "visit our website."),
            STOP,
        ),
        whatsapp=(
            HELLO,
            ("Your cart is waiting for you 🛒 ($cartSummary)", "Your cart is waiting for you 🛒"),
            ("Total: $cartTotal",),
            ("Complete your order: $cartUrl",),
            "Reply STOP to stop receiving these messages.",
        ),
        push_title="Your cart is waiting",
        push_body=(("$cartSummary", "Complete your order in one tap."),),
    ),
    "cart.reminder_2": Texts(
        subject=("$discountPercent% off your cart", "A discount on your cart"),
        email=(
            HELLO,
            (
                "Your cart is still waiting for you:\n$cartLines",
                "Your cart is still waiting for you.",
            ),
            (
                "Enjoy $discountPercent% off with the code $discountCode, valid until "
                "$discountExpiresAt.",
                "Enjoy $discountPercent% off with the code $discountCode.",
            ),
            ("Complete your order here: $cartUrl",),
            SIGN,
            MARKETING_FOOTER,
        ),
        sms=(
            SHOP,
            (
                "$discountPercent% off your cart with code $discountCode until $discountExpiresAt:",
                "$discountPercent% off your cart with code $discountCode:",
                "your cart is waiting:",
            ),
            ("$cartUrl", "visit our website."),
            STOP,
        ),
        whatsapp=(
            HELLO,
            (
                "Your cart is still waiting: enjoy *$discountPercent%* off with the code "
                "*$discountCode* until "
                "$discountExpiresAt 🎁",
                "Your cart is still waiting: enjoy *$discountPercent%* off with the code "
                "*$discountCode* 🎁",
                "Your cart is still waiting for you 🛒",
            ),
            ("Complete your order: $cartUrl",),
            "Reply STOP to stop receiving these messages.",
        ),
        push_title=("$discountPercent% off your cart", "Your cart is waiting"),
        push_body=(
            (
                "Code $discountCode, valid until $discountExpiresAt.",
                "Code $discountCode.",
                "Complete your order in one tap.",
            ),
        ),
    ),
}
