"""A training job run as a subprocess by the kill-and-resume test.

usage: train_job.py CHECKPOINT OUTPUT EPOCHS
"""

import sys

import torch

from pai import ablations, data, masks, nets, scoring, storage, training

torch.set_num_threads(1)
checkpoint, output, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = data.make_synthetic((1, 28, 28), 10, n_train=12_000, n_test=500, seed=0)
model = nets.build_net("lenet300", d.input_shape, 10, seed=0)
init = {k: v.clone() for k, v in model.state_dict().items()}
mask = masks.global_mask(scoring.magnitude_scores(model), 0.8)
start = ablations.start_state("unmodified", model, init, mask, seed=0)
config = training.TrainConfig(epochs=epochs, momentum=0.9, weight_decay=1e-4, milestones=(2,))
result = training.train(model, start, d, config, seed=0, checkpoint=checkpoint)
storage.save(
    {"weights": result.weights, "history": result.history, "resumed": result.resumed_from_epoch},
    output,
)
