"""The planner workbench's HTML: Jinja2 templates kept as data, every value escaped.

Plain HTML forms (no script): the login form, the inbox with its filters, an exception's detail
with its reasons, recommended move, figures and plots (inline SVG drawn from
``serving.planner_plots``), and the accept / reject / snooze form.
"""

from __future__ import annotations

from typing import Any

import jinja2

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}
header{background:#1f3a5f;color:#fff;padding:.6em 1em;display:flex;justify-content:space-between}
header a{color:#fff;font-weight:600;text-decoration:none}
main{padding:1em;max-width:1100px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left}
.critical{color:#b00020;font-weight:600}.warning{color:#a15c00}.info{color:#555}
.notice{background:#e8f4e8;padding:.5em}.error{background:#fde8e8;padding:.5em}
form.inline{display:inline}textarea{width:100%;max-width:40em}
svg.plot{display:block;max-width:100%;height:auto;font-size:10px}svg.plot text{fill:#555}
.axis{stroke:#999}.today{stroke:#b00020;stroke-dasharray:3 3}.band{fill:#1f77b4;opacity:.25}
.p50{fill:none;stroke:#1f77b4;stroke-width:2}.p50-point{fill:#1f77b4}.actual{fill:#7f7f7f}.promised{fill:#555}.expected{fill:#ff7f0e}
.late{stroke:#ff7f0e;stroke-width:2}
"""

TEMPLATES = {
    "base.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · Backorder Radar</title>
<style>{{ style }}</style></head>
<body><header><a href="/planner">Planner workbench</a>
{% if csrf is not none %}<form class="inline" method="post" action="/planner/logout">
<input type="hidden" name="csrf" value="{{ csrf }}"><button id="logout">Log out</button></form>{% endif %}
</header><main>{% block main %}{% endblock %}</main></body></html>""",
    "login.html": """{% extends "base.html" %}{% block main %}
<h1>Log in</h1>
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
<form method="post" action="/planner/login">
<label>API key <input type="password" name="key" id="key" autocomplete="current-password" required></label>
<button id="login">Log in</button></form>
<p>The key is kept in an HttpOnly cookie for this page only; the API's bearer header works too.</p>
{% endblock %}""",
    "inbox.html": """{% extends "base.html" %}{% block main %}
<h1>Open exceptions ({{ exceptions|length }})</h1>
{% if notice %}<p class="notice" id="notice">{{ notice }}</p>{% endif %}
<form method="get" action="/planner" id="filters">
<label>Kind <select name="kind"><option value="">all</option>
{% for k in kinds %}<option{% if k == filters.kind %} selected{% endif %}>{{ k }}</option>{% endfor %}</select></label>
<label>Severity <select name="severity"><option value="">all</option>
{% for s in severities %}<option{% if s == filters.severity %} selected{% endif %}>{{ s }}</option>{% endfor %}
</select></label>
<label>Location <input name="location" value="{{ filters.location or '' }}" size="10"></label>
<label>Supplier <input name="supplier" value="{{ filters.supplier or '' }}" size="10"></label>
<button>Filter</button></form>
<table id="inbox"><thead><tr><th>severity</th><th>kind</th><th>summary</th><th>location</th><th>supplier</th>
<th>expected cost</th><th>status</th><th>opened</th></tr></thead><tbody>
{% for e in exceptions %}<tr data-id="{{ e.id }}">
<td class="{{ e.severity }}">{{ e.severity }}</td><td>{{ e.kind }}</td>
<td><a href="/planner/exceptions/{{ e.id }}">{{ e.summary }}</a></td><td>{{ e.location_id or '' }}</td>
<td>{{ e.supplier_id or '' }}</td><td>{{ '%.0f'|format(e.expected_cost) }}</td><td>{{ e.status }}</td>
<td>{{ e.opened_at.strftime('%Y-%m-%d %H:%M') }}</td></tr>
{% else %}<tr><td colspan="8">Nothing to do.</td></tr>{% endfor %}
</tbody></table>{% endblock %}""",
    "plots.html": """{% macro axes(plot) %}
<line class="axis" x1="{{ plot.left }}" y1="{{ plot.baseline }}" x2="{{ plot.right }}" y2="{{ plot.baseline }}"/>
{% for t in plot.x_ticks %}<text x="{{ t.at }}" y="{{ plot.baseline + 16 }}" text-anchor="middle">{{ t.label }}</text>
{% endfor %}
<line class="today" x1="{{ plot.today_x }}" y1="8" x2="{{ plot.today_x }}" y2="{{ plot.baseline }}"/>
<text x="{{ plot.today_x + 3 }}" y="10">today</text>{% endmacro %}
{% macro forecast(plot) %}
<svg class="plot" id="forecast-plot" role="img" viewBox="0 0 {{ plot.width }} {{ plot.height }}"
 width="{{ plot.width }}" height="{{ plot.height }}"><title>Units ordered per day, then the forecast (P10-P90)</title>
{{ axes(plot) }}
{% for t in plot.y_ticks %}<text x="{{ plot.left - 6 }}" y="{{ t.at + 3 }}" text-anchor="end">{{ t.label }}</text>
{% endfor %}
{% if plot.band %}<polygon class="band" points="{{ plot.band }}"/>{% endif %}
{% for p in plot.actual %}<rect class="actual" data-ds="{{ p.ds }}" data-value="{{ p.value }}" x="{{ p.x - 2 }}"
 y="{{ p.y }}" width="4" height="{{ plot.baseline - p.y }}"><title>{{ p.ds }}: {{ p.value }} ordered</title></rect>
{% endfor %}<polyline class="p50" points="{% for p in plot.p50 %}{{ p.x }},{{ p.y }} {% endfor %}"/>
{% for p in plot.p50 %}<circle class="p50-point" data-ds="{{ p.ds }}" data-value="{{ p.value }}" cx="{{ p.x }}"
 cy="{{ p.y }}" r="2"><title>{{ p.ds }}: forecast median {{ p.value }}</title></circle>{% endfor %}
</svg>{% endmacro %}
{% macro eta(plot) %}
<svg class="plot" id="eta-plot" role="img" viewBox="0 0 {{ plot.width }} {{ plot.height }}"
 width="{{ plot.width }}" height="{{ plot.height }}"><title>Open POs: promised date against expected arrival</title>
{{ axes(plot) }}
{% for r in plot.rows %}<g class="po" data-po="{{ r.po_id }}" data-promised="{{ r.promised }}"
 data-expected="{{ r.expected }}" data-p-late="{{ '' if r.p_late is none else r.p_late }}">
<line class="late" x1="{{ r.promised_x }}" y1="{{ r.y }}" x2="{{ r.expected_x }}" y2="{{ r.y }}"/>
<circle class="promised" cx="{{ r.promised_x }}" cy="{{ r.y }}" r="4"/>
<circle class="expected" cx="{{ r.expected_x }}" cy="{{ r.y }}" r="4"/>
<text x="{{ plot.left + 2 }}" y="{{ r.y - 6 }}">{{ r.po_id }}: {{ '%g'|format(r.quantity) }} units,
promised {{ r.promised }},
expected {{ r.expected }}{% if r.p_late is not none %}, P(late) {{ '%.0f'|format(r.p_late * 100) }}%{% endif %}</text>
<title>{{ r.po_id }}</title></g>{% endfor %}
</svg>{% endmacro %}""",
    "exception.html": """{% extends "base.html" %}{% import "plots.html" as plots %}{% block main %}
<h1 class="{{ e.severity }}">{{ e.summary }}</h1>
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
<p>{{ e.severity }} · {{ e.kind }} · status <strong id="status">{{ e.status }}</strong> ·
expected cost {{ '%.0f'|format(e.expected_cost) }} · detected {{ e.detections }} time(s) since {{ e.opened_at }}</p>
<h2>Why</h2><ul id="reasons">{% for code in e.reason_codes %}
<li><code>{{ code }}</code>: {{ reasons.get(code, '') }}</li>{% endfor %}</ul>
<h2>Recommended action</h2><p>{{ e.action }}</p>
<p>Expected effect: {{ e.expected_effect }}</p>
<p>Accepting does: <strong id="move">{{ move.description }}</strong></p>
<h2>Figures</h2><table id="figures"><tbody>
{% for name in subjects %}{% if e[name] %}<tr><th>{{ name }}</th><td>{{ e[name] }}</td></tr>{% endif %}{% endfor %}
{% for name, value in e.details.items() %}<tr><th>{{ name }}</th><td>{{ value }}</td></tr>{% endfor %}
{% if position %}<tr><th>live on hand / reserved / in transit</th>
<td id="live">{{ position.on_hand }} / {{ position.reserved }} / {{ position.in_transit }}</td></tr>{% endif %}
</tbody></table>
{% if demand_plot %}<h2>Demand and forecast</h2>{{ plots.forecast(demand_plot) }}
<p>Grey: units ordered per day; blue: the forecast's median and its P10-P90 band; red: today.</p>{% endif %}
{% if eta_plot %}<h2>Open purchase orders</h2>{{ plots.eta(eta_plot) }}
<p>Dark: the promised date; orange: the expected arrival (ASN ETA, else promised + expected delay).</p>{% endif %}
{% if active %}<h2>Decide</h2>
<form method="post" action="/planner/exceptions/{{ e.id }}/decide" id="decide">
<input type="hidden" name="csrf" value="{{ csrf or '' }}">
<p><label>Comment<br><textarea name="comment" id="comment" rows="3" maxlength="2000"></textarea></label></p>
<p><label>Snooze for <select name="snooze_hours">{% for h in (4, 24, 72, 168) %}
<option value="{{ h }}"{% if h == 24 %} selected{% endif %}>{{ h }} hours</option>{% endfor %}</select></label></p>
<button name="decision" value="accept" id="accept">Accept</button>
<button name="decision" value="reject" id="reject">Reject</button>
<button name="decision" value="snooze" id="snooze">Snooze</button></form>{% endif %}
{% if decisions %}<h2>Decisions</h2><table id="decisions"><tbody>
{% for d in decisions %}<tr><td>{{ d.decided_at }}</td><td>{{ d.who }}</td><td>{{ d.decision }}</td>
<td>{{ d.action_kind }}</td><td>{{ d.comment or '' }}</td></tr>{% endfor %}</tbody></table>{% endif %}
{% endblock %}""",
    "problem.html": """{% extends "base.html" %}{% block main %}
<h1>{{ title }}</h1><p class="error" id="error">{{ message }}</p><p><a href="/planner">Back to the inbox</a></p>
{% endblock %}""",
}

_environment = jinja2.Environment(
    loader=jinja2.DictLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
)


def render(name: str, **context: Any) -> str:
    """The page ``name`` with ``context`` (``title`` and ``csrf``, None when logged out, always)."""
    return _environment.get_template(name).render(style=STYLE, **context)
