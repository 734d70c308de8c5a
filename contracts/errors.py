"""The one error type for input that cannot be validated at all."""


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
