import pytest
import torch

from pai.data import datasets, scoring_set
from pai.models import nets
from pai.pruning import ablations, masks, prune, scoring


@pytest.fixture(scope="module")
def setup():
    model = nets.build_net("resnet20", (3, 16, 16), 10, seed=0)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    mask = masks.global_mask(scoring.magnitude_scores(model), 0.8)
    return model, init, mask


def _kept(state, name):
    return state["mask"][name]


def test_unmodified_applies_mask_to_init(setup):
    model, init, mask = setup
    state = ablations.start_state("unmodified", model, init, mask, seed=0)
    for name, m in mask.items():
        assert torch.equal(state["mask"][name], m)
        w = state["weights"][name]
        assert torch.equal(w[m], init[name][m])
        assert torch.equal(w[~m], torch.zeros_like(w[~m]))
        assert not torch.signbit(w[~m]).any()  # +0.0, never -0.0


def test_shuffle_keeps_layer_counts_and_changes_pattern(setup):
    model, init, mask = setup
    state = ablations.start_state("shuffle", model, init, mask, seed=0)
    assert masks.layer_counts(state["mask"]) == masks.layer_counts(mask)
    assert not torch.equal(state["mask"]["blocks.4.conv1.weight"], mask["blocks.4.conv1.weight"])
    for name, m in state["mask"].items():  # the init values stay in place
        assert torch.equal(state["weights"][name][m], init[name][m])
    again = ablations.start_state("shuffle", model, init, mask, seed=0)
    other = ablations.start_state("shuffle", model, init, mask, seed=1)
    assert all(torch.equal(again["mask"][k], state["mask"][k]) for k in mask)
    assert not torch.equal(other["mask"]["fc.weight"], state["mask"]["fc.weight"])


def test_reinit_keeps_mask_and_draws_new_weights(setup):
    model, init, mask = setup
    state = ablations.start_state("reinit", model, init, mask, seed=0)
    assert all(torch.equal(state["mask"][k], mask[k]) for k in mask)
    for name, m in mask.items():
        assert not torch.equal(state["weights"][name][m], init[name][m])
        assert torch.equal(state["weights"][name][~m], torch.zeros(int((~m).sum())))
    assert not torch.equal(state["weights"]["bn.weight"], init["bn.weight"])  # BN redrawn too
    fresh = nets.build_net("resnet20", (3, 16, 16), 10, seed=12345).state_dict()
    ratio = state["weights"]["fc.weight"][mask["fc.weight"]].std() / fresh["fc.weight"].std()
    assert 0.5 < ratio < 2  # same distribution family
    again = ablations.start_state("reinit", model, init, mask, seed=0)
    assert all(torch.equal(again["weights"][k], state["weights"][k]) for k in state["weights"])


@pytest.mark.parametrize("method", ["random", "magnitude", "snip", "grasp", "graspabs"])
@pytest.mark.parametrize("sparsity", [0.3, 0.8])
def test_invert_same_count_minimal_overlap(method, sparsity):
    d = datasets.load_digits()
    model = nets.build_net("lenet300", d.input_shape, 10, seed=0)
    subset = scoring_set.scoring_subset(d, 10, seed=0)
    masks_of = prune.cell_masks(prune.method_settings(method), model, sparsity, seed=0, data=subset)
    normal, inverted = masks_of["unmodified"], masks_of["invert"]
    names = list(normal)
    a, b = masks.flatten(normal, names), masks.flatten(inverted, names)
    k, n = int(a.sum()), a.numel()
    assert int(b.sum()) == k
    assert int((a & b).sum()) == max(0, 2 * k - n)


def test_unknown_ablation(setup):
    model, init, mask = setup
    with pytest.raises(ValueError, match=r"unknown ablation 'rewind'"):
        ablations.start_state("rewind", model, init, mask, seed=0)
