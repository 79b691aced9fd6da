"""``make demo``: the local stack, scripted scenarios, and tables of what customers received.

Each scenario is a function of a ``Demo`` (the running stack, a Firestore client, ``say``) that
writes documents as the shop's app would; the emulator's triggers, the functions, Cloud Tasks and
the fake providers do the rest. Add a scenario by appending to ``SCENARIOS``.

Run: ``python -m devstack.demo`` (``--keep`` leaves the stack up until Ctrl-C afterwards).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from devstack.config import StackConfig
from devstack.process import StackError
from devstack.report import print_report
from devstack.stack import Stack

# gRPC's C core logs an INFO line for every channel the emulators close at shutdown.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

# Statuses a notification leaves on its own (delivery under way).
IN_FLIGHT = {"pending", "sending"}


@dataclass
class Demo:
    """What a scenario works with."""

    stack: Stack
    db: Any

    def say(self, text: str) -> None:
        print(f"\n>>> {text}", flush=True)

    def settle(self, timeout: float = 20.0) -> bool:
        """Until every trigger event is delivered, no task is due and nothing is mid-delivery."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (
                self.stack.flush_triggers(max(1.0, deadline - time.monotonic()))
                and not self._tasks_due()
                and not self._in_flight()
            ):
                time.sleep(1.0)  # status callbacks trail the sends
                return True
            time.sleep(0.3)
        print("(still busy after the timeout; showing what is there)", flush=True)
        return False

    def _tasks_due(self) -> bool:
        if not self.stack.tasks_host:
            return False
        soon = datetime.now(UTC) + timedelta(seconds=2)
        for path in self.stack.queue_paths():
            for task in self.stack.tasks_client().list_tasks(parent=path):
                when = task.schedule_time
                if when is None or when.timestamp() <= 0 or when <= soon:
                    return True
        return False

    def _in_flight(self) -> bool:
        history = self.db.collection("notification_history")
        return any((s.to_dict() or {}).get("status") in IN_FLIGHT for s in history.stream())


def shop_settings(demo: Demo) -> None:
    """The shop's settings: no quiet hours, so the demo sends whatever the time of day."""
    demo.say(
        "Shop settings: quiet hours off for the demo (an empty quietHours map), and the shop's "
        "approved WhatsApp templates for messages outside the 24-hour window"
    )
    templates = {
        key: {"contentSid": f"HX{index:032x}", "metaName": key.replace(".", "_")}
        for index, key in enumerate(
            (
                "order.placed",
                "order.shipped",
                "order.out_for_delivery",
                "order.delivered",
                "ticket.received",
                "ticket.completed",
            ),
            start=1,
        )
    }
    demo.db.collection("settings").document("notifications").set(
        {"quietHours": {}, "shopName": "Atelier Phone Paris", "whatsappTemplates": templates}
    )


def walk_in_ticket(demo: Demo) -> None:
    """A walk-in customer leaves a phone at the counter: no account, only a mobile number."""
    demo.say("Walk-in: Awa drops off her iPhone at the counter (no account, phone typed as 06 ..)")
    ticket = demo.db.collection("tickets").document("T-1001")
    ticket.set(
        {
            "clientName": "Awa Diallo",
            "clientPhone": "06 12 34 56 78",
            "device": "iPhone 12",
            "status": "received",
        }
    )
    demo.settle()
    demo.say("The repair is done: the ticket moves to completed")
    ticket.update({"status": "completed"})
    demo.settle()


def registered_customer_order(demo: Demo) -> None:
    """A registered customer with email and WhatsApp places an order that ships."""
    demo.say("Registered: Jean (email + WhatsApp enabled) places an order, delivered next day")
    demo.db.collection("customer_profiles").document("cust-jean").set(
        {
            "displayName": "Jean Martin",
            "email": "jean.martin@example.com",
            "phoneNumber": "+33 6 98 76 54 32",
            "country": "FR",
            "language": "fr",
            "notificationPreferences": {"emailEnabled": True, "whatsappEnabled": True},
        }
    )
    order = demo.db.collection("orders").document("O-2001")
    order.set(
        {
            "customerId": "cust-jean",
            "status": "placed",
            "paymentStatus": "paid",
            "total": 129.9,
            "currency": "EUR",
        }
    )
    demo.settle()
    for status in ("shipped", "out_for_delivery", "delivered"):
        demo.say(f"The order moves to {status}")
        update: dict[str, Any] = {"status": status}
        if status == "shipped":
            update["trackingUrl"] = "https://track.example.com/O-2001"
        order.update(update)
        demo.settle()


def customer_texts_stop(demo: Demo) -> None:
    """Lucie gets SMS, texts STOP, and gets no more (see devstack/scenarios/stop.py)."""
    from devstack.scenarios.stop import run_stop_scenario  # noqa: PLC0415

    result = run_stop_scenario(demo.stack, db=demo.db, say=demo.say)
    demo.settle()
    print(
        f"    SMS before STOP: {len(result.sms_before_stop)}, confirmation: "
        f"{'yes' if result.confirmation else 'no'}, SMS after STOP: {len(result.sms_after_stop)}"
    )


def abandoned_cart(demo: Demo) -> None:
    """A cart abandoned, reminded twice (a discount code on the second), then bought."""
    try:
        from devstack.scenarios.cart import run_cart_scenario  # noqa: PLC0415
    except ImportError:
        demo.say("(the abandoned-cart scenario is not available in this checkout)")
        return
    run_cart_scenario(demo.stack, db=demo.db, say=demo.say)
    demo.settle()


def campaign(demo: Demo) -> None:
    """A WhatsApp campaign to a Kenyan segment (see devstack/scenarios/campaign.py)."""
    from devstack.scenarios.campaign import run_campaign_scenario  # noqa: PLC0415

    run_campaign_scenario(demo.stack, db=demo.db, say=demo.say)
    demo.settle()


SCENARIOS: list[Callable[[Demo], None]] = [
    shop_settings,
    walk_in_ticket,
    registered_customer_order,
    customer_texts_stop,
    abandoned_cart,
    campaign,
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.demo", description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the stack up until Ctrl-C")
    args = parser.parse_args(argv)
    config = StackConfig.from_env(fakes_auto_callbacks=True, env_file=None)
    print("Starting the local stack (Firestore, Cloud Tasks, fake providers, functions)...")
    try:
        with Stack(config) as stack:
            print(stack.describe(), flush=True)
            demo = Demo(stack=stack, db=stack.firestore_client())
            for scenario in SCENARIOS:
                scenario(demo)
            print_report(stack.fakes_client(), demo.db)
            demo.db.close()
            stats = stack.trigger_stats()
            print(
                f"\ntriggers: {stats.get('delivered', 0)} events delivered, "
                f"{stats.get('failed', 0)} failed; logs in {stack.log_dir}"
            )
            if stack.console_sign_in():
                keep = "" if args.keep else " (while it runs: `make dev`, or this demo with --keep)"
                print(f"\n{stack.console_sign_in()}{keep}", flush=True)
            if args.keep:
                print("\nThe stack stays up (env above); Ctrl-C stops it.", flush=True)
                while all(c.alive() for c in stack.children):
                    time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopped.")
    except StackError as exc:
        print(f"the stack failed to start: {exc}", file=sys.stderr)
        return 1
    print("\nDemo finished; every process of the stack is stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
