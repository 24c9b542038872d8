import pytest
import torch
from kill_and_resume import kill_after_first_checkpoint, start_train_job

from pai import storage
from pai.data import datasets
from pai.models import nets
from pai.pruning import ablations, masks, prune
from pai.training import engine


def start_for(net, d, sparsity=0.8, seed=0, method="magnitude"):
    model = nets.build_net(net, d.input_shape, d.num_classes, seed=seed)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    mask = prune.cell_masks(
        prune.method_settings(method), model, sparsity, seed=seed, rankings=["unmodified"]
    )["unmodified"]
    return model, ablations.start_state("unmodified", model, init, mask, seed=seed)


def assert_pruned_exactly_zero(weights, mask):
    for name, m in mask.items():
        w = weights[name][~m]
        assert torch.equal(w.view(torch.int32), torch.zeros_like(w).view(torch.int32)), name


@pytest.mark.parametrize("momentum,weight_decay", [(0.0, 0.0), (0.9, 1e-4)])
def test_pruned_weights_stay_bitwise_zero_lenet(momentum, weight_decay):
    d = datasets.load_digits()
    model, start = start_for("lenet300", d, 0.9)
    config = engine.TrainConfig(epochs=10, momentum=momentum, weight_decay=weight_decay)
    result = engine.train(model, start, d, config, seed=0)
    assert_pruned_exactly_zero(result.weights, start["mask"])
    kept = start["mask"]["fc.weight"]
    assert not torch.equal(result.weights["fc.weight"][kept], start["weights"]["fc.weight"][kept])
    assert result.final_test_accuracy > 0.4  # it learns (chance is 0.1)


def test_pruned_weights_stay_zero_resnet_with_augmentation():
    d = datasets.make_synthetic((3, 16, 16), 10, 256, 64, augment=True)
    model, start = start_for("resnet20", d, 0.7)
    config = engine.TrainConfig(epochs=2, batch_size=64, momentum=0.9, weight_decay=1e-4)
    result = engine.train(model, start, d, config, seed=0)
    assert_pruned_exactly_zero(result.weights, start["mask"])
    assert len(result.history) == 2
    assert set(result.history[0]) == set(engine.HISTORY_COLUMNS)


def test_same_seed_same_bits_other_seed_differs():
    d = datasets.make_synthetic((3, 8, 8), 10, 256, 64, augment=True)
    config = engine.TrainConfig(epochs=2, batch_size=32, momentum=0.9, weight_decay=1e-4)
    runs = []
    for seed in (0, 0, 1):
        model, start = start_for("resnet20", d, 0.5)  # same start; only the training seed varies
        runs.append(engine.train(model, start, d, config, seed=seed))
    a, b, c = runs
    assert all(torch.equal(a.weights[k], b.weights[k]) for k in a.weights)
    assert [r["test_loss"] for r in a.history] == [r["test_loss"] for r in b.history]
    assert not torch.equal(a.weights["fc.weight"], c.weights["fc.weight"])


def test_learning_rate_steps_per_iteration():
    config = engine.TrainConfig(lr=0.1, milestones=(2, 3), gamma=0.1)
    per_epoch = 10
    assert engine.learning_rate(config, 19, per_epoch) == pytest.approx(0.1)
    assert engine.learning_rate(config, 20, per_epoch) == pytest.approx(0.01)
    assert engine.learning_rate(config, 30, per_epoch) == pytest.approx(0.001)


def test_augmentation_is_a_flip_and_a_padded_crop():
    images = torch.arange(2 * 1 * 4 * 4, dtype=torch.float32).view(2, 1, 4, 4) + 1
    pad = torch.tensor([-7.0])
    gen = torch.Generator().manual_seed(0)
    out = engine.augment_batch(images, pad, gen)
    assert out.shape == images.shape
    for i in range(2):
        padded = torch.full((12, 12), -7.0)
        matches = []
        for flipped in (images[i, 0], images[i, 0].flip(1)):
            padded[4:8, 4:8] = flipped
            matches += [
                (dy, dx)
                for dy in range(9)
                for dx in range(9)
                if torch.equal(padded[dy : dy + 4, dx : dx + 4], out[i, 0])
            ]
        assert matches, "each output is a 4x4 window of the padded (maybe flipped) image"
    # the generator drives it: same state, same output; the draws vary
    again = engine.augment_batch(images, pad, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)
    many = engine.augment_batch(images.repeat(64, 1, 1, 1), pad, gen)
    assert len({tuple(x.flatten().tolist()) for x in many}) > 10


def test_diverging_run_stops_with_flag():
    d = datasets.load_digits()
    model, start = start_for("lenet300", d, 0.5)
    config = engine.TrainConfig(epochs=5, lr=1e6)
    result = engine.train(model, start, d, config, seed=0)
    assert result.diverged
    assert len(result.history) < 5
    assert_pruned_exactly_zero(result.weights, start["mask"])


def test_collapsed_mask_still_trains_and_is_flagged():
    d = datasets.load_digits()
    model = nets.build_net("lenet300", d.input_shape, 10, seed=0)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    mask = masks.ones_mask(model)
    mask["fc_layers.1.weight"][:] = False
    start = ablations.start_state("unmodified", model, init, mask, seed=0)
    result = engine.train(model, start, d, engine.TrainConfig(epochs=2), seed=0)
    assert result.collapsed_layers == ["fc_layers.1.weight"]
    assert not result.diverged and len(result.history) == 2
    assert result.final_test_accuracy < 0.3  # only the output bias can learn


def test_bad_mask_is_refused_before_training():
    d = datasets.load_digits()
    model, start = start_for("lenet300", d, 0.5)
    del start["mask"]["fc.weight"]
    with pytest.raises(masks.MaskError, match=r"fc\.weight"):
        engine.train(model, start, d, engine.TrainConfig(epochs=1), seed=0)


def test_bad_config_names_the_value():
    with pytest.raises(ValueError, match="epochs must be at least 1, got 0"):
        engine.TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="momentum"):
        engine.TrainConfig(momentum=1.5)


def test_checkpoint_of_another_start_is_ignored(tmp_path):
    d = datasets.load_digits()
    ckpt = tmp_path / "ckpt.pt"
    model, start = start_for("lenet300", d, 0.5)
    engine.train(model, start, d, engine.TrainConfig(epochs=2), seed=0, checkpoint=ckpt)
    model, other = start_for("lenet300", d, 0.9)
    result = engine.train(model, other, d, engine.TrainConfig(epochs=2), seed=0, checkpoint=ckpt)
    assert result.resumed_from_epoch == 0
    same = engine.train(model, other, d, engine.TrainConfig(epochs=2), seed=0, checkpoint=ckpt)
    assert same.resumed_from_epoch == 2  # finished: nothing left to do
    assert all(torch.equal(same.weights[k], result.weights[k]) for k in result.weights)


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_is_bit_identical(tmp_path):
    epochs = 4
    reference = tmp_path / "reference.pt"
    assert start_train_job(tmp_path / "ref-ckpt.pt", reference, epochs).wait(timeout=600) == 0

    ckpt, out = tmp_path / "ckpt.pt", tmp_path / "out.pt"
    kill_after_first_checkpoint(start_train_job(ckpt, out, epochs), ckpt)
    assert not out.exists()
    assert storage.load(ckpt)["epoch"] < epochs

    assert start_train_job(ckpt, out, epochs).wait(timeout=600) == 0
    resumed, uninterrupted = storage.load(out), storage.load(reference)
    assert resumed["resumed"] >= 1
    for name, tensor in uninterrupted["weights"].items():
        assert torch.equal(resumed["weights"][name], tensor), name

    def strip(history):
        return [{k: v for k, v in row.items() if k != "seconds"} for row in history]

    assert strip(resumed["history"]) == strip(uninterrupted["history"])


def _dense_start(net, d):
    model = nets.build_net(net, d.input_shape, d.num_classes, seed=0)
    weights = {name: t.clone() for name, t in model.state_dict().items()}  # training moves these
    return model, {"weights": weights, "mask": masks.ones_mask(model)}


def test_rewinding_restores_the_saved_early_weights_exactly():
    # LeNet's SGD has no momentum, so a run restarted at iteration i from the state kept at i
    # (lottery-ticket rewinding, open_lth's start_step) must end on the very same bits as the run
    # that kept it: the snapshot is the state after exactly i iterations, and the restart skips
    # exactly the data order and learning rates of those i iterations
    d = datasets.load_digits()
    config = engine.TrainConfig(epochs=2, batch_size=256)  # 6 iterations an epoch
    model, start = _dense_start("lenet300", d)
    full = engine.train(model, start, d, config, seed=0, snapshot_iteration=8)
    assert not torch.equal(full.snapshot["fc.weight"], start["weights"]["fc.weight"])
    model, _ = _dense_start("lenet300", d)
    rewound = {"weights": full.snapshot, "mask": start["mask"]}
    resumed = engine.train(model, rewound, d, config, seed=0, start_iteration=8)
    for name, tensor in full.weights.items():
        assert torch.equal(resumed.weights[name], tensor), name
    assert [row["epoch"] for row in resumed.history] == [2]  # epoch 2 only, from its 3rd batch
    # iteration 0 keeps the start itself
    model, _ = _dense_start("lenet300", d)
    at_init = engine.train(model, start, d, config, seed=0, snapshot_iteration=0)
    for name, tensor in start["weights"].items():
        assert torch.equal(at_init.snapshot[name], tensor)


def test_snapshot_survives_a_resume(tmp_path):
    # a rerun that resumes past the rewind iteration takes the snapshot from the checkpoint
    d = datasets.load_digits()
    config = engine.TrainConfig(epochs=2, batch_size=256)
    checkpoint = tmp_path / "checkpoint.pt"
    model, start = _dense_start("lenet300", d)
    first = engine.train(
        model, start, d, config, seed=0, checkpoint=checkpoint, snapshot_iteration=3
    )
    model, _ = _dense_start("lenet300", d)
    again = engine.train(
        model, start, d, config, seed=0, checkpoint=checkpoint, snapshot_iteration=3
    )
    assert again.resumed_from_epoch == 2
    for name, tensor in first.snapshot.items():
        assert torch.equal(again.snapshot[name], tensor)


def test_start_and_snapshot_iterations_are_checked():
    d = datasets.load_digits()
    config = engine.TrainConfig(epochs=1, batch_size=256)
    model, start = _dense_start("lenet300", d)
    with pytest.raises(ValueError, match="outside the run's 6 iterations"):
        engine.train(model, start, d, config, seed=0, start_iteration=6)
    with pytest.raises(ValueError, match="before start_iteration"):
        engine.train(model, start, d, config, seed=0, start_iteration=3, snapshot_iteration=1)


def test_linear_warmup_as_open_lth():
    config = engine.TrainConfig(lr=0.4, warmup_epochs=2, milestones=(3,))
    rates = [engine.learning_rate(config, step, 10) for step in (0, 5, 10, 20, 29, 30)]
    assert rates == pytest.approx([0.0, 0.1, 0.2, 0.4, 0.4, 0.04])
