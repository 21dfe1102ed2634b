"""Charts as SVG drawn on the server: readable without JavaScript, printable, and each with its data table
beside it in the page (the table is what a screen reader reads; the picture is marked as an image with a
title and a one-line description).

A chart is a list of groups (a week, a day, an agency), each with its values in a fixed order of series
(on time, late, waiting), drawn as stacked bars; patterns as well as colours tell the series apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from markupsafe import Markup, escape

# GOV.UK colours, and a pattern for each series so that colour is not the only difference.
COLOURS = ("#00703c", "#d4351c", "#f47738", "#1d70b8", "#505a5f", "#912b88")
PATTERNS = ("", "diagonal", "dots", "", "diagonal", "dots")
GRADE_COLOURS = ("#d4351c", "#f47738", "#00703c")  # high, medium, standard: as the grade tags


class Series(msgspec.Struct, frozen=True):
    label: str


class Group(msgspec.Struct, frozen=True):
    label: str
    values: list[int]


def _defs(chart_id: str) -> str:
    return (
        "<defs>"
        f'<pattern id="{chart_id}-diagonal" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="currentColor" opacity="0"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern>'
        f'<pattern id="{chart_id}-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<circle cx="3" cy="3" r="1.2" fill="#ffffff"/></pattern>'
        "</defs>"
    )


def stacked_bars(
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[Series],
    groups: Sequence[Group],
    colours: Sequence[str] = COLOURS,
) -> Markup:
    """Vertical stacked bars, one per group, scaled to the tallest; a legend under the axis."""
    width, height, left, bottom, top = 640, 240, 40, 40, 10
    plot_h = height - bottom - top
    tallest = max((sum(g.values) for g in groups), default=0) or 1
    step = (width - left - 10) / max(len(groups), 1)
    bar = max(min(step * 0.7, 48), 4)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 30}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" class="pitstop-chart" id="{chart_id}" '
        'font-family="arial, sans-serif">',
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>',
        _defs(chart_id),
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 5}" y2="{top + plot_h}" stroke="#0b0c0c"/>',
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" font-size="11">{tallest}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    for n, group in enumerate(groups):
        x = left + n * step + (step - bar) / 2
        y = top + plot_h
        for k, value in enumerate(group.values):
            if not value:
                continue
            h = plot_h * value / tallest
            y -= h
            colour = colours[k % len(colours)]
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}"/>')
            if PATTERNS[k % len(PATTERNS)]:
                pattern = f"url(#{chart_id}-{PATTERNS[k % len(PATTERNS)]})"
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{pattern}"/>')
        if len(groups) <= 16 or n % max(len(groups) // 12, 1) == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" font-size="10">'
                f"{escape(group.label)}</text>"
            )
    x = left
    for k, item in enumerate(series):
        colour = colours[k % len(colours)]
        parts.append(f'<rect x="{x}" y="{height + 8}" width="12" height="12" fill="{colour}"/>')
        if PATTERNS[k % len(PATTERNS)]:
            parts.append(
                f'<rect x="{x}" y="{height + 8}" width="12" height="12" '
                f'fill="url(#{chart_id}-{PATTERNS[k % len(PATTERNS)]})"/>'
            )
        parts.append(f'<text x="{x + 16}" y="{height + 18}" font-size="11">{escape(item.label)}</text>')
        x += 24 + 7 * len(item.label)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()
