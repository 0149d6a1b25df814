"""Pure topology code: port/link arrays and device graphs in, arrays and verdicts out.

Nothing in this package imports pydantic, pint, the CLI or does I/O.
"""
