"""Pruning-at-initialization ablations: the library behind the Snakemake pipeline.

Its packages (config, models, data, pruning, training, analysis, reporting, jobs) and their
layers are mapped in docs/design.md, "The library".
"""

# bumped when the extension contract (pai.plugin), the config keys or the results' layout change
# (CHANGELOG.md; docs/design.md, "What users import")
__version__ = "0.2.0"
