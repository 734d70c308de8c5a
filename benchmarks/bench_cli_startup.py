"""Start-up time of the ``backorder`` command line: ``--help`` of the root and of every command.

Usage: .venv/bin/python benchmarks/bench_cli_startup.py [--repeat 5]
Each ``--help`` runs in a fresh process (as a user runs it), after one warm-up run that also
compiles bytecode; prints the median and worst wall time per command line. The target is below
1 s for each: ``--help`` imports only the command modules, whose top level is kept light.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import typer
from typer.core import TyperGroup

from pipelines.cli import app

BACKORDER = Path(sys.executable).parent / "backorder"


def command_lines(group: TyperGroup, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the CLI, groups included (``()`` is the root)."""
    lines = [prefix]
    context = typer.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, TyperGroup):
            lines += command_lines(command, (*prefix, name))
        else:
            lines.append((*prefix, name))
    return lines


def wall_time(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="Timed runs per command line.")
    args = parser.parse_args()
    print(f"{'command':<36}{'median s':>10}{'worst s':>10}")
    for line in command_lines(typer.main.get_command(app)):
        argv = [str(BACKORDER), *line, "--help"]
        wall_time(argv)  # warm-up: bytecode and file cache
        times = [wall_time(argv) for _ in range(args.repeat)]
        print(f"{' '.join(('backorder', *line)):<36}{statistics.median(times):>10.2f}{max(times):>10.2f}")


if __name__ == "__main__":
    main()
