"""The planner risk report: what is at risk, why, what to do about it, and what-if runs.

Pure steps turn canonical tables, feature tables and champion-model outputs into the report's
tables (``reports.sections``), plots (``reports.plots``), simulator what-if runs
(``reports.whatif``) and one self-contained HTML page (``reports.render``). Reading models and
files and writing the report folder happen in ``pipelines/commands/report.py``; the service only
serves the written folder (``GET /v1/reports/latest``), it never imports this package.
"""
