"""Reading and writing files: design documents with their locations (JSON/YAML), atomic writes.

The lowest layer: imports nothing of rackforge but :mod:`rackforge.errors`."""
