"""The report page: one self-contained HTML file (plots embedded as PNG data URIs), rendered with
jinja2 from a template kept in this module so it ships with the package.

The page works from disk and when the service serves it at ``/v1/reports/latest`` or under
``/v1/reports/latest/``: the only links are the CSV exports written next to ``index.html``, and an
inline script points them below ``latest/`` when the page is served without a trailing slash, and
the planner workbench (``/planner``, on the serving host).
Another inline script stamps ``data-images-loaded="<loaded>/<total>"`` on ``<body>`` once every
plot has decoded, which the browser test reads.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

SECTION_IDS = ("at-risk", "recommendations", "suppliers", "forecast", "what-if", "exports")

TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Backorder Radar: planner risk report {{ as_of }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 1200px; color: #222; padding: 0 1rem; }
header p, .note { color: #555; font-size: 0.9rem; }
nav a { margin-right: 1rem; }
section { border-top: 1px solid #ddd; margin-top: 1.5rem; padding-top: 0.5rem; }
table.data { border-collapse: collapse; font-size: 0.8rem; margin: 0.5rem 0; }
table.data th, table.data td { border: 1px solid #ddd; padding: 0.2rem 0.4rem; text-align: right;
  white-space: nowrap; }
table.data th { background: #f4f4f4; white-space: normal; vertical-align: bottom; }
.text-last table.data td:last-child { text-align: left; white-space: normal; min-width: 30em; }
img.plot { max-width: 100%; display: block; margin: 0.5rem 0; }
.scroll { overflow-x: auto; }
</style>
</head>
<body>
<header>
<h1>Planner risk report</h1>
<p>As of <strong>{{ as_of }}</strong>, horizon {{ horizon }} days, generated {{ generated_at }}.
Models: {{ models }}. {{ assumptions }}</p>
<p><a id="workbench" href="/planner">Decide on the open exceptions in the planner workbench</a></p>
<nav>{% for id, title in nav %}<a href="#{{ id }}">{{ title }}</a>{% endfor %}</nav>
</header>
{% for s in sections %}
<section id="{{ s.id }}">
<h2>{{ s.title }}</h2>
{% for line in s.notes %}<p class="note">{{ line }}</p>{% endfor %}
{% for name, data in s.plots %}<img class="plot" alt="{{ name }}" src="data:image/png;base64,{{ data }}">{% endfor %}
{% for table in s.tables %}<div class="scroll{{ ' text-last' if s.text_last else '' }}">{{ table }}</div>{% endfor %}
{% if s.links %}<ul>{% for href, label in s.links %}
<li><a class="export" href="{{ href }}">{{ label }}</a></li>{% endfor %}
</ul>{% endif %}
</section>
{% endfor %}
<script>
// Served as /v1/reports/latest (no trailing slash), relative links would resolve one level up.
(function () {
  var path = window.location.pathname;
  var last = path.split("/").pop();
  if (window.location.protocol !== "file:" && last !== "" && last.indexOf(".") < 0) {
    Array.prototype.forEach.call(document.querySelectorAll("a.export"), function (a) {
      a.setAttribute("href", path + "/" + a.getAttribute("href"));
    });
  }
})();
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var loaded = images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.dataset.imagesLoaded = loaded + "/" + images.length;
});
</script>
</body>
</html>
"""


@dataclass
class Section:
    """One ``<section>``: id, heading, notes, plots (name, PNG bytes), tables and links."""

    id: str
    title: str
    notes: Sequence[str] = ()
    plots: Sequence[tuple[str, bytes]] = ()
    tables: Sequence[pd.DataFrame] = ()
    links: Sequence[tuple[str, str]] = ()
    formats: Mapping[str, str] = field(default_factory=dict)
    text_last: bool = False  # the last column is free text (reasons): let it wrap, keep it readable


def _formatter(spec: str) -> Any:
    return lambda value: "" if pd.isna(value) else format(value, spec)


def html_table(frame: pd.DataFrame, formats: Mapping[str, str] | None = None) -> Markup:
    """A DataFrame as an escaped HTML table; ``formats`` maps a column to a format spec like ".1%"."""
    formatters = {col: _formatter(spec) for col, spec in (formats or {}).items() if col in frame.columns}
    shown = frame.rename(columns=lambda c: str(c).replace("_", " "))
    formatters = {str(c).replace("_", " "): f for c, f in formatters.items()}
    text = shown.to_html(index=False, escape=True, na_rep="", classes="data", border=0, formatters=formatters,
                         float_format=lambda v: f"{v:,.1f}")
    return Markup(text)


def render_html(sections: Sequence[Section], context: Mapping[str, Any]) -> str:
    """The whole page; ``context`` holds as_of, horizon, generated_at, models and assumptions."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    rendered = [
        {
            "id": s.id,
            "title": s.title,
            "notes": list(s.notes),
            "plots": [(name, base64.b64encode(data).decode("ascii")) for name, data in s.plots],
            "tables": [html_table(t, s.formats) for t in s.tables],
            "links": list(s.links),
            "text_last": s.text_last,
        }
        for s in sections
    ]
    return env.from_string(TEMPLATE).render(
        sections=rendered, nav=[(s.id, s.title) for s in sections], **context
    )
