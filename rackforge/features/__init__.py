"""What users ask of a design beyond validation: BOM, matrix, diff, expand, configure, render/report, exports.

Features call the engine; the CLI calls features."""
