"""Page 5, carts: the funnel of the cart report (``shared.flows.carts.report``) for a date range:
abandoned (a reminder planned), reminded once, twice, recovered; recovery rate, revenue
recovered, codes used."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.flows.carts.report import Report, recovery_report
from shared.model.enums import EventKey

if TYPE_CHECKING:
    from google.cloud.firestore import Client


@dataclass(frozen=True)
class Funnel:
    report: Report
    steps: Sequence[tuple[str, int]]  # (key, carts), widest first


def funnel(db: Client, start: datetime, end: datetime) -> Funnel:
    report = recovery_report(db, start, end)
    stages = report.carts_reached_by_stage
    steps = (
        ("abandoned", report.carts_planned),
        ("reminded_once", stages.get(EventKey.CART_REMINDER_1.value, 0)),
        ("reminded_twice", stages.get(EventKey.CART_REMINDER_2.value, 0)),
        ("recovered", report.carts_recovered),
    )
    return Funnel(report, steps)
