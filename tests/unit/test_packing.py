"""The runs of a cell trained together as one packed model: equal to training alone, pruned
weights exactly zero, a diverged member frozen while the others go on, and a killed job resumed
bit for bit."""

import json
from pathlib import Path

import pytest
import torch
from kill_and_resume import kill_after_first_checkpoint, start_train_job

from pai import storage
from pai.data import datasets, tensors
from pai.jobs import runs as run_files
from pai.models import nets
from pai.pruning import ablations, masks, prune
from pai.training import cells, engine, packing

ABLATIONS = ["unmodified", "shuffle", "reinit", "invert"]


def _cell(arch, d, sparsity=0.8, dtype=torch.float32):
    model = nets.build_net(arch, d.input_shape, d.num_classes, seed=0)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    found = prune.cell_masks(prune.method_settings("magnitude"), model, sparsity, seed=0)
    starts = ablations.start_states(ABLATIONS, model, init, found, seed=0)

    def cast(weights):
        return {k: v.to(dtype) if v.is_floating_point() else v for k, v in weights.items()}

    starts = [{"weights": cast(s["weights"]), "mask": s["mask"]} for s in starts.values()]

    def build():
        return nets.build_net(arch, d.input_shape, d.num_classes).to(dtype)

    return build, starts


def _float64(d):
    return tensors.TensorData(
        d.name, d.train_x.double(), d.train_y, d.test_x.double(), d.test_y, d.num_classes,
        d.augment, d.pad_value,
    )  # fmt: skip


def _largest_difference(a, b):
    return max(
        (a.weights[n] - b.weights[n]).abs().max().item()
        for n in a.weights
        if a.weights[n].is_floating_point()
    )


def test_packed_lenet_equals_training_alone_in_float64():
    d = _float64(datasets.load_digits())
    build, starts = _cell("lenet300", d, dtype=torch.float64)
    config = engine.TrainConfig(epochs=30, momentum=0.9, weight_decay=1e-4)  # 330 steps
    packed = cells.train_cell(build, starts, d, config, seed=0, pack=True)
    alone = cells.train_cell(build, starts, d, config, seed=0, pack=False)
    for a, b in zip(packed, alone, strict=True):
        assert _largest_difference(a, b) < 1e-10
        assert [r["test_accuracy"] for r in a.history] == [r["test_accuracy"] for r in b.history]


def test_packed_resnet_with_batchnorm_and_augmentation_equals_training_alone_in_float64():
    d = _float64(datasets.make_synthetic((3, 8, 8), 10, 96, 32, augment=True))
    build, starts = _cell("resnet20", d, dtype=torch.float64)
    config = engine.TrainConfig(epochs=4, batch_size=16, momentum=0.9, weight_decay=1e-4,
                                  milestones=(2,))  # fmt: skip
    packed = cells.train_cell(build, starts, d, config, seed=0, pack=True)
    alone = cells.train_cell(build, starts, d, config, seed=0, pack=False)
    for a, b in zip(packed, alone, strict=True):
        assert _largest_difference(a, b) < 1e-10  # BatchNorm running statistics included


def test_packed_float32_within_rounding_and_pruned_weights_exactly_zero():
    d = datasets.load_digits()
    build, starts = _cell("lenet300", d, sparsity=0.9)
    config = engine.TrainConfig(epochs=10, momentum=0.9, weight_decay=1e-4)
    packed = cells.train_cell(build, starts, d, config, seed=0, pack=True)
    alone = cells.train_cell(build, starts, d, config, seed=0, pack=False)
    for result, start, other in zip(packed, starts, alone, strict=True):
        for name, kept in start["mask"].items():
            pruned = result.weights[name][~kept]
            assert torch.equal(pruned.view(torch.int32), torch.zeros_like(pruned).view(torch.int32))
        # float32: the grouped kernels sum in another order; 110 steps stay this close
        assert _largest_difference(result, other) < 1e-3
        assert abs(result.final_test_accuracy - other.final_test_accuracy) < 0.02


def test_a_diverged_member_is_frozen_and_the_others_go_on():
    d = datasets.load_digits()
    build, starts = _cell("lenet300", d, sparsity=0.5)
    # the third run starts from weights so large that its loss is non-finite at once
    huge = {k: v * 1e30 if k.endswith("weight") else v for k, v in starts[2]["weights"].items()}
    starts[2] = {"weights": huge, "mask": starts[2]["mask"]}
    config = engine.TrainConfig(epochs=3)
    results = cells.train_cell(build, starts, d, config, seed=0, pack=True)
    assert [r.diverged for r in results] == [False, False, True, False]
    assert len(results[2].history) == 1 and len(results[0].history) == 3
    for name, kept in starts[2]["mask"].items():
        assert torch.equal(results[2].weights[name][~kept], torch.zeros(int((~kept).sum())))
    alone = engine.train(build(), starts[0], d, config, seed=0)
    assert _largest_difference(results[0], alone) < 1e-3  # the others trained on


def test_nets_that_cannot_be_packed_say_why_and_train_alone():
    layers = (torch.nn.Linear(4, 4), torch.nn.LayerNorm(4), torch.nn.Linear(4, 2))
    model = torch.nn.Sequential(*layers)
    assert "LayerNorm" in packing.packable(model)
    with pytest.raises(packing.NotPackable):
        packing.pack([model, model])
    assert packing.packable(nets.build_net("vgg16", (3, 8, 8), 10)) is None


def test_run_json_counts_only_runs_that_were_trained_together(tmp_path):
    layer_norm = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4))
    assert "LayerNorm" in cells.why_not_packed(lambda: layer_norm, 4, pack=True)
    assert cells.why_not_packed(lambda: layer_norm, 4, pack=False) is not None
    d = datasets.make_synthetic((1, 4, 4), 3, 24, 12)
    build, starts = _cell("lenet300", d)
    assert cells.why_not_packed(build, 1, pack=True) is not None
    config = engine.TrainConfig(epochs=1, batch_size=8)

    def build_unpackable():
        return torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(16, 4), torch.nn.LayerNorm(4), torch.nn.Linear(4, 3)
        )

    model = build_unpackable()
    unpackable = [{"weights": model.state_dict(), "mask": masks.ones_mask(model)}] * 2
    cases = [
        ("packed", build, starts, True, 4),
        ("one run", build, starts[:1], True, 1),
        ("pack off", build, starts, False, 1),
        ("cannot pack", build_unpackable, unpackable, True, 1),
    ]
    for tag, build, cell, pack, expected in cases:
        names = ABLATIONS[: len(cell)]
        kinds = ("trained", "history", "run")
        paths = {a: {k: str(tmp_path / f"{tag}-{a}.{k}") for k in kinds} for a in names}
        run_files.train_and_write(
            build, dict(zip(names, cell, strict=True)), d, config, seed=0, device="cpu",
            checkpoints={a: tmp_path / f"{tag}-{a}.ckpt" for a in names},
            keys=lambda a: {"ablation": a}, details={}, paths=paths, provenance={}, pack=pack,
        )  # fmt: skip
        packed = {json.loads(Path(p["run"]).read_text())["packed"] for p in paths.values()}
        assert packed == {expected}


def test_pack_and_unpack_are_inverse():
    models = [nets.build_net("resnet20", (3, 8, 8), 10, seed=s) for s in range(3)]
    packed = packing.pack(models).state_dict()
    for k, model in enumerate(models):
        back = packing.unpack_state(packed, model.state_dict(), k)
        assert all(torch.equal(back[n], t) for n, t in model.state_dict().items())
    masks_packed = packing.pack_tensors([masks.ones_mask(m) for m in models])
    assert masks_packed["conv.weight"].shape == (48, 3, 3, 3)


@pytest.mark.slow
def test_a_killed_packed_job_resumes_bit_identically(tmp_path):
    epochs = 4
    reference = tmp_path / "reference.pt"
    assert start_train_job(tmp_path / "ref-ckpt.pt", reference, epochs, "packed").wait(600) == 0
    ckpt, out = tmp_path / "ckpt.pt", tmp_path / "out.pt"
    kill_after_first_checkpoint(start_train_job(ckpt, out, epochs, "packed"), ckpt)
    saved = storage.load(ckpt)
    assert saved["packed"] and saved["epoch"] < epochs
    assert start_train_job(ckpt, out, epochs, "packed").wait(timeout=600) == 0
    resumed, uninterrupted = storage.load(out), storage.load(reference)
    assert resumed["resumed"] >= 1
    for ours, theirs in zip(resumed["weights"], uninterrupted["weights"], strict=True):
        assert all(torch.equal(ours[n], t) for n, t in theirs.items())
    strip = [
        [{k: v for k, v in r.items() if k != "seconds"} for r in h] for h in resumed["history"]
    ]
    assert strip == [
        [{k: v for k, v in r.items() if k != "seconds"} for r in h]
        for h in uninterrupted["history"]
    ]


def test_capture_off_cuda_trains_eagerly_and_says_why(caplog):
    d = datasets.load_digits()
    build, starts = _cell("lenet300", d)
    config = engine.TrainConfig(epochs=2, capture=True)
    eager = engine.train(build(), starts[0], d, engine.TrainConfig(epochs=2), seed=0)
    with caplog.at_level("INFO", logger="pai.training.capture"):
        captured = engine.train(build(), starts[0], d, config, seed=0)
    assert "CUDA graphs need CUDA" in caplog.text
    assert all(torch.equal(captured.weights[n], t) for n, t in eager.weights.items())
