"""Known warnings, progress bars, event logs and prints of the pinned third-party stack, declared once.

``quiet_third_party_output()`` runs first thing in each process entry point (the ``backorder``
command, the scoring service); ``tests/conftest.py`` turns the same warning list into pytest
filters, so the test run (``filterwarnings = error``) and the commands silence exactly the same
warnings. Each entry names the upstream cause; remove it when the pin moves past the fix. The
library calls that print unconditionally are wrapped in ``library_prints_silenced()`` where the
project makes them.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownWarning:
    """A third-party warning the project cannot fix by changing its own calls."""

    category: str  # dotted name of the warning class
    message: str = ""  # regular expression matched against the start of the message
    module: str = ""  # regular expression matched against the start of the emitting module
    cause: str = ""  # the upstream issue or reason

    def category_class(self) -> type[Warning]:
        module, _, name = self.category.rpartition(".")
        return getattr(importlib.import_module(module or "builtins"), name)

    def pytest_filter(self) -> str:
        """The entry in pytest's ``filterwarnings`` form (``action:message:category:module``)."""
        return f"ignore:{self.message}:{self.category}:{self.module}"


KNOWN_WARNINGS: tuple[KnownWarning, ...] = (
    KnownWarning(
        "DeprecationWarning",
        message=r"fetch_arrow_table\(\) is deprecated",
        cause="ibis's duckdb backend (Feast's duckdb offline store) calls the method duckdb "
        "deprecated; switched to to_arrow_table() upstream in ibis-project/ibis#12001",
    ),
    KnownWarning(
        "DeprecationWarning",
        module="evidently",
        cause="evidently 0.7 uses deprecated pydantic and numpy APIs inside its own modules",
    ),
    KnownWarning(
        "DeprecationWarning",
        message=r".*numpy\.core is deprecated",
        cause="evidently 0.7 imports numpy.core, renamed numpy._core in numpy 2",
    ),
    KnownWarning(
        "DeprecationWarning",
        module="litestar",
        cause="litestar (via evidently's UI) uses deprecated stdlib and msgspec APIs",
    ),
    KnownWarning(
        "DeprecationWarning",
        message=r".*GitWildMatchPattern",
        cause="bentoml 1.4 matches .bentoignore files with pathspec's deprecated GitWildMatchPattern",
    ),
    KnownWarning(
        "pydantic.warnings.PydanticDeprecatedSince211",
        cause="bentoml 1.4 and feast 0.67 read model_fields on instances, deprecated in pydantic 2.11",
    ),
    KnownWarning(
        "UserWarning",
        message=r".*Any type hint is inferred as AnyType",
        cause="MLflow 3 warns on the Any return hint of PythonModel.predict; the estimators "
        "return arrays of several shapes",
    ),
    KnownWarning(
        "UserWarning",
        message=r"Precision is ill-defined",
        cause="evidently 0.7's ClassificationPreset scores precision at the 0.5 cut-off, which a "
        "calibrated model of a rare event may never reach (scikit-learn's UndefinedMetricWarning)",
    ),
    KnownWarning(
        "DeprecationWarning",
        module="pkg_resources",
        cause="pkg_resources (setuptools) deprecates itself on import; imported by dependencies",
    ),
)


def silence_known_warnings() -> None:
    """Ignore the known third-party warnings in this process (and only those)."""
    for known in KNOWN_WARNINGS:
        warnings.filterwarnings(
            "ignore", message=known.message, category=known.category_class(), module=known.module
        )


# Environment defaults read by the libraries when they load; a value the user set wins.
QUIET_ENVIRONMENT: dict[str, str] = {
    # MLflow: one progress bar per artifact download (each model load, each reference frame).
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    # MLflow's INFO event log: database migrations, signature checks of every logged model.
    "MLFLOW_LOGGING_LEVEL": "WARNING",
    # tqdm bars (Feast draws one per materialized view); the commands draw their own progress.
    "TQDM_DISABLE": "1",
}


def quiet_third_party_output() -> None:
    """Silence the known warnings, the progress bars and the INFO logs of the stack.

    The steps report their own progress and results; third-party bars and event logs would bury
    them. Environment variables only take effect in libraries loaded afterwards, so MLflow's
    logger is also set directly when it is already loaded.
    """
    silence_known_warnings()
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    if "mlflow" in sys.modules:
        logging.getLogger("mlflow").setLevel(os.environ["MLFLOW_LOGGING_LEVEL"])


@contextlib.contextmanager
def library_prints_silenced() -> Iterator[None]:
    """Drop what is printed to stdout and stderr meanwhile, for library calls that print whatever
    the log level: Feast's materialize (a banner, a line per feature view) and MLflow's model
    registration ("Successfully registered model", "Created version"). The calling step reports
    the result itself; errors still raise."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield
