"""Pruning-at-initialization ablations: the library behind the Snakemake pipeline.

Modules, one job each:
- ``seeds``: named, independent random generators derived from (seed, purpose)
- ``storage``: atomic saving and safe loading of tensor dicts
- ``nets``: LeNet-300-100, ResNet-20 and VGG-16 as in open_lth, their initialisation
- ``data``: MNIST, CIFAR-10, the embedded digits set and synthetic data as device tensors
- ``scoring``: random, magnitude, SNIP, GraSP, GraspAbs and SynFlow scores
- ``masks``: global top-k masks, per-layer densities, validation
- ``ablations``: unmodified, layerwise shuffle, reinitialisation, inversion
- ``training``: the training engine (masked, deterministic, resumable)
"""

__version__ = "0.1.0"
