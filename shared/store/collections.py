"""Every Firestore collection the project reads or writes, named once.

Nothing outside ``shared.store`` names a collection: flows call the store's functions.
"""

from __future__ import annotations

PROFILES = "customer_profiles"
CLIENTS = "clients"
TICKETS = "tickets"
ORDERS = "orders"
CARTS = "carts"
CAMPAIGNS = "campaigns"
CAMPAIGN_PAGES = "pages"  # campaigns/{id}/pages/{run}_{page}: what each page planned
CAMPAIGN_DESTINATIONS = "destinations"  # campaigns/{id}/destinations/{cd_...}: one per number
CAMPAIGN_ORDERS = "orders"  # campaigns/{id}/orders/{orderId}: orders attributed to it
HISTORY = "notification_history"
CONVERSATIONS = "conversations"
MESSAGES = "messages"  # conversations/{key}/messages/{id}
INBOX = "inbox"
CONSENT_EVENTS = "consent_events"
PHONE_INDEX = "phone_index"
WHATSAPP_USER_INDEX = "whatsapp_user_index"  # {WhatsApp user id}: the phone and customer behind it
CONTACT_CONFLICTS = "contact_conflicts"  # one number on several customers: for staff to sort
ORPHANS = "provider_status_orphans"
CART_REMINDERS = "cart_reminders"
DISCOUNT_CODES = "discount_codes"
DISCOUNT_REDEMPTIONS = "discount_redemptions"
WHATSAPP_TEMPLATE_STATUS = "whatsapp_template_status"  # {name}_{language}: what Meta said
SETTINGS = "settings"
SHOP_SETTINGS = "notifications"  # settings/notifications
SETTINGS_HISTORY = "settings_history"  # {changeId}: who changed settings/notifications, how
CONSOLE_ROLLUPS = "console_rollups"  # {d_<zone>_<day> | m_<zone>_<month>}: the overview's counts
STAFF_SETTINGS = "staff"  # settings/staff: who may open the console besides the claim

# A notification's reference field -> the collection of the document it is about.
SOURCES: dict[str, str] = {"ticketId": TICKETS, "orderId": ORDERS, "cartId": CARTS}
