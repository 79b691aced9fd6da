"""Abandoned-cart recovery: episodes, the sweep, reminders, discount codes, recovery, report.

An *episode* is one stretch of customer inactivity on a cart, identified by the cart's
``updatedAt`` (last customer activity): new activity starts a new episode, and every reminder,
claim and discount code belongs to exactly one (``docs/data-model.md``, "Carts").
"""
