"""French wording of order and cart messages (see ``catalog_fr`` for the conventions)."""

from __future__ import annotations

from shared.rules.templates.catalog_fr import HELLO, MARKETING_FOOTER, SHOP, SIGN, STOP, WA_SIGN
from shared.rules.templates.model import Droppable, Texts

TEXTS: dict[str, Texts] = {
    "order.placed": Texts(
        subject=("Commande $orderId confirmée", "Commande confirmée"),
        email=(
            HELLO,
            (
                "Merci pour votre commande $orderId ($total).",
                "Merci pour votre commande $orderId.",
                "Merci pour votre commande.",
            ),
            "Nous vous prévenons dès qu'elle est expédiée.",
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            (
                "merci pour votre commande $orderId ($total).",
                "merci pour votre commande $orderId.",
                "merci pour votre commande.",
            ),
            Droppable("Nous vous prévenons dès son expédition."),
        ),
        whatsapp=(
            HELLO,
            (
                "Merci pour votre commande *$orderId* ($total) 🛍️",
                "Merci pour votre commande *$orderId* 🛍️",
                "Merci pour votre commande 🛍️",
            ),
            "Nous vous prévenons dès qu'elle est expédiée.",
            WA_SIGN,
        ),
        push_title="Commande confirmée",
        push_body=(("Merci pour votre commande $orderId.", "Merci pour votre commande."),),
    ),
    "order.shipped": Texts(
        subject=("Commande $orderId expédiée", "Votre commande est expédiée"),
        email=(
            HELLO,
            ("Votre commande $orderId est en route.", "Votre commande est en route."),
            ("Suivez-la ici : $trackingUrl",),
            SIGN,
        ),
        sms=(
            SHOP,
            ("commande $orderId expédiée.", "votre commande est expédiée."),
            ("Suivi: $trackingUrl",),
        ),
        whatsapp=(
            HELLO,
            ("Votre commande *$orderId* est en route 📦", "Votre commande est en route 📦"),
            ("Suivi : $trackingUrl",),
            WA_SIGN,
        ),
        push_title="Commande expédiée",
        push_body=(("Votre commande $orderId est en route.", "Votre commande est en route."),),
    ),
    "order.out_for_delivery": Texts(
        subject=("Commande $orderId : livraison aujourd'hui", "Livraison aujourd'hui"),
        email=(
            HELLO,
            (
                "Votre commande $orderId est en cours de livraison et arrive aujourd'hui.",
                "Votre commande est en cours de livraison et arrive aujourd'hui.",
            ),
            ("Suivi : $trackingUrl",),
            SIGN,
        ),
        sms=(
            SHOP,
            ("votre commande $orderId arrive aujourd'hui.", "votre commande arrive aujourd'hui."),
            ("Suivi: $trackingUrl",),
        ),
        whatsapp=(
            HELLO,
            (
                "Votre commande *$orderId* arrive aujourd'hui 🚚",
                "Votre commande arrive aujourd'hui 🚚",
            ),
            ("Suivi : $trackingUrl",),
            WA_SIGN,
        ),
        push_title="Livraison aujourd'hui",
        push_body=(
            ("Votre commande $orderId arrive aujourd'hui.", "Votre commande arrive aujourd'hui."),
        ),
    ),
    "order.delivered": Texts(
        subject=("Commande $orderId livrée", "Votre commande est livrée"),
        email=(
            HELLO,
            ("Votre commande $orderId a été livrée.", "Votre commande a été livrée."),
            "Merci pour votre confiance ! Une question ? Répondez simplement à ce message.",
            SIGN,
        ),
        sms=(
            SHOP,
            ("votre commande $orderId a été livrée.", "votre commande a été livrée."),
            Droppable("Merci pour votre confiance!"),
        ),
        whatsapp=(
            HELLO,
            ("Votre commande *$orderId* a été livrée ✅", "Votre commande a été livrée ✅"),
            "Merci pour votre confiance !",
            WA_SIGN,
        ),
        push_title="Commande livrée",
        push_body=(("Votre commande $orderId a été livrée.", "Votre commande a été livrée."),),
    ),
    "order.cancelled": Texts(
        subject=("Commande $orderId annulée", "Votre commande est annulée"),
        email=(
            HELLO,
            ("Votre commande $orderId a été annulée.", "Votre commande a été annulée."),
            "Pour toute question, répondez simplement à ce message.",
            SIGN,
        ),
        sms=(
            SHOP,
            ("votre commande $orderId a été annulée.", "votre commande a été annulée."),
            Droppable("Une question? Contactez-nous."),
        ),
        whatsapp=(
            HELLO,
            ("Votre commande *$orderId* a été annulée.", "Votre commande a été annulée."),
            "Une question ? Répondez à ce message.",
            WA_SIGN,
        ),
        push_title="Commande annulée",
        push_body=(("Votre commande $orderId a été annulée.", "Votre commande a été annulée."),),
    ),
    "order.payment_reminder": Texts(
        subject=("Commande $orderId : paiement en attente", "Paiement en attente"),
        email=(
            HELLO,
            (
                "Le paiement de votre commande $orderId ($total) est attendu avant le "
                "$paymentDueAt.",
                "Le paiement de votre commande $orderId ($total) est toujours en attente.",
                "Le paiement de votre commande $orderId est attendu avant le $paymentDueAt.",
                "Le paiement de votre commande $orderId est toujours en attente.",
                "Le paiement de votre commande est toujours en attente.",
            ),
            "Si vous avez déjà payé, ignorez ce message.",
            SIGN,
        ),
        sms=(
            SHOP,
            (
                "paiement de la commande $orderId ($total) attendu avant le $paymentDueAt.",
                "paiement de la commande $orderId ($total) en attente.",
                "paiement de la commande $orderId attendu avant le $paymentDueAt.",
                "paiement de la commande $orderId en attente.",
                "paiement de votre commande en attente.",
            ),
            Droppable("Déjà payé? Ignorez ce message."),
        ),
        whatsapp=(
            HELLO,
            (
                "Le paiement de votre commande *$orderId* ($total) est attendu avant le "
                "$paymentDueAt.",
                "Le paiement de votre commande *$orderId* est toujours en attente.",
                "Le paiement de votre commande est toujours en attente.",
            ),
            "Si vous avez déjà payé, ignorez ce message.",
            WA_SIGN,
        ),
        push_title="Paiement en attente",
        push_body=(
            (
                "Commande $orderId : paiement attendu avant le $paymentDueAt.",
                "Commande $orderId : paiement en attente.",
                "Le paiement de votre commande est en attente.",
            ),
        ),
    ),
    "cart.reminder_1": Texts(
        subject="Votre panier vous attend",
        email=(
            HELLO,
            (
                "Vous avez laissé des articles dans votre panier :\n$cartLines",
                "Vous avez laissé des articles dans votre panier.",
            ),
            ("Total : $cartTotal",),
            ("Finalisez votre commande ici : $cartUrl", "Ils vous attendent sur notre site."),
            SIGN,
            MARKETING_FOOTER,
        ),
        sms=(
            SHOP,
            (
                "votre panier ($cartCount, $cartTotal) vous attend:",
                "votre panier ($cartCount) vous attend:",
                "votre panier vous attend:",
            ),
            ("$cartUrl", "rendez-vous sur notre site."),
            STOP,
        ),
        whatsapp=(
            HELLO,
            ("Votre panier vous attend 🛒 ($cartSummary)", "Votre panier vous attend 🛒"),
            ("Total : $cartTotal",),
            ("Finalisez votre commande : $cartUrl",),
            "Répondez STOP pour ne plus recevoir ces messages.",
        ),
        push_title="Votre panier vous attend",
        push_body=(("$cartSummary", "Finalisez votre commande en un clic."),),
    ),
    "cart.reminder_2": Texts(
        subject=("-$discountPercent % sur votre panier", "Une réduction sur votre panier"),
        email=(
            HELLO,
            (
                "Votre panier vous attend toujours :\n$cartLines",
                "Votre panier vous attend toujours.",
            ),
            (
                "Profitez de $discountPercent % de réduction avec le code $discountCode, valable "
                "jusqu'au $discountExpiresAt.",
                "Profitez de $discountPercent % de réduction avec le code $discountCode.",
            ),
            ("Finalisez votre commande ici : $cartUrl",),
            SIGN,
            MARKETING_FOOTER,
        ),
        sms=(
            SHOP,
            (
                "-$discountPercent% sur votre panier avec le code $discountCode jusqu'au "
                "$discountExpiresAt:",
                "-$discountPercent% sur votre panier avec le code $discountCode:",
                "votre panier vous attend:",
            ),
            ("$cartUrl", "rendez-vous sur notre site."),
            STOP,
        ),
        whatsapp=(
            HELLO,
            (
                "Votre panier vous attend toujours : profitez de *$discountPercent %* de "
                "réduction avec "
                "le code *$discountCode* jusqu'au $discountExpiresAt 🎁",
                "Votre panier vous attend toujours : profitez de *$discountPercent %* de "
                "réduction avec "
                "le code *$discountCode* 🎁",
                "Votre panier vous attend toujours 🛒",
            ),
            ("Finalisez votre commande : $cartUrl",),
            "Répondez STOP pour ne plus recevoir ces messages.",
        ),
        push_title=("-$discountPercent % sur votre panier", "Votre panier vous attend"),
        push_body=(
            (
                "Code $discountCode, valable jusqu'au $discountExpiresAt.",
                "Code $discountCode.",
                "Finalisez votre commande en un clic.",
            ),
        ),
    ),
}
