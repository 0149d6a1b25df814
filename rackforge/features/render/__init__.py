"""Pictures: rack elevations as SVG (``svg``) and a self-contained HTML design report (``html``).

Renderers format; they compute nothing. Every analysis figure they show is read through the small adapter
functions in ``rackforge.features.render.data``, so when an area's analysis lands or changes shape only that module moves.
"""
