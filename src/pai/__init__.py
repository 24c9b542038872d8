"""Pruning-at-initialization ablations: the library behind the Snakemake pipeline.

Its packages (config, models, data, pruning, training, analysis, reporting, jobs) and their
layers are mapped in docs/design.md, "The library".
"""

__version__ = "0.1.0"
