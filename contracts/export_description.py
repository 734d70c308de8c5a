"""How one export folder is written, declared once in ``export.yaml``.

ERP exports name columns their own way ("Item Number" for ``sku_id``) and write dates in a
local order (``31/12/2024``). The export description says so explicitly, per table or for all
tables, so ingest neither stops on foreign headers nor guesses the order of day and month.

    source: acme-erp                   # the system the exports come from (default: the folder)
    date_format: "%d/%m/%Y"            # or per table: {order_lines: "%d/%m/%Y", orders: ...}
    columns:
      order_lines: {"Item Number": sku_id, "Whse": location_id}
    inventory: current_stock           # snapshots hold today's stock only (default: told by the dates)
    defaults: {orders: {customer_tier: silver}}   # a column the ERP does not have, one value for all rows
    values: {orders: {customer_tier: {A: gold, B: silver, C: bronze}}}   # the ERP's codes -> ours
    csv: {delimiter: ";", decimal: ",", thousands: ".", encoding: cp1252, negatives: trailing}  # 5- is -5
                                       # or per table: {purchase_orders: {delimiter: ";"}, order_lines: {}}
    parts: {purchase_orders: updates}  # a table's folder of files: `split` (default) or successive `updates`
    header_row: {purchase_orders: 4}   # the header's row under a report's title (default: first non-empty)
    read_from: {orders: order_lines}   # a table whose columns are on another's rows (an order's on each line)
    exclude: {order_lines: {"Line Status": [CANCELLED]}}   # rows left out, by the value of an export column
    combine: {purchase_orders: {po_id: [PO Number, Line]}}  # a text column made of export columns: 4500017-10
                                       # or a date-time of a date and a time: {orders: {order_time: [Date, Time]}}
    units: {order_lines: Sales Unit}   # the column naming each row's unit of measure, converted by sku_units
    unit_factors: {EA: 1, DZ: 12}      # units with one factor for every item unless sku_units says otherwise
    unpivot: {inventory_snapshots: {headers: ["WH-*"], names_to: location_id, values_to: on_hand}}  # a column
                                       # per warehouse read as one row per cell (contracts.wide_headers)
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from contracts.csv_dialect import DEFAULT_DIALECT, CsvDialect, table_dialect
from contracts.day_numbers import is_day_number_format
from contracts.description_checks import Cell, checked_cell, checked_format, did_you_mean, known_column, known_table
from contracts.export_tables import EXPORT_TABLES, counts_items
from contracts.validation import cell_text, default_value
from contracts.wide_headers import Unpivot, checked_unpivot

# How the files of a table's folder relate: the rows of one table split over them (a key in two files
# is quarantined), or successive extracts (a key's row in a later file replaces the earlier one).
PartsMode = Literal["split", "updates"]
PARTS_MODES: tuple[PartsMode, ...] = get_args(PartsMode)


class ExportDescription(BaseModel):
    """The source, the date format(s), the export header -> canonical column names, the column
    defaults, the value codes and the CSV dialect of one export."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str | None = Field(
        None,
        min_length=1,
        description="Name of the system the exports come from: successive export folders of one "
        "system are one world (default: the export folder itself).",
    )
    date_format: str | dict[str, str] | None = Field(
        None, description="One strftime format for all tables, or one per table; or the name of the day number "
        "dates are stored as: `excel`, `excel-1904` (a spreadsheet's serial days), `jde` (JD Edwards' CYYDDD).",
    )
    columns: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Per table: export header -> canonical column."
    )
    inventory: Literal["snapshots", "current_stock"] | None = Field(
        None,
        description="What inventory_snapshots holds: daily `snapshots`, or `current_stock` to rebuild "
        "the daily history from (default: current stock when it holds a single date).",
    )
    defaults: dict[str, dict[str, Cell]] = Field(
        default_factory=dict,
        description="Per table: column -> the value of every row where the export leaves it empty or "
        "does not have the column.",
    )
    values: dict[str, dict[str, dict[str, Cell]]] = Field(
        default_factory=dict,
        description="Per table and column: a value as the export writes it -> the value it stands for.",
    )
    csv: CsvDialect | dict[str, CsvDialect] = Field(
        default_factory=CsvDialect,
        description="How the CSV files are written, for all tables or per table (default: comma-separated, "
        "decimal point, UTF-8).",
    )
    parts: PartsMode | dict[str, PartsMode] = Field(
        "split",
        description="How the files of a table's folder relate, for all tables or per table: `split` (the "
        "table's rows split over them) or `updates` (successive extracts; a row in a later file replaces "
        "the row with its key in an earlier one).",
    )
    header_row: int | dict[str, int] | None = Field(
        None,
        description="The row of CSV and spreadsheet files that holds the header, counting from 1, for all "
        "tables or per table; the rows above it (a report's title, when it ran) are skipped (default: the "
        "first row that is not empty).",
    )
    read_from: dict[str, str] = Field(
        default_factory=dict,
        description="Per table exported on the rows of another: the other table (`orders: order_lines` "
        "when each order line carries its order's columns); one row per key is read, repeats skipped.",
    )
    exclude: dict[str, dict[str, list[Cell]]] = Field(
        default_factory=dict,
        description="Per table and export header: the values whose rows are left out (cancelled lines, "
        "deleted PO lines), counted in the ingest report.",
    )
    combine: dict[str, dict[str, str | list[str]]] = Field(
        default_factory=dict,
        description="Per table: text column -> the export header(s) whose values, joined by `-`, make it "
        "(a PO line's id from its PO number and line number; an order line's id from its item); date-time "
        "column -> its date header and its time-of-day header.",
    )
    units: dict[str, str] = Field(
        default_factory=dict,
        description="Per table: the export header naming the unit of measure of each row's quantities (`CS`, "
        "`PAL`), converted to stocking units by the export's `sku_units` table; an empty cell is stocking units.",
    )
    unit_factors: dict[str, float] = Field(
        default_factory=dict,
        description="Units of measure (as written in the `units` columns) whose number of stocking units is the "
        "same for every item (`EA: 1`, `DZ: 12`), unless `sku_units` gives the item another.",
    )
    unpivot: dict[str, Unpivot] = Field(
        default_factory=dict,
        description="Per table written wide (one column per warehouse): `headers`, the export headers whose cells "
        "become rows (a `*` in one matches any text: `WH-*`), `names_to`, the column taking each header, and "
        "`values_to`, the column taking each cell; an empty cell gives no row.",
    )

    @field_validator("date_format")
    @classmethod
    def _valid_date_formats(cls, value: str | dict[str, str] | None) -> str | dict[str, str] | None:
        if isinstance(value, str):
            return checked_format(value)
        for table, table_format in (value or {}).items():
            known_table(table)
            try:
                checked_format(table_format)
            except ValueError as error:
                raise ValueError(f"{table}: {error}") from None
        return value

    @field_validator("csv", mode="before")
    @classmethod
    def _valid_dialects(cls, value: object) -> object:
        """Per table when a key names a table (each dialect checked, errors naming the table), else one
        dialect for all tables."""
        if not isinstance(value, dict) or not any(key in EXPORT_TABLES for key in value):
            return value
        if mixed := [key for key in value if key in CsvDialect.model_fields]:
            raise ValueError(f"{mixed[0]} beside tables: give one dialect for all tables, or one per table")
        return {known_table(table): table_dialect(table, declared) for table, declared in value.items()}

    @field_validator("parts", mode="before")
    @classmethod
    def _valid_parts(cls, value: object) -> object:
        """One message naming the table and the modes, where the type union would give one per member."""
        for table, mode in (value.items() if isinstance(value, dict) else [("", value)]):
            prefix = f"{known_table(table)}: " if table else ""
            if mode not in PARTS_MODES:
                raise ValueError(f"{prefix}{mode!r} is not one of {', '.join(PARTS_MODES)}")
        return value

    @field_validator("header_row", mode="before")
    @classmethod
    def _valid_header_rows(cls, value: object) -> object:
        for table, row in (value.items() if isinstance(value, dict) else [] if value is None else [("", value)]):
            prefix = f"{known_table(table)}: " if table else ""
            if isinstance(row, bool) or not isinstance(row, int) or row < 1:
                raise ValueError(f"{prefix}must be a row number from 1, got {row!r}")
        return value

    @field_validator("read_from")
    @classmethod
    def _valid_read_from(cls, value: dict[str, str]) -> dict[str, str]:
        for table, host in value.items():
            known_table(table)
            try:
                known_table(host)
            except ValueError as error:
                raise ValueError(f"{table}: {error}") from None
            if host == table:
                raise ValueError(f"{table}: a table cannot be read from its own files")
            if host in value:
                raise ValueError(f"{table}: {host} is itself read from {value[host]}; name a table exported "
                                 "in its own files")
        return value

    @field_validator("exclude")
    @classmethod
    def _valid_exclusions(cls, value: dict[str, dict[str, list[Cell]]]) -> dict[str, dict[str, list[Cell]]]:
        for table, headers in value.items():
            known_table(table)
            for header, values in headers.items():
                if not values:
                    raise ValueError(f"{table}: {header!r}: list the values whose rows are left out")
        return value

    @field_validator("columns")
    @classmethod
    def _valid_column_mappings(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for table, mapping in value.items():
            known_table(table)
            canonical = EXPORT_TABLES[table].column_names
            claimed: dict[str, str] = {}
            for header, column in mapping.items():
                if column not in canonical:
                    raise ValueError(
                        f"{table}: {header!r} -> {column!r}: table {table} has no column "
                        f"{column!r}{did_you_mean(column, canonical)}"
                    )
                if column in claimed:
                    raise ValueError(
                        f"{table}: {claimed[column]!r} and {header!r} both map to {column}"
                    )
                claimed[column] = header
        return value

    @field_validator("combine")
    @classmethod
    def _valid_combinations(
        cls, value: dict[str, dict[str, str | list[str]]], info: ValidationInfo
    ) -> dict[str, dict[str, str | list[str]]]:
        for table, columns in value.items():
            for column, headers in columns.items():
                kind = known_column(table, column).column(column).kind
                if kind not in ("string", "datetime"):
                    raise ValueError(f"{table}: {column}: only a text column (an id, a name) or a date-time (a date "
                                     "and a time of day) is made of export columns")
                if not headers:
                    raise ValueError(f"{table}: {column}: name the export header(s) it is made of")
                if kind == "datetime" and (isinstance(headers, str) or len(headers) != 2):
                    raise ValueError(f"{table}: {column}: a date-time is made of two export columns, its date and "
                                     "its time of day: [Date header, Time header]")
                day_numbers = info.data.get("date_format")
                day_numbers = day_numbers.get(table) if isinstance(day_numbers, dict) else day_numbers
                if kind == "datetime" and is_day_number_format(day_numbers):
                    raise ValueError(f"{table}: {column}: a date and a time of day are not combined when the "
                                     f"table's dates are day numbers ({day_numbers}); map the date header alone")
                mapped = [header for header, target in info.data.get("columns", {}).get(table, {}).items()
                          if target == column]
                if mapped:
                    raise ValueError(f"{table}: {column}: also mapped from {mapped[0]!r} under columns; keep one")
        return value

    @field_validator("units")
    @classmethod
    def _valid_units(cls, value: dict[str, str]) -> dict[str, str]:
        for table in value:
            known_table(table)
            if not counts_items(table):
                counted = [name for name in EXPORT_TABLES if counts_items(name)]
                raise ValueError(f"{table}: its rows hold no item quantity to convert; units apply to "
                                 f"{', '.join(counted)}")
        return value

    @field_validator("unit_factors")
    @classmethod
    def _valid_unit_factors(cls, value: dict[str, float]) -> dict[str, float]:
        for unit, factor in value.items():
            if not factor > 0:
                raise ValueError(f"{unit}: the stocking units in one {unit} must be > 0, got {factor:g}")
        return value

    @field_validator("unpivot", mode="before")
    @classmethod
    def _valid_unpivots(cls, value: object, info: ValidationInfo) -> object:
        """Checked before typing, for one message naming the table where pydantic would give one per key."""
        for table, declared in (value.items() if isinstance(value, dict) else []):
            checked_unpivot(known_table(table), declared, info.data)
        return value

    @field_validator("defaults")
    @classmethod
    def _valid_defaults(cls, value: dict[str, dict[str, Cell]]) -> dict[str, dict[str, Cell]]:
        for table, columns in value.items():
            for column, default in columns.items():
                if (column,) == known_column(table, column).key:
                    raise ValueError(f"{table}: {column} is the table's key; each row needs its own")
                checked_cell(table, column, default)
        return value

    @field_validator("values", mode="before")
    @classmethod
    def _written_values_as_text(cls, value: object) -> object:
        """Codes YAML read as numbers or flags (``1: gold``) as the text an export cell holds; a code
        whose text YAML changes (``01``, ``yes``) must be quoted in the file."""
        if not isinstance(value, dict):
            return value
        return {
            table: {
                column: {cell_text(written): meant for written, meant in codes.items()} if isinstance(codes, dict)
                else codes
                for column, codes in columns.items()
            } if isinstance(columns, dict) else columns
            for table, columns in value.items()
        }

    @field_validator("values")
    @classmethod
    def _valid_values(cls, value: dict[str, dict[str, dict[str, Cell]]]) -> dict[str, dict[str, dict[str, Cell]]]:
        for table, columns in value.items():
            for column, codes in columns.items():
                known_column(table, column)
                for meant in codes.values():
                    checked_cell(table, column, meant)
        return value

    def defaults_for(self, table: str) -> dict[str, object]:
        """Declared column -> default of ``table``, typed as the table stores it (empty when none)."""
        return {column: default_value(table, column, value) for column, value in self.defaults.get(table, {}).items()}

    def values_for(self, table: str) -> dict[str, dict[str, str]]:
        """Declared column -> {value as written: value as text a cell of the column reads} of ``table``."""
        return {
            column: {written: cell_text(meant) for written, meant in codes.items()}
            for column, codes in self.values.get(table, {}).items()
        }

    def files_of(self, table: str) -> str:
        """The table whose files hold ``table``'s rows: the one it is read from, else itself."""
        return self.read_from.get(table, table)

    def exclusions_for(self, table: str) -> dict[str, set[str]]:
        """Export header -> the values (as cell text) whose rows ``table`` leaves out, as declared for
        the table whose files hold it."""
        declared = self.exclude.get(self.files_of(table), {})
        return {header: {cell_text(value) for value in values} for header, values in declared.items()}

    def _of_table(self, setting: object, table: str, default: object = None) -> Any:
        """A setting given for all tables or per table, as it applies to ``table``: declared for it,
        else for the table whose files hold its rows, else ``default``."""
        if isinstance(setting, dict):
            return setting.get(table, setting.get(self.files_of(table), default))
        return default if setting is None else setting

    def parts_for(self, table: str) -> PartsMode:
        """How the files of ``table``'s folder relate (``split`` when not declared)."""
        return self._of_table(self.parts, table, "split")

    def header_row_for(self, table: str) -> int | None:
        """The row (from 1) of ``table``'s CSV and spreadsheet files holding the header, or None when
        not declared (the first row that is not empty)."""
        return self._of_table(self.header_row, table)

    def date_format_for(self, table: str) -> str | None:
        """The format dates of ``table`` are written in, or None when not declared."""
        return self._of_table(self.date_format, table)

    def csv_for(self, table: str) -> CsvDialect:
        """How ``table``'s CSV files are written (the default dialect when not declared)."""
        return self._of_table(self.csv, table, DEFAULT_DIALECT)

    def combined_for(self, table: str) -> dict[str, list[str]]:
        """Declared canonical column -> the export headers whose values, joined, make it (empty when none)."""
        return {column: [headers] if isinstance(headers, str) else list(headers)
                for column, headers in self.combine.get(table, {}).items()}

    def headers_for(self, table: str) -> dict[str, str]:
        """Declared export header -> canonical column of ``table`` (empty when none declared)."""
        return dict(self.columns.get(table, {}))
