"""An example plugin method: layerwise magnitude pruning.

Each weight scores the rank of |w| within its own layer, divided by the layer's size. A global
ranking of these scores keeps about the same share of every layer (the uniform per-layer density
random pruning has), choosing by magnitude within each layer: the "uniform" magnitude baseline of
Gale, Elsen & Hooker (2019). Beside global magnitude pruning it asks whether what matters at
initialization is the per-layer budget or the choice of weights within a layer.

The contract every method follows (docs/extending.md): ``score(net, data, seed)`` gets a copy of
the net (which it may change), the class-balanced scoring subset if the config says ``data:
true`` (else None) and the run's seed, and returns one tensor of scores per prunable weight
(``pai.plugin.prunable_names(net)``), of that weight's shape. Which end of the ranking is kept
is the
config's ``keep`` (default: the highest); ``invert`` keeps the other end.
"""

import torch

from pai.plugin import prunable_names


def score(net, data, seed):
    params = dict(net.named_parameters())
    scores = {}
    for name in prunable_names(net):
        magnitude = params[name].detach().abs().flatten().double()
        ranks = torch.empty_like(magnitude)
        # equal magnitudes rank in flattened order, so the scores are a deterministic function
        ranks[torch.argsort(magnitude, stable=True)] = torch.arange(
            len(magnitude), dtype=magnitude.dtype
        )
        scores[name] = ((ranks + 1) / len(magnitude)).view_as(params[name])
    return scores
