"""The one error type for input that cannot be validated at all."""


class ContractError(ValueError):
    """An export or frame is structurally unusable: missing required column, undecodable, empty.

    The message names the file or table and the column or problem.
    """
