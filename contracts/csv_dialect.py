"""How the CSV files of an export are written (``csv:`` in ``export.yaml``): the field delimiter,
the number format (decimal mark, digit grouping, negatives) and the text encoding."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from contracts.coercion import Negatives, NumberFormat
from contracts.description_checks import did_you_mean

# Text files tab-separated unless export.yaml declares another delimiter (Excel's and SAP's text exports).
_TAB_SUFFIXES = (".tsv", ".txt")
# Excel's first line naming a CSV file's delimiter.
_SEPARATOR_LINE = re.compile(r"sep=(.)")
# A byte-order mark that makes a file UTF-16 text.
_UTF16_MARKS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class CsvDialect(BaseModel):
    """How the CSV files of an export are written: field delimiter, number format, text encoding."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    delimiter: str | None = Field(
        None,
        min_length=1,
        max_length=1,
        description="The character between fields (default: a tab in .tsv and .txt files, a comma in the others).",
    )
    decimal: Literal[".", ","] = Field(".", description="The decimal mark of numbers.")
    thousands: str | None = Field(
        None, min_length=1, max_length=1, description="The digit-group separator of numbers, if any."
    )
    encoding: str = Field("utf-8", description="The text encoding of the files (e.g. cp1252, latin-1).")
    negatives: Negatives = Field(
        "leading",
        description="How negative numbers are written besides -5: `trailing` (5-) or `parentheses` ((5)).",
    )

    @field_validator("delimiter")
    @classmethod
    def _usable_delimiter(cls, value: str | None) -> str | None:
        if value is not None and value in "\"\r\n":
            raise ValueError(f"{value!r} cannot separate fields")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r} (e.g. utf-8, cp1252, latin-1)") from None
        return value

    @model_validator(mode="after")
    def _separators_apart(self) -> CsvDialect:
        if self.thousands == self.decimal:
            raise ValueError(f"thousands and decimal are both {self.decimal!r}")
        if (self.delimiter or ",") == self.decimal:
            raise ValueError(f"delimiter and decimal are both {self.decimal!r}; numbers would be split in two")
        return self

    def for_file(self, path: Path) -> CsvDialect:
        """The dialect ``path`` is read in: its delimiter as its first line names it (``sep=;``), else
        as declared, else by its suffix; UTF-16 when the file starts with a UTF-16 byte-order mark
        (Excel's Unicode Text), whatever the declared encoding, since the mark says so."""
        name = path.name.lower()
        update: dict[str, str] = {}
        if self.delimiter is None:
            update["delimiter"] = "\t" if name.endswith(_TAB_SUFFIXES) else ","
        if name.endswith((".csv", *_TAB_SUFFIXES)):
            with path.open("rb") as file:
                if file.read(2) in _UTF16_MARKS:
                    update["encoding"] = "utf-16"
        named = separator_line(path, update.get("encoding", self.encoding))
        if named is not None:
            update["delimiter"] = named
        return self.model_copy(update=update) if update else self

    @property
    def numbers(self) -> NumberFormat:
        """How numbers in the text cells are written."""
        return NumberFormat(decimal=self.decimal, thousands=self.thousands, negatives=self.negatives)


DEFAULT_DIALECT = CsvDialect()


def separator_line(path: Path, encoding: str) -> str | None:
    """The delimiter an uncompressed CSV or text file names on a first line of its own (``sep=;``,
    a line Excel writes and reads to know the delimiter, and shows no row for), or None."""
    if not path.name.lower().endswith((".csv", *_TAB_SUFFIXES)):
        return None
    with path.open(encoding="utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding,
                   errors="replace") as file:
        named = _SEPARATOR_LINE.fullmatch(file.readline().rstrip("\r\n"))
    return named.group(1) if named else None


def unknown_dialect_key(key: str) -> str:
    """What to say of a key ``csv:`` does not have: the close one, and the keys there are."""
    keys = list(CsvDialect.model_fields)
    return f"not a key of csv{did_you_mean(key, keys)}; the keys are {', '.join(keys)}"


def table_dialect(table: str, declared: object) -> CsvDialect:
    """The dialect declared for ``table``'s files; a ValueError naming the table, and the key when
    there is one, at the first problem."""
    try:
        return CsvDialect.model_validate(declared)
    except ValidationError as error:
        first = error.errors()[0]
        key = f"{first['loc'][-1]}: " if first["loc"] else ""
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = unknown_dialect_key(str(first["loc"][-1]))
        raise ValueError(f"{table}: {key}{message}") from None
