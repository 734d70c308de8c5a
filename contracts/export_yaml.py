"""Reading ``export.yaml``: the YAML file into an ``ExportDescription``, and an unusable one into an
error naming the file, the key and the problem (the close key when one is misspelt)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from contracts.csv_dialect import unknown_dialect_key
from contracts.description_checks import did_you_mean
from contracts.errors import ContractError
from contracts.export_description import ExportDescription

EXPORT_DESCRIPTION_FILE = "export.yaml"


def load_export_description(source_dir: Path, config_file: Path | None = None) -> ExportDescription:
    """The description of the export in ``source_dir``: ``config_file`` if given, else
    ``source_dir/export.yaml`` if present, else an empty description (ISO dates, canonical headers).

    Raises ``ContractError`` naming the file and the offending key when the description is unusable.
    """
    path = config_file if config_file is not None else source_dir / EXPORT_DESCRIPTION_FILE
    if not path.is_file():
        if config_file is not None:
            raise ContractError(f"export description {config_file} does not exist")
        return ExportDescription()
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        hint = "; quote date formats: date_format: \"%d/%m/%Y\"" if "'%'" in str(error) else ""
        raise ContractError(f"{path.name}: not valid YAML ({error}){hint}") from error
    if content is None:
        return ExportDescription()
    if not isinstance(content, dict):
        keys = ", ".join(ExportDescription.model_fields)
        raise ContractError(f"{path.name}: expected keys {keys} at the top level")
    try:
        return ExportDescription.model_validate(content)
    except ValidationError as error:
        first = error.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = _unknown_key(first["loc"])
        raise ContractError(f"{path.name}: {_key_path(first['loc'], content)}: {message}") from error


def _unknown_key(loc: tuple) -> str:
    """What to say of a key the description does not have: the close one, and the keys there are."""
    if loc[:1] == ("csv",):
        return unknown_dialect_key(str(loc[-1]))
    keys = list(ExportDescription.model_fields)
    return f"not a key of export.yaml{did_you_mean(str(loc[-1]), keys)}; the keys are {', '.join(keys)}"


def _key_path(loc: tuple, content: object) -> str:
    """The dotted keys of ``content`` that an error location points at (type tags dropped)."""
    keys: list[str] = []
    for part in loc:
        if isinstance(content, dict) and part in content:
            keys.append(str(part))
            content = content[part]
    return ".".join(keys) or ".".join(str(part) for part in loc)

