"""A training job run as a subprocess by the kill-and-resume tests.

usage: a_training_job.py CHECKPOINT OUTPUT EPOCHS [packed]

``packed``: the runs of a cell (three ablations) trained together as one packed model, its one
checkpoint at CHECKPOINT.
"""

import sys

import torch

from pai import storage
from pai.data import datasets
from pai.models import nets
from pai.pruning import ablations, masks, scoring
from pai.training import cells, engine

torch.set_num_threads(1)
checkpoint, output, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
packed = len(sys.argv) > 4 and sys.argv[4] == "packed"
d = datasets.make_synthetic((1, 28, 28), 10, n_train=12_000, n_test=500, seed=0)
model = nets.build_net("lenet300", d.input_shape, 10, seed=0)
init = {k: v.clone() for k, v in model.state_dict().items()}
mask = masks.global_mask(scoring.magnitude_scores(model), 0.8)
config = engine.TrainConfig(epochs=epochs, momentum=0.9, weight_decay=1e-4, milestones=(2,))
if packed:
    starts = ablations.start_states(
        ["unmodified", "shuffle", "reinit"], model, init, {"unmodified": mask}, seed=0
    )
    results = cells.train_cell(
        lambda: nets.build_net("lenet300", d.input_shape, 10),
        list(starts.values()),
        d,
        config,
        seed=0,
        checkpoints=[checkpoint, None, None],
        pack=True,
    )
    storage.save(
        {
            "weights": [r.weights for r in results],
            "history": [r.history for r in results],
            "resumed": results[0].resumed_from_epoch,
        },
        output,
    )
else:
    start = ablations.start_state("unmodified", model, init, mask, seed=0)
    result = engine.train(model, start, d, config, seed=0, checkpoint=checkpoint)
    storage.save(
        {
            "weights": result.weights,
            "history": result.history,
            "resumed": result.resumed_from_epoch,
        },
        output,
    )
