"""An allocation rule brought by the user: Erdős-Rényi (Mocanu et al. 2018), density in
proportion to (fan_out + fan_in) / (fan_out x fan_in), a layer that would exceed 1 dense and the
rest solved again. The pipeline turns its densities into exact counts, draws the kept positions
at random within each layer and compares it with every method (docs/extending.md, "Bring your own
allocation")."""


def densities(layers, density):
    """One density per layer of ``layers`` (each with ``.name``, ``.shape``, ``.kind`` and
    ``.size``), together keeping ``density`` of the net's weights."""
    raw = [
        (layer.shape[0] + layer.shape[1]) / (layer.shape[0] * layer.shape[1]) for layer in layers
    ]
    budget = density * sum(layer.size for layer in layers)
    dense: set[int] = set()
    while True:
        rest = [i for i in range(len(layers)) if i not in dense]
        left = budget - sum(layers[i].size for i in dense)
        scale = left / sum(raw[i] * layers[i].size for i in rest)
        over = {i for i in rest if raw[i] * scale > 1}
        if not over:
            return [1.0 if i in dense else raw[i] * scale for i in range(len(layers))]
        dense |= over
