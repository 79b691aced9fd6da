"""Charts drawn on the server as SVG (no script): stacked bars, plain bars, a funnel.

Every text is escaped; the result is ``Markup`` to put in a template as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

COLORS = {
    "read": "#1a7f37",
    "delivered": "#4caf50",
    "sent": "#64b5f6",
    "waiting": "#b0bec5",
    "failed": "#e53935",
    "skipped": "#ffb74d",
}
BAR = "#1f6feb"


def _svg(width: int, height: int, body: Sequence[str], label: str) -> Markup:
    return Markup(  # noqa: S704 - every text in ``body`` and ``label`` is escaped above
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" font-size="12">{"".join(body)}</svg>'
    )


def stacked_bars(
    rows: Sequence[tuple[str, Mapping[str, int]]],
    groups: Sequence[str],
    names: Mapping[str, str],
    label: str,
) -> Markup:
    """One horizontal bar per row (a channel), stacked by group (statuses), counts at the end."""
    width, left, right, bar, gap = 600, 90, 50, 22, 12
    top = 4
    biggest = max([sum(v.values()) for _, v in rows] + [1])
    scale = (width - left - right) / biggest
    body = []
    for i, (name, values) in enumerate(rows):
        y = top + i * (bar + gap)
        body.append(
            f'<text x="{left - 8}" y="{y + bar * 0.7:.1f}" text-anchor="end" fill="#1d2430">'
            f"{escape(names.get(name, name))}</text>"
        )
        x = float(left)
        for group in groups:
            count = values.get(group, 0)
            if not count:
                continue
            w = count * scale
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{bar}" '
                f'fill="{COLORS.get(group, BAR)}"><title>{escape(names.get(group, group))}: '
                f"{count}</title></rect>"
            )
            x += w
        body.append(
            f'<text x="{x + 6:.1f}" y="{y + bar * 0.7:.1f}" fill="#5d6776">'
            f"{sum(values.values())}</text>"
        )
    height = top * 2 + len(rows) * (bar + gap)
    return _svg(width, height, body, label)


def bars(values: Sequence[tuple[str, float]], label: str, unit: str = "") -> Markup:
    """Vertical bars (one per month), the value above each."""
    width, height, bottom, top = 600, 180, 24, 18
    n = max(len(values), 1)
    slot = width / n
    biggest = max([v for _, v in values] + [0.000001])
    body = []
    for i, (name, value) in enumerate(values):
        h = (height - bottom - top) * value / biggest
        x = i * slot + slot * 0.2
        y = height - bottom - h
        shown = f"{value:,.2f}{unit}" if isinstance(value, float) and unit else f"{value:g}{unit}"
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" height="{max(h, 0.5):.1f}" '
            f'fill="{BAR}"><title>{escape(name)}: {escape(shown)}</title></rect>'
        )
        body.append(
            f'<text x="{x + slot * 0.3:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
            f'fill="#5d6776">{escape(shown)}</text>'
        )
        body.append(
            f'<text x="{x + slot * 0.3:.1f}" y="{height - 6}" text-anchor="middle" '
            f'fill="#1d2430">{escape(name)}</text>'
        )
    return _svg(width, height, body, label)


def funnel(steps: Sequence[tuple[str, int]], label: str) -> Markup:
    """Centered bars, each as wide as its count relative to the first step."""
    width, bar, gap = 600, 34, 8
    biggest = max([v for _, v in steps] + [1])
    body = []
    for i, (name, value) in enumerate(steps):
        w = max((width - 20) * value / biggest, 2)
        x = (width - w) / 2
        y = i * (bar + gap)
        body.append(
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" rx="4" fill="#9ec5fe" '
            f'opacity="{1 - i * 0.12:.2f}"></rect>'
        )
        body.append(
            f'<text x="{width / 2}" y="{y + bar * 0.65:.1f}" text-anchor="middle" '
            f'fill="#1d2430" font-weight="600">{escape(name)}: {value}</text>'
        )
    return _svg(width, len(steps) * (bar + gap), body, label)
