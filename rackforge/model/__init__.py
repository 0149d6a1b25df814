"""The design model: schemas (pydantic), units (pint at the edge), catalogs, resolved designs and findings.

Imports only :mod:`rackforge.io` and the base modules; never lowering, rules, engine or anything above."""
