"""Lowering: a resolved design into the plain arrays the solvers and topology code take, one module per area.

Each module ``rackforge.lowering.<area>`` defines ``analyze(ctx)`` returning a result object with the arrays
and figures rules need, and ``to_json()`` for ``rackforge analyze``. This is the only layer that knows both the
schema models and the solver arrays.
"""
