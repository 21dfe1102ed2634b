"""Server-drawn charts (pitstop.dashboard.charts): an image with a title and description for screen
readers, one bar segment per non-zero value scaled to the tallest group, a legend, and every text escaped."""

from __future__ import annotations

import re

from pitstop.dashboard.charts import Group, Series, stacked_bars


def test_a_stacked_bar_chart_is_a_labelled_image_scaled_to_its_tallest_bar() -> None:
    svg = stacked_bars(
        "weeks",
        "Screened within the deadline",
        "Per week: on time, late, waiting",
        [Series("On time"), Series("Late"), Series("Waiting")],
        [Group("24 Aug", [2, 1, 0]), Group("31 Aug", [0, 1, 1]), Group("<b>7 Sep</b>", [0, 0, 0])],
    )
    assert 'role="img" aria-labelledby="weeks-title weeks-desc"' in svg
    assert '<title id="weeks-title">Screened within the deadline</title>' in svg
    bars = re.findall(r'<rect x="\d+\.\d" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="#', svg)
    # 2 and 1 of a tallest 3 (190 px), then 1 and 1; none drawn for a 0 (the legend's squares are not bars).
    assert [float(h) for h in bars] == [126.7, 63.3, 63.3, 63.3]
    assert "&lt;b&gt;7 Sep&lt;/b&gt;" in svg
    assert "<b>" not in svg
    assert [t for t in re.findall(r">([A-Za-z ]+)</text>", svg) if t in ("On time", "Late", "Waiting")] == [
        "On time",
        "Late",
        "Waiting",
    ]
