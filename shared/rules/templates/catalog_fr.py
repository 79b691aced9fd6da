"""French wording. SMS texts stay within GSM-7: no ê, â, î, ô, û, ç, ï, œ (é, è, à, ù are fine)."""

from __future__ import annotations

from shared.rules.templates.model import Droppable, Texts

HELLO = ("Bonjour $customerName,", "Bonjour,")
SHOP = Droppable("$shopName:")
SIGN = ("À bientôt,\n$shopName", "À bientôt.")
WA_SIGN = "— $shopName"
STOP = "Désinscription: STOP"
MARKETING_FOOTER = (
    "Vous recevez ce message car vous avez accepté les offres de $shopName. "
    "Vous pouvez vous désinscrire à tout moment depuis votre compte.",
    "Vous recevez ce message car vous avez accepté nos offres. "
    "Vous pouvez vous désinscrire à tout moment depuis votre compte.",
)
TICKET = ("(ticket $ticketId).", ".")

TEXTS: dict[str, Texts] = {
    "ticket.received": Texts(
        subject=("Réparation $ticketId enregistrée", "Votre réparation est enregistrée"),
        email=(
            HELLO,
            (
                "Nous avons bien reçu votre $deviceLabel (ticket $ticketId).",
                "Nous avons bien reçu votre $deviceLabel.",
            ),
            "Nous vous tiendrons informé à chaque étape de la réparation.",
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            (
                "votre $deviceLabel est bien enregistré (ticket $ticketId).",
                "votre $deviceLabel est bien enregistré.",
            ),
            Droppable("Nous vous tiendrons informé."),
        ),
        whatsapp=(
            HELLO,
            (
                "Nous avons bien reçu votre *$deviceLabel* (ticket $ticketId).",
                "Nous avons bien reçu votre *$deviceLabel*.",
            ),
            "Nous vous tiendrons informé à chaque étape.",
            WA_SIGN,
        ),
        push_title="Réparation enregistrée",
        push_body=(
            (
                "Votre $deviceLabel est bien enregistré (ticket $ticketId).",
                "Votre $deviceLabel est bien enregistré.",
            ),
        ),
    ),
    "ticket.walk_in_welcome": Texts(
        subject=("Bienvenue chez $shopName", "Bienvenue"),
        email=(
            "Bonjour,",
            (
                "Votre réparation est enregistrée (ticket $ticketId).",
                "Votre réparation est enregistrée.",
            ),
            "Créez votre compte pour suivre la réparation et être prévenu : $registrationUrl",
            SIGN,
        ),
        sms=(
            SHOP,
            Droppable("Bienvenue!"),
            ("Réparation $ticketId enregistrée.", "Réparation enregistrée."),
            ("Créez votre compte pour la suivre: $registrationUrl",),
        ),
        whatsapp=(
            ("Bienvenue chez $shopName !", "Bienvenue !"),
            (
                "Votre réparation est enregistrée (ticket $ticketId).",
                "Votre réparation est enregistrée.",
            ),
            "Suivez-la en créant votre compte : $registrationUrl",
        ),
        push_title="Bienvenue",
        push_body=("Votre réparation est enregistrée.",),
    ),
    "ticket.status_changed": Texts(
        subject=("Réparation $ticketId : $statusLabel", "Votre réparation avance"),
        email=(
            HELLO,
            ("Votre $deviceLabel est $statusLabel.", "Votre réparation avance."),
            ("Ticket : $ticketId",),
            "Nous vous prévenons dès qu'il est prêt.",
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            (
                "votre $deviceLabel est $statusLabel (ticket $ticketId).",
                "votre $deviceLabel est $statusLabel.",
                "votre réparation avance (ticket $ticketId).",
                "votre réparation avance.",
            ),
        ),
        whatsapp=(
            HELLO,
            ("Votre *$deviceLabel* est $statusLabel.", "Votre réparation avance."),
            ("Ticket : $ticketId",),
            WA_SIGN,
        ),
        push_title=("Réparation : $statusLabel", "Votre réparation avance"),
        push_body=(("Votre $deviceLabel est $statusLabel.", "Votre réparation avance."),),
    ),
    "ticket.completed": Texts(
        subject="Votre $deviceLabel est prêt !",
        email=(
            HELLO,
            "Bonne nouvelle : la réparation de votre $deviceLabel est terminée.",
            (
                "Vous pouvez venir le récupérer chez $shopName aux heures d'ouverture.",
                "Vous pouvez venir le récupérer aux heures d'ouverture.",
            ),
            ("Votre numéro de ticket : $ticketId",),
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            (
                "votre $deviceLabel est réparé et vous attend en boutique",
                "votre $deviceLabel est réparé",
            ),
            TICKET,
        ),
        whatsapp=(
            HELLO,
            "Bonne nouvelle : votre *$deviceLabel* est réparé ✅",
            "Vous pouvez venir le récupérer aux heures d'ouverture.",
            ("Ticket : $ticketId",),
            WA_SIGN,
        ),
        push_title="Réparation terminée",
        push_body=("Votre $deviceLabel est prêt, vous pouvez venir le récupérer.",),
    ),
    "ticket.pickup_reminder": Texts(
        subject="Votre $deviceLabel vous attend",
        email=(
            HELLO,
            "Votre $deviceLabel est réparé et vous attend toujours en boutique.",
            (
                "Passez le récupérer aux heures d'ouverture avec votre ticket $ticketId.",
                "Passez le récupérer aux heures d'ouverture.",
            ),
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            (
                "votre $deviceLabel vous attend toujours en boutique",
                "votre $deviceLabel vous attend",
            ),
            TICKET,
            Droppable("Passez le récupérer aux heures d'ouverture."),
        ),
        whatsapp=(
            HELLO,
            "Votre *$deviceLabel* est réparé et vous attend toujours en boutique.",
            "Passez le récupérer aux heures d'ouverture.",
            ("Ticket : $ticketId",),
            WA_SIGN,
        ),
        push_title="Votre appareil vous attend",
        push_body=("Votre $deviceLabel est réparé, passez le récupérer.",),
    ),
}
