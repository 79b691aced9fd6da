"""Swahili wording (Kenya). "Kifaa chako" (ki-vi class) for devices, "agizo lako" (li-ya) for
orders, "kikapu chako" for carts; a device's name goes in brackets so agreement never depends on
it. SMS texts stay within GSM-7."""

from __future__ import annotations

from shared.rules.templates.model import Droppable, Texts

HELLO = ("Habari $customerName,", "Habari,")
SHOP = Droppable("$shopName:")
SIGN = ("Asante,\n$shopName", "Asante.")
WA_SIGN = "— $shopName"
STOP = "Jibu STOP kujiondoa"
MARKETING_FOOTER = (
    "Unapokea ujumbe huu kwa sababu ulikubali ofa za $shopName. "
    "Unaweza kujiondoa wakati wowote kwenye akaunti yako.",
    "Unapokea ujumbe huu kwa sababu ulikubali ofa zetu. "
    "Unaweza kujiondoa wakati wowote kwenye akaunti yako.",
)
TICKET = ("(tiketi $ticketId).", ".")

TEXTS: dict[str, Texts] = {
    "ticket.received": Texts(
        subject=("Tiketi $ticketId: kifaa chako kimepokelewa", "Kifaa chako kimepokelewa"),
        email=(
            HELLO,
            (
                "Tumepokea kifaa chako ($device) kwa matengenezo (tiketi $ticketId).",
                "Tumepokea kifaa chako ($device) kwa matengenezo.",
                "Tumepokea kifaa chako kwa matengenezo (tiketi $ticketId).",
                "Tumepokea kifaa chako kwa matengenezo.",
            ),
            "Tutakujulisha kila hatua ya matengenezo.",
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            (
                "tumepokea kifaa chako ($device) kwa matengenezo",
                "tumepokea kifaa chako kwa matengenezo",
            ),
            TICKET,
            Droppable("Tutakujulisha."),
        ),
        whatsapp=(
            HELLO,
            (
                "Tumepokea kifaa chako (*$device*) kwa matengenezo.",
                "Tumepokea kifaa chako kwa matengenezo.",
            ),
            ("Tiketi: $ticketId",),
            "Tutakujulisha kila hatua.",
            WA_SIGN,
        ),
        push_title="Kifaa kimepokelewa",
        push_body=(("Kifaa chako ($device) kimepokelewa.", "Kifaa chako kimepokelewa."),),
    ),
    "ticket.walk_in_welcome": Texts(
        subject=("Karibu $shopName", "Karibu"),
        email=(
            "Habari,",
            ("Matengenezo yako yamesajiliwa (tiketi $ticketId).", "Matengenezo yako yamesajiliwa."),
            "Fungua akaunti yako ili kufuatilia matengenezo na kupata taarifa: $registrationUrl",
            SIGN,
        ),
        sms=(
            SHOP,
            Droppable("Karibu!"),
            ("Matengenezo yamesajiliwa (tiketi $ticketId).", "Matengenezo yamesajiliwa."),
            ("Fungua akaunti kuyafuatilia: $registrationUrl",),
        ),
        whatsapp=(
            ("Karibu $shopName!", "Karibu!"),
            ("Matengenezo yako yamesajiliwa (tiketi $ticketId).", "Matengenezo yako yamesajiliwa."),
            "Fuatilia kwa kufungua akaunti: $registrationUrl",
        ),
        push_title="Karibu",
        push_body=("Matengenezo yako yamesajiliwa.",),
    ),
    "ticket.status_changed": Texts(
        subject=("Tiketi $ticketId: kifaa chako $statusLabel", "Matengenezo yanaendelea"),
        email=(
            HELLO,
            (
                "Kifaa chako ($device) sasa $statusLabel.",
                "Kifaa chako sasa $statusLabel.",
                "Matengenezo yanaendelea.",
            ),
            ("Tiketi: $ticketId",),
            "Tutakujulisha kikiwa tayari.",
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            (
                "kifaa chako ($device) sasa $statusLabel",
                "kifaa chako sasa $statusLabel",
                "matengenezo yanaendelea",
            ),
            TICKET,
        ),
        whatsapp=(
            HELLO,
            (
                "Kifaa chako (*$device*) sasa $statusLabel.",
                "Kifaa chako sasa $statusLabel.",
                "Matengenezo yanaendelea.",
            ),
            ("Tiketi: $ticketId",),
            WA_SIGN,
        ),
        push_title=("Kifaa chako $statusLabel", "Matengenezo yanaendelea"),
        push_body=(("Kifaa chako ($device) sasa $statusLabel.", "Matengenezo yanaendelea."),),
    ),
    "ticket.completed": Texts(
        subject="Kifaa chako kiko tayari!",
        email=(
            HELLO,
            (
                "Habari njema: kifaa chako ($device) kimetengenezwa.",
                "Habari njema: kifaa chako kimetengenezwa.",
            ),
            "Unaweza kukichukua dukani wakati wa saa za kazi.",
            ("Nambari ya tiketi: $ticketId",),
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            (
                "kifaa chako ($device) kiko tayari kuchukuliwa",
                "kifaa chako kiko tayari kuchukuliwa",
            ),
            TICKET,
        ),
        whatsapp=(
            HELLO,
            (
                "Habari njema: kifaa chako (*$device*) kimetengenezwa ✅",
                "Habari njema: kifaa chako kimetengenezwa ✅",
            ),
            "Unaweza kukichukua dukani wakati wa saa za kazi.",
            ("Tiketi: $ticketId",),
            WA_SIGN,
        ),
        push_title="Matengenezo yamekamilika",
        push_body=(
            (
                "Kifaa chako ($device) kiko tayari kuchukuliwa.",
                "Kifaa chako kiko tayari kuchukuliwa.",
            ),
        ),
    ),
    "ticket.pickup_reminder": Texts(
        subject="Kifaa chako kinakusubiri",
        email=(
            HELLO,
            (
                "Kifaa chako ($device) kimetengenezwa na bado kinakusubiri dukani.",
                "Kifaa chako kimetengenezwa na bado kinakusubiri dukani.",
            ),
            (
                "Karibu ukichukue wakati wa saa za kazi ukiwa na tiketi $ticketId.",
                "Karibu ukichukue wakati wa saa za kazi.",
            ),
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            (
                "kifaa chako ($device) bado kinakusubiri dukani",
                "kifaa chako bado kinakusubiri dukani",
            ),
            TICKET,
            Droppable("Karibu ukichukue."),
        ),
        whatsapp=(
            HELLO,
            (
                "Kifaa chako (*$device*) bado kinakusubiri dukani.",
                "Kifaa chako bado kinakusubiri dukani.",
            ),
            "Karibu ukichukue wakati wa saa za kazi.",
            ("Tiketi: $ticketId",),
            WA_SIGN,
        ),
        push_title="Kifaa chako kinakusubiri",
        push_body=("Kifaa chako kimetengenezwa, karibu ukichukue.",),
    ),
}
