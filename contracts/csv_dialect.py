"""How the CSV files of an export are written (``csv:`` in ``export.yaml``): the field delimiter,
the number format (decimal mark, digit grouping, negatives) and the text encoding."""

from __future__ import annotations

import codecs
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts.coercion import Negatives, NumberFormat


class CsvDialect(BaseModel):
    """How the CSV files of an export are written: field delimiter, number format, text encoding."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    delimiter: str = Field(",", min_length=1, max_length=1, description="The character between fields.")
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
    def _usable_delimiter(cls, value: str) -> str:
        if value in "\"\r\n":
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
        if self.delimiter == self.decimal:
            raise ValueError(f"delimiter and decimal are both {self.decimal!r}; numbers would be split in two")
        return self

    @property
    def numbers(self) -> NumberFormat:
        """How numbers in the text cells are written."""
        return NumberFormat(decimal=self.decimal, thousands=self.thousands, negatives=self.negatives)


DEFAULT_DIALECT = CsvDialect()
