"""Pure numerical solvers: SI floats and numpy arrays in, arrays out.

Nothing in this package imports pydantic, pint, the CLI or does I/O.
"""
