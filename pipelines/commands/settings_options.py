"""The settings a command runs with: its own ``--config``, the root ``--data-dir``/``--config``.

``settings.load_settings`` still reads ``BACKORDER_*`` variables and the default settings file; the
root ``--data-dir`` overrides the data folder they name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import typer
from typer.main import get_current_context

from settings import Settings, load_settings
from settings.registry_client import use_artifact_store

CONFIG_OPTION = typer.Option(None, help="Settings YAML file (default: the root --config, then BACKORDER_CONFIG).")


class Engine(StrEnum):
    """Where the Dask-capable steps run (``Settings.engine``): in this process or on a Dask cluster."""

    local = "local"
    dask = "dask"


@dataclass(frozen=True)
class RootOptions:
    """Options given before the command name (``backorder --data-dir DIR simulate ...``)."""

    data_dir: Path | None = None
    config: Path | None = None


def command_settings(config: Path | None = None, data_dir: Path | None = None) -> Settings:
    """Settings of the running command: ``config`` or the root ``--config``, and ``data_dir`` (a
    command's own ``--data-dir``) or the root ``--data-dir``; MLflow's S3 client is pointed at the
    settings' artifact store."""
    context = get_current_context(silent=True)
    root = context.find_root().obj if context is not None else None
    root = root if isinstance(root, RootOptions) else RootOptions()
    data_dir = data_dir or root.data_dir
    overrides = {"data_dir": data_dir} if data_dir is not None else {}
    settings = load_settings(config or root.config, **overrides)
    use_artifact_store(settings)
    return settings
