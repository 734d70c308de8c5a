"""The report page: every section with its heading, plots embedded, planner-provided text escaped."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from reports import plots
from reports.render import SECTION_IDS, Section, render_html


def test_page_has_every_section_embeds_plots_and_escapes_text():
    figure = Figure(figsize=(2, 2))
    figure.add_subplot().plot([0, 1], [1, 0])
    table = pd.DataFrame({"sku_id": ["SKU-1"], "backorder_probability": [0.256], "reasons": ["<script>x</script>"]})
    sections = [
        Section(sid, sid.title(), notes=["a note"], plots=[("plot", plots.png(figure))], tables=[table],
                formats={"backorder_probability": ".1%"}, text_last=True)
        for sid in SECTION_IDS
    ]
    html = render_html(sections, {"as_of": "2024-06-30", "horizon": 14, "generated_at": "now", "models": "m v1",
                                  "assumptions": ""})
    for sid in SECTION_IDS:
        assert f'<section id="{sid}">' in html
    assert html.count('src="data:image/png;base64,') == len(SECTION_IDS)
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert "25.6%" in html and "backorder probability" in html
    assert "dataset.imagesLoaded" in html
    assert '<a id="workbench" href="/planner">' in html  # planners act on what the report shows
