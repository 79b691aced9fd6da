"""Swahili wording of order and cart messages (see ``catalog_sw`` for the conventions)."""

from __future__ import annotations

from shared.rules.templates.catalog_sw import HELLO, MARKETING_FOOTER, SHOP, SIGN, STOP, WA_SIGN
from shared.rules.templates.model import Droppable, Texts

TEXTS: dict[str, Texts] = {
    "order.placed": Texts(
        subject=("Agizo $orderId limethibitishwa", "Agizo limethibitishwa"),
        email=(
            HELLO,
            (
                "Asante kwa agizo lako $orderId ($total).",
                "Asante kwa agizo lako $orderId.",
                "Asante kwa agizo lako.",
            ),
            "Tutakujulisha mara litakapotumwa.",
            SIGN,
        ),
        sms=(
            SHOP,
            HELLO,
            (
                "asante kwa agizo lako $orderId ($total).",
                "asante kwa agizo lako $orderId.",
                "asante kwa agizo lako.",
            ),
            Droppable("Tutakujulisha likitumwa."),
        ),
        whatsapp=(
            HELLO,
            (
                "Asante kwa agizo lako *$orderId* ($total) 🛍️",
                "Asante kwa agizo lako *$orderId* 🛍️",
                "Asante kwa agizo lako 🛍️",
            ),
            "Tutakujulisha mara litakapotumwa.",
            WA_SIGN,
        ),
        push_title="Agizo limethibitishwa",
        push_body=(("Asante kwa agizo lako $orderId.", "Asante kwa agizo lako."),),
    ),
    "order.shipped": Texts(
        subject=("Agizo $orderId limetumwa", "Agizo lako limetumwa"),
        email=(
            HELLO,
            ("Agizo lako $orderId liko njiani.", "Agizo lako liko njiani."),
            ("Lifuatilie hapa: $trackingUrl",),
            SIGN,
        ),
        sms=(
            SHOP,
            ("agizo lako $orderId limetumwa.", "agizo lako limetumwa."),
            ("Fuatilia: $trackingUrl",),
        ),
        whatsapp=(
            HELLO,
            ("Agizo lako *$orderId* liko njiani 📦", "Agizo lako liko njiani 📦"),
            ("Fuatilia: $trackingUrl",),
            WA_SIGN,
        ),
        push_title="Agizo limetumwa",
        push_body=(("Agizo lako $orderId liko njiani.", "Agizo lako liko njiani."),),
    ),
    "order.out_for_delivery": Texts(
        subject=("Agizo $orderId linafika leo", "Agizo lako linafika leo"),
        email=(
            HELLO,
            (
                "Agizo lako $orderId liko njiani na litakufikia leo.",
                "Agizo lako liko njiani na litakufikia leo.",
            ),
            ("Fuatilia: $trackingUrl",),
            SIGN,
        ),
        sms=(
            SHOP,
            ("agizo lako $orderId litakufikia leo.", "agizo lako litakufikia leo."),
            ("Fuatilia: $trackingUrl",),
        ),
        whatsapp=(
            HELLO,
            ("Agizo lako *$orderId* litakufikia leo 🚚", "Agizo lako litakufikia leo 🚚"),
            ("Fuatilia: $trackingUrl",),
            WA_SIGN,
        ),
        push_title="Linafika leo",
        push_body=(("Agizo lako $orderId litakufikia leo.", "Agizo lako litakufikia leo."),),
    ),
    "order.delivered": Texts(
        subject=("Agizo $orderId limefikishwa", "Agizo lako limefikishwa"),
        email=(
            HELLO,
            ("Agizo lako $orderId limefikishwa.", "Agizo lako limefikishwa."),
            "Asante kwa kununua kwetu! Una swali? Jibu ujumbe huu.",
            SIGN,
        ),
        sms=(
            SHOP,
            ("agizo lako $orderId limefikishwa.", "agizo lako limefikishwa."),
            Droppable("Asante kwa kununua kwetu!"),
        ),
        whatsapp=(
            HELLO,
            ("Agizo lako *$orderId* limefikishwa ✅", "Agizo lako limefikishwa ✅"),
            "Asante kwa kununua kwetu!",
            WA_SIGN,
        ),
        push_title="Agizo limefikishwa",
        push_body=(("Agizo lako $orderId limefikishwa.", "Agizo lako limefikishwa."),),
    ),
    "order.cancelled": Texts(
        subject=("Agizo $orderId limeghairiwa", "Agizo lako limeghairiwa"),
        email=(
            HELLO,
            ("Agizo lako $orderId limeghairiwa.", "Agizo lako limeghairiwa."),
            "Una swali? Jibu ujumbe huu.",
            SIGN,
        ),
        sms=(
            SHOP,
            ("agizo lako $orderId limeghairiwa.", "agizo lako limeghairiwa."),
            Droppable("Una swali? Wasiliana nasi."),
        ),
        whatsapp=(
            HELLO,
            ("Agizo lako *$orderId* limeghairiwa.", "Agizo lako limeghairiwa."),
            "Una swali? Jibu ujumbe huu.",
            WA_SIGN,
        ),
        push_title="Agizo limeghairiwa",
        push_body=(("Agizo lako $orderId limeghairiwa.", "Agizo lako limeghairiwa."),),
    ),
    "order.payment_reminder": Texts(
        subject=("Agizo $orderId: malipo yanasubiriwa", "Malipo yanasubiriwa"),
        email=(
            HELLO,
            (
                "Tafadhali lipia agizo lako $orderId ($total) kabla ya $paymentDueAt.",
                "Malipo ya agizo lako $orderId ($total) bado yanasubiriwa.",
                "Tafadhali lipia agizo lako $orderId kabla ya $paymentDueAt.",
                "Malipo ya agizo lako $orderId bado yanasubiriwa.",
                "Malipo ya agizo lako bado yanasubiriwa.",
            ),
            "Ikiwa umeshalipa, tafadhali puuza ujumbe huu.",
            SIGN,
        ),
        sms=(
            SHOP,
            (
                "tafadhali lipia agizo $orderId ($total) kabla ya $paymentDueAt.",
                "malipo ya agizo $orderId ($total) bado yanasubiriwa.",
                "tafadhali lipia agizo $orderId kabla ya $paymentDueAt.",
                "malipo ya agizo $orderId bado yanasubiriwa.",
                "malipo ya agizo lako bado yanasubiriwa.",
            ),
            Droppable("Umeshalipa? Puuza ujumbe huu."),
        ),
        whatsapp=(
            HELLO,
            (
                "Tafadhali lipia agizo lako *$orderId* ($total) kabla ya $paymentDueAt.",
                "Malipo ya agizo lako *$orderId* bado yanasubiriwa.",
                "Malipo ya agizo lako bado yanasubiriwa.",
            ),
            "Ikiwa umeshalipa, tafadhali puuza ujumbe huu.",
            WA_SIGN,
        ),
        push_title="Malipo yanasubiriwa",
        push_body=(
            (
                "Agizo $orderId: lipa kabla ya $paymentDueAt.",
                "Agizo $orderId: malipo yanasubiriwa.",
                "Malipo ya agizo lako yanasubiriwa.",
            ),
        ),
    ),
    "cart.reminder_1": Texts(
        subject="Kikapu chako kinakusubiri",
        email=(
            HELLO,
            (
                "Umeacha bidhaa kwenye kikapu chako:\n$cartLines",
                "Umeacha bidhaa kwenye kikapu chako.",
            ),
            ("Jumla: $cartTotal",),
            ("Kamilisha agizo lako hapa: $cartUrl", "Zinakusubiri kwenye tovuti yetu."),
            SIGN,
            MARKETING_FOOTER,
        ),
        sms=(
            SHOP,
            (
                "kikapu chako ($cartCount, $cartTotal) kinakusubiri:",
                "kikapu chako ($cartCount) kinakusubiri:",
                "kikapu chako kinakusubiri:",
            ),
            ("$cartUrl", "tembelea tovuti yetu."),
            STOP,
        ),
        whatsapp=(
            HELLO,
            ("Kikapu chako kinakusubiri 🛒 ($cartSummary)", "Kikapu chako kinakusubiri 🛒"),
            ("Jumla: $cartTotal",),
            ("Kamilisha agizo lako: $cartUrl",),
            "Jibu STOP kuacha kupokea ujumbe huu.",
        ),
        push_title="Kikapu chako kinakusubiri",
        push_body=(("$cartSummary", "Kamilisha agizo lako kwa mguso mmoja."),),
    ),
    "cart.reminder_2": Texts(
        subject=("Punguzo la $discountPercent% kwa kikapu chako", "Punguzo kwa kikapu chako"),
        email=(
            HELLO,
            ("Kikapu chako bado kinakusubiri:\n$cartLines", "Kikapu chako bado kinakusubiri."),
            (
                "Pata punguzo la $discountPercent% ukitumia msimbo $discountCode, hadi "
                "$discountExpiresAt.",
                "Pata punguzo la $discountPercent% ukitumia msimbo $discountCode.",
            ),
            ("Kamilisha agizo lako hapa: $cartUrl",),
            SIGN,
            MARKETING_FOOTER,
        ),
        sms=(
            SHOP,
            (
                "punguzo la $discountPercent% kwa kikapu chako, msimbo $discountCode hadi "
                "$discountExpiresAt:",
                "punguzo la $discountPercent% kwa kikapu chako, msimbo $discountCode:",
                "kikapu chako kinakusubiri:",
            ),
            ("$cartUrl", "tembelea tovuti yetu."),
            STOP,
        ),
        whatsapp=(
            HELLO,
            (
                "Kikapu chako bado kinakusubiri: pata punguzo la *$discountPercent%* ukitumia "
                "msimbo *$discountCode* "
                "hadi $discountExpiresAt 🎁",
                "Kikapu chako bado kinakusubiri: pata punguzo la *$discountPercent%* ukitumia "
                "msimbo *$discountCode* 🎁",
                "Kikapu chako bado kinakusubiri 🛒",
            ),
            ("Kamilisha agizo lako: $cartUrl",),
            "Jibu STOP kuacha kupokea ujumbe huu.",
        ),
        push_title=("Punguzo la $discountPercent%", "Kikapu chako kinakusubiri"),
        push_body=(
            (
                "Msimbo $discountCode, hadi $discountExpiresAt.",
                "Msimbo $discountCode.",
                "Kamilisha agizo lako kwa mguso mmoja.",
            ),
        ),
    ),
}
