"""``backorder keys add``: a new random API key, shown once, and its hashed settings entry."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True, help="API keys of the service (stored as salted hashes).")


def add_key_entry(settings_file: Path, name: str, entry: dict[str, object]) -> None:
    """Add ``name: entry`` under ``api_keys`` of the YAML ``settings_file`` (created if missing).

    The file is rewritten from its parsed content, so comments in it are not kept.
    """
    import yaml

    content = yaml.safe_load(settings_file.read_text()) if settings_file.exists() else None
    content = content or {}
    keys = content.setdefault("api_keys", {}) or {}
    if name in keys:
        raise typer.BadParameter(f"api_keys already has a key named {name!r} in {settings_file}", param_hint="--name")
    keys[name] = entry
    content["api_keys"] = keys
    tmp = settings_file.with_name(settings_file.name + ".tmp")
    tmp.write_text(yaml.safe_dump(content, sort_keys=False))
    tmp.replace(settings_file)


@app.command("add")
def add(
    name: str = typer.Option(..., help="Who holds the key; audit rows and acknowledgements show it."),
    role: list[str] = typer.Option(..., help="Role of the key (repeat for several): oms, erp, planner, admin."),
    settings_file: Path | None = typer.Option(
        None, help="YAML settings file to add the hashed entry to; without it the entry is only printed."
    ),
) -> None:
    """Print a new random key once (it is not stored anywhere) and its hashed ``api_keys`` entry."""
    import yaml

    from serving.auth import ROLES
    from serving.key_hashing import hash_key, new_key

    unknown = sorted(set(role) - set(ROLES))
    if unknown:
        raise typer.BadParameter(f"unknown role(s) {unknown}; expected some of {list(ROLES)}", param_hint="--role")
    if not name.strip():
        raise typer.BadParameter("the key needs a name", param_hint="--name")
    key = new_key()
    entry = {"hash": hash_key(key), "roles": list(dict.fromkeys(role))}
    typer.echo(f"API key for {name!r} (shown once; give it to its holder, it is not stored):\n{key}\n")
    if settings_file is not None:
        add_key_entry(settings_file, name, entry)
        typer.echo(f"added the hashed entry {name!r} to api_keys in {settings_file}")
    else:
        typer.echo("add this entry under api_keys in the settings file:")
        typer.echo(yaml.safe_dump({"api_keys": {name: entry}}, sort_keys=False))
