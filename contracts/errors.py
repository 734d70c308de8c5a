"""The one error type for input that cannot be validated at all, and its variants with details."""

from __future__ import annotations


class ContractError(ValueError):
    """An export or frame is structurally unusable: missing required column, undecodable, empty.

    The message names the file or table and the column or problem.
    """


class MissingInput(LookupError):
    """A table, file or registered model a step needs is absent.

    The message names what is missing, where it was looked for, and what to do: usually the
    ``backorder`` command that produces it.
    """

    def __init__(self, what: str, remedy: str, where: object | None = None) -> None:
        self.what, self.remedy, self.where = what, remedy, where
        place = f" at {where}" if where is not None else ""
        super().__init__(f"{what} not found{place}: {remedy}")


class MissingColumnsError(ContractError):
    """An export lacks required columns; ``close_matches`` lists, per missing column, the file's
    unused headers that look like it (best first), so the user can map them in ``export.yaml``;
    ``header_hint`` says where the header seems to be when it is below the row read."""

    def __init__(
        self, file: str, missing: list[str], close_matches: dict[str, list[str]], header_hint: str = ""
    ) -> None:
        self.file = file
        self.missing = missing
        self.close_matches = close_matches
        message = f"{file}: missing required column(s) {', '.join(missing)}"
        hints = [
            f"{column}: {', '.join(map(repr, headers))}"
            for column, headers in close_matches.items()
            if headers
        ]
        if header_hint:
            message += header_hint
        elif hints:
            message += f"; close matches in the file: {'; '.join(hints)}"
        if not header_hint:
            message += (" (map export headers to columns under `columns:` in export.yaml, or give a column"
                        " the ERP does not have one value for every row under `defaults:`)")
        super().__init__(message)


class AmbiguousDatesError(ContractError):
    """A date column without a declared format holds values that read both day-first and
    month-first next to values valid only one way, so some of them would be misread.

    ``example`` is a value that would be misread, ``evidence`` one that fixes the order, and
    ``date_format`` the setting that reads the column as its one-way values suggest.
    """

    def __init__(
        self, file: str, table: str, column: str, example: str, evidence: str, date_format: str
    ) -> None:
        self.file = file
        self.table = table
        self.column = column
        self.example = example
        self.evidence = evidence
        self.date_format = date_format
        super().__init__(
            f"{file}: column {column} has dates whose day/month order is unclear: {example!r} "
            f"next to {evidence!r}; declare the order in export.yaml as "
            f"`date_format: {date_format!r}` (all tables) or "
            f"`date_format: {{{table}: {date_format!r}}}` (this table)"
        )
