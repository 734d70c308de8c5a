"""The ``backorder`` command line (Typer).

Command modules keep their top level light (heavy libraries are imported inside the commands), so
the CLI starts quickly; the benchmark commands, whose modules are not light, load only when run.
The root options ``--data-dir`` and ``--config`` apply to every command's settings, and
``UserErrorsExit`` turns the project's known user errors into one line on stderr and exit code 2.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from pipelines.commands import (
    check,
    contracts_doc,
    demo,
    evaluate,
    events,
    exceptions,
    features,
    ingest,
    keys,
    monitor,
    prediction_log,
    promote,
    report,
    run,
    simulate,
    train,
)
from pipelines.commands.settings_options import RootOptions

# benchmark sub-command -> "module:function"; each module is imported only when its command is used.
BENCHMARKS = {
    "kaggle": "pipelines.commands.bench_kaggle:kaggle",
    "policy": "pipelines.commands.bench_policy:policy",
    "scms": "pipelines.commands.bench_scms:scms",
    "stallion": "pipelines.commands.bench_stallion:stallion",
}


def is_user_error(error: BaseException) -> bool:
    """Errors the user can fix from the message alone: no traceback, exit code 2."""
    from pydantic import ValidationError

    from contracts.errors import ContractError, MissingInput

    # FileNotFoundError: a settings file or input path the user named is not there.
    known = (MissingInput, ContractError, ValidationError, FileNotFoundError, demo.DemoStepFailed)
    return isinstance(error, known)


class UserErrorsExit(TyperGroup):
    """The root group: a known user error becomes ``error: <message>`` on stderr and exit code 2."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            if not is_user_error(error):
                raise
            from pydantic import ValidationError

            message = str(error).strip()
            if isinstance(error, ValidationError):  # pydantic's messages span lines
                message = "; ".join(line.strip() for line in message.splitlines() if line.strip())
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(code=2) from error


def _docstring(target: str) -> str:
    """The docstring of ``module:function``, read from the source without importing the module."""
    module, function = target.split(":")
    source = Path(importlib.util.find_spec(module).origin).read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return ast.get_docstring(node) or ""
    return ""


class LazyCommands(TyperGroup):
    """A group whose commands (``BENCHMARKS``) are built from their modules on first use.

    Its own help lists them from their docstrings, so it imports none of them.
    """

    listing = False

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return sorted(BENCHMARKS)

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False

    def get_command(self, ctx: typer.Context, cmd_name: str) -> TyperCommand | TyperGroup | None:
        if cmd_name not in BENCHMARKS:
            return None
        if self.listing and cmd_name not in self.commands:
            return TyperCommand(cmd_name, help=_docstring(BENCHMARKS[cmd_name]))
        if cmd_name not in self.commands:
            module, function = BENCHMARKS[cmd_name].split(":")
            callback = getattr(importlib.import_module(module), function)
            self.commands[cmd_name] = typer.main.get_command_from_info(
                typer.models.CommandInfo(name=cmd_name, callback=callback),
                pretty_exceptions_short=True,
                rich_markup_mode=None,
            )
        return self.commands[cmd_name]


app = typer.Typer(
    name="backorder",
    cls=UserErrorsExit,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Path | None = typer.Option(
        None, help="Data folder of every step (beats BACKORDER_DATA_DIR and the settings file)."
    ),
    config: Path | None = typer.Option(None, help="Settings YAML file (a command's own --config wins)."),
) -> None:
    """Backorder Radar: backorder risk, demand and lead-time forecasts, and what to do about them."""
    from settings.third_party_output import quiet_third_party_output

    quiet_third_party_output()
    ctx.obj = RootOptions(data_dir=data_dir, config=config)


app.command("ingest")(ingest.ingest)
app.command("check")(check.check)
app.command("run")(run.run)
app.command("demo")(demo.demo)
app.command("contracts-doc")(contracts_doc.contracts_doc)
app.command("promote")(promote.promote)
app.command("evaluate")(evaluate.evaluate)
app.command("monitor")(monitor.monitor)
app.command("simulate")(simulate.simulate)
app.command("report")(report.report)
app.add_typer(
    typer.Typer(cls=LazyCommands, no_args_is_help=True),
    name="benchmark",
    help="Benchmarks on public data sets and the simulated world.",
)
app.add_typer(events.app, name="events")
app.add_typer(features.app, name="features")
app.add_typer(exceptions.app, name="exceptions")
app.add_typer(train.app, name="train")
app.add_typer(keys.app, name="keys")
app.add_typer(prediction_log.app, name="log")

if __name__ == "__main__":
    app()
