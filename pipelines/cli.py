"""The ``backorder`` command line (Typer). Each command module registers itself here."""

from __future__ import annotations

import typer

from pipelines.commands import (
    bench_kaggle,
    bench_policy,
    bench_scms,
    bench_stallion,
    benchmark,
    contracts_doc,
    demo,
    evaluate,
    features,
    ingest,
    monitor,
    promote,
    report,
    simulate,
    train,
)
from settings.third_party_output import quiet_third_party_output

quiet_third_party_output()

app = typer.Typer(
    name="backorder",
    help="Backorder Radar: backorder risk, demand and lead-time forecasts, and what to do about them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command("ingest")(ingest.ingest)
app.command("demo")(demo.demo)
app.command("contracts-doc")(contracts_doc.contracts_doc)
app.command("promote")(promote.promote)
app.command("evaluate")(evaluate.evaluate)
app.command("monitor")(monitor.monitor)
app.command("simulate")(simulate.simulate)
app.command("report")(report.report)
benchmark.app.command("stallion")(bench_stallion.stallion)
benchmark.app.command("scms")(bench_scms.scms)
benchmark.app.command("kaggle")(bench_kaggle.kaggle)
benchmark.app.command("policy")(bench_policy.policy)
app.add_typer(benchmark.app, name="benchmark")
app.add_typer(features.app, name="features")
app.add_typer(train.app, name="train")

if __name__ == "__main__":
    app()
