"""The data-free allocations: each rule's per-layer counts against a port of its authors' released
code (tests/authors/allocations.py, written from those files alone) on LeNet-300-100, ResNet-20
and VGG-16; exact overall counts; the departures docs/methods.md names; requests a rule cannot
meet refused while planning, naming the net, the rule and the sparsity."""

from pathlib import Path

import pytest
import torch

from pai import allocation
from pai.config import registry
from pai.config.files import ConfigError, merge, read_configs
from pai.config.study import Study
from pai.models import nets, shapes
from pai.pruning import masks, prune, scoring
from tests.authors import allocations as authors

REPO = Path(__file__).resolve().parents[2]
NETS = {  # (architecture, input shape, classes): the papers' datasets
    "lenet300": ((1, 28, 28), 10),
    "resnet20": ((3, 32, 32), 10),
    "vgg16": ((3, 32, 32), 10),
}
SPARSITIES = (0.5, 0.75, 0.9, 0.98)
PORTS = {
    "uniform_plus": authors.uniform_plus_densities,
    "erk": authors.erk_densities,
    "igq": authors.igq_densities,
    "smart_ratio": authors.smart_ratio_densities,
    "pyramidal": authors.pyramidal_densities,
}
ALLOCATIONS = [m.name for m in registry.METHODS.values() if m.schedule == "allocation"]


def layers(arch: str) -> list[allocation.Layer]:
    shape, classes = NETS[arch]
    return allocation.layers_of(getattr(shapes, arch)(shape, classes))


def theirs(rule: str, found: list[allocation.Layer], sparsity: float) -> list[float] | None:
    """The port's kept weights per layer (density x size, before any rounding), or None where
    the authors' code raises."""
    try:
        densities = PORTS[rule]([(layer.shape, layer.kind) for layer in found], 1 - sparsity)
    except (ValueError, ZeroDivisionError, RuntimeError, UnboundLocalError):
        return None
    return [d * layer.size for d, layer in zip(densities, found, strict=True)]


@pytest.mark.parametrize("arch", [*NETS, "resnet18", "resnet50"])
def test_the_torch_free_shapes_are_the_built_nets(arch):
    for shape, classes in [((1, 28, 28), 10), ((3, 32, 32), 10), ((3, 16, 16), 7)]:
        model = nets.build_net(arch, shape, classes)
        params = dict(model.named_parameters())
        built = {name: tuple(params[name].shape) for name in nets.prunable_names(model)}
        assert list(getattr(shapes, arch)(shape, classes).items()) == list(built.items())


@pytest.mark.parametrize("rule", list(PORTS))
@pytest.mark.parametrize("arch", list(NETS))
def test_the_counts_are_the_authors_formula(rule, arch):
    """Ours equal the port's density x size to within one weight per layer, plus what the
    authors' own rounding leaves off the total (rigl's floor, Smart Ratio's int()); where the
    authors' code raises, ours refuses."""
    found = layers(arch)
    compared = 0
    for sparsity in SPARSITIES:
        reference = theirs(rule, found, sparsity)
        if reference is None:
            with pytest.raises(allocation.AllocationError):
                allocation.counts(getattr(allocation, rule), found, sparsity)
            continue
        ours = allocation.counts(getattr(allocation, rule), found, sparsity)
        kept = masks.keep_count(sum(layer.size for layer in found), sparsity)
        assert sum(ours) == kept  # exact, whatever the authors' total
        slack = 1 + abs(sum(reference) - kept)
        for layer, mine, their in zip(found, ours, reference, strict=True):
            assert abs(mine - their) <= slack, (rule, arch, sparsity, layer.name, mine, their)
        compared += 1
    assert compared or (rule, arch) == ("smart_ratio", "lenet300")


def test_smart_ratio_refuses_a_net_without_convolutions_as_its_code_does():
    found = layers("lenet300")
    assert theirs("smart_ratio", found, 0.9) is None  # ZeroDivisionError in theirs
    with pytest.raises(allocation.AllocationError, match="has none"):
        allocation.counts(allocation.smart_ratio, found, 0.9)


def test_uniform_plus_refuses_what_its_dense_first_conv_cannot_allow():
    """A tiny conv net whose first conv holds most weights: theirs raises below its share."""
    found = allocation.layers_of({"a": (64, 16, 3, 3), "b": (8, 64, 1, 1), "c": (10, 8)})
    assert theirs("uniform_plus", found, 0.5) is None
    with pytest.raises(allocation.AllocationError, match=r"at least 0\.9"):
        allocation.counts(allocation.uniform_plus, found, 0.5)
    assert theirs("uniform_plus", found, 0.05) is not None
    assert sum(allocation.counts(allocation.uniform_plus, found, 0.05)) == round(0.95 * 9808)


@pytest.mark.parametrize("arch", list(NETS))
def test_balanced_gives_what_its_clipped_layers_cannot_hold_to_the_others(arch):
    """The published rule clips a layer smaller than the equal share and does not redistribute
    (so it misses the target); ours keeps the clipped layers dense and shares the rest equally:
    every layer theirs clips is dense in ours, the others hold one count (+-1)."""
    found = layers(arch)
    for sparsity in SPARSITIES:
        port = authors.balanced_densities([(x.shape, x.kind) for x in found], 1 - sparsity)
        ours = allocation.counts(allocation.balanced, found, sparsity)
        clipped = [i for i, d in enumerate(port) if d == 1]
        assert all(ours[i] == found[i].size for i in clipped)
        shared = [c for i, c in enumerate(ours) if c < found[i].size]
        assert max(shared) - min(shared) <= 1
    # where theirs clips nothing, the two agree
    even = allocation.layers_of({"a": (40, 30), "b": (30, 40), "c": (20, 60)})
    port = authors.balanced_densities([(x.shape, x.kind) for x in even], 0.3)
    assert allocation.counts(allocation.balanced, even, 0.7) == [
        round(d * x.size) for d, x in zip(port, even, strict=True)
    ]


def test_erk_and_the_exact_counts_by_hand():
    """Two Linear layers, 10x10 (raw density 20/100) and 10x2 (12/20): ERK at density 0.5 has
    eps = 60 / (0.2 * 100 + 0.6 * 20) = 1.875, which would put the second at 1.125: it is made
    dense and eps solved again, (60 - 20) / 20 = 2: densities 0.4 and 1."""
    found = allocation.layers_of({"a": (10, 10), "b": (2, 10)})
    assert allocation.erk(found, 0.5) == pytest.approx([0.4, 1.0])
    assert allocation.counts(allocation.erk, found, 0.5) == [40, 20]
    # largest remainder: 3 layers of 10 at a third each keep 10 in all: 4, 3, 3 (ties: first)
    three = allocation.layers_of({"a": (10,), "b": (10,), "c": (10,)})
    assert allocation.exact_counts(three, [1 / 3] * 3, 10) == [4, 3, 3]
    with pytest.raises(allocation.AllocationError, match=r"keeps 15\.0 weights where 10"):
        allocation.exact_counts(three, [0.5] * 3, 10)
    with pytest.raises(allocation.AllocationError, match="outside"):
        allocation.exact_counts(three, [1.5, 0, 0], 10)


@pytest.mark.parametrize("rule", ALLOCATIONS)
def test_every_mask_is_exact_seeded_and_random_within_its_layers(rule):
    model = nets.build_net("resnet20", (3, 16, 16), 10, seed=0)
    settings = prune.method_settings(rule)
    for sparsity in (0.75, 0.98):
        mask = prune.cell_masks(settings, model, sparsity, seed=3, rankings=["unmodified"])
        kept = mask["unmodified"]
        assert sum(int(m.sum()) for m in kept.values()) == masks.keep_count(270896, sparsity)
        counts = prune.allocation_counts(settings, model, sparsity)
        assert {name: int(m.sum()) for name, m in kept.items()} == counts
        again = prune.cell_masks(settings, model, sparsity, seed=3, rankings=["unmodified"])
        assert all(torch.equal(kept[n], again["unmodified"][n]) for n in kept)
        # the positions are random pruning's highest scores within each layer
        drawn = scoring.random_scores(model, seed=3)
        for name, m in kept.items():
            if 0 < counts[name] < m.numel():
                assert drawn[name][m].min() > drawn[name][~m].max()
    with pytest.raises(ValueError, match="no ranking to invert"):
        prune.cell_masks(settings, model, 0.9, seed=0)


def smoke(**override) -> dict:
    return merge(read_configs([REPO / "config.yaml", REPO / "presets/smoke.yaml"]), override)


def test_planning_refuses_what_a_rule_cannot_reach_naming_net_rule_and_sparsity():
    config = smoke(grid={"methods": ["random", "erk", "smart_ratio", "uniform_plus"]})
    config["nets"]["tiny"] = {"arch": "lenet300", "dataset": "digits", "sparsities": [0.5]}
    with pytest.raises(ConfigError) as caught:
        Study(config, base=REPO)
    said = str(caught.value)
    assert (
        "nets.lenet300-digits: smart_ratio cannot prune lenet300 on digits to sparsity 0.75: "
        "Smart Ratio allocates among convolutions, and the net has none" in said
    )
    assert "resnet20-synthetic" not in said  # a conv net: Smart Ratio and Uniform+ reach 0.75
    assert "erk" not in said


def test_allocations_train_the_unmodified_mask_unless_the_grid_asks_more():
    config = smoke(grid={"methods": ["random", "snip", "erk"]})
    study = Study(config, base=REPO)
    assert study.method_ablations("erk") == ["unmodified"]
    assert study.method_ablations("snip") == ["unmodified", "shuffle", "reinit", "invert"]
    asked = smoke(grid={"methods": ["erk"], "allocation_ablations": ["unmodified", "shuffle"]})
    assert Study(asked, base=REPO).method_ablations("erk") == ["unmodified", "shuffle"]
    for bad, said in [
        (["unmodified", "invert"], "no ranking, so no inversion"),
        (["shuffle"], "it needs unmodified"),
    ]:
        with pytest.raises(ConfigError, match=said):
            Study(smoke(grid={"methods": ["erk"], "allocation_ablations": bad}), base=REPO)
