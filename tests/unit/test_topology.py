"""Effective paths, nodes and weights on nets small enough to count by hand (docs/methods.md,
"Effective paths and nodes")."""

import itertools
import math

import pytest
import torch

from pai.analysis import topology
from pai.models import nets
from pai.pruning import masks


def _mlp_mask(first: list[list[int]], second: list[list[int]]) -> dict[str, torch.Tensor]:
    return {
        "fc_layers.0.weight": torch.tensor(first, dtype=torch.bool),
        "fc.weight": torch.tensor(second, dtype=torch.bool),
    }


def test_mlp_counted_by_hand():
    # 2 inputs -> 3 hidden -> 2 outputs. Kept edges: i0-h0, i0-h1, i1-h1 (h2 gets nothing);
    # h0-o0, h1-o1, h2-o0 (kept, but nothing reaches h2). Paths: i0-h0-o0, i0-h1-o1, i1-h1-o1.
    model = nets.LeNet300(input_size=2, num_classes=2, hidden=(3,))
    mask = _mlp_mask([[1, 0], [1, 1], [0, 0]], [[1, 0, 1], [0, 1, 0]])
    result = topology.measure(model, mask, (1, 1, 2))
    assert result.paths_log10 == pytest.approx(math.log10(3))
    first, last = result.layers
    assert (first.kept, first.effective_weights, first.effective_out_channels) == (3, 3, 2)
    assert (last.kept, last.effective_weights, last.effective_out_channels) == (3, 2, 2)
    assert result.effective_nodes == 4 and result.total_nodes == 5
    assert result.effective_sparsity == pytest.approx(1 - 5 / 12)
    # NPB's procedure: h2, fed by its bias alone, is alive, so h2-o0 is effective too; its count
    # is each Linear's inputs and outputs with an effective weight: first layer i0, i1 in and
    # h0, h1 out; last layer h0, h1, h2 in and o0, o1 out
    assert [layer.npb_effective_weights for layer in result.layers] == [3, 3]
    assert [(layer.npb_layer_nodes, layer.npb_layer_total) for layer in result.layers] == [
        (4, 5),
        (5, 5),
    ]
    assert (result.npb_effective_nodes, result.npb_total_nodes) == (9, 10)


def _three_layer_mlp(bias: bool):
    return torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(2, 2, bias=bias),
        torch.nn.ReLU(),
        torch.nn.Linear(2, 2, bias=bias),
        torch.nn.ReLU(),
        torch.nn.Linear(2, 1, bias=bias),
    )


def test_npb_procedure_on_a_hand_built_three_layer_mlp():
    # 2 inputs -> 2 -> 2 -> 1. Kept: i0-a0; a0-b0, a1-b1; b0-y, b1-y. a1 has no kept input.
    mask = {
        "1.weight": torch.tensor([[1, 0], [0, 0]], dtype=torch.bool),
        "3.weight": torch.tensor([[1, 0], [0, 1]], dtype=torch.bool),
        "5.weight": torch.tensor([[1, 1]], dtype=torch.bool),
    }
    result = topology.measure(_three_layer_mlp(bias=True), mask, (2, 1, 1))
    # exact: one path i0-a0-b0-y; its 3 weights are effective, its 3 non-input nodes too
    assert result.paths_log10 == pytest.approx(0.0)
    assert (result.effective_weights, result.effective_nodes) == (3, 3)
    # NPB's procedure (all parameters 1, biases too, all-ones input, gradient of the output sum):
    # a1 = relu(0 + 1) = 1 is alive through its bias, so a1-b1 and b1-y have nonzero gradients:
    # 1 + 2 + 2 = 5 effective weights; nodes per Linear, inputs + outputs with one:
    # (i0 + a0) + (a0, a1 + b0, b1) + (b0, b1 + y) = 2 + 4 + 3 = 9
    assert [layer.npb_effective_weights for layer in result.layers] == [1, 2, 2]
    assert (result.npb_effective_weights, result.npb_effective_nodes) == (5, 9)
    # without biases nothing feeds a1, and NPB's procedure finds the exact effective weights
    plain = topology.measure(_three_layer_mlp(bias=False), mask, (2, 1, 1))
    assert plain.npb_effective_weights == plain.effective_weights == 3
    assert plain.npb_effective_nodes == 6  # (i0 + a0) + (a0 + b0) + (b0 + y)


def test_weight_into_a_dead_end_is_not_effective():
    # h1 is reached from both inputs but leads nowhere: its incoming weights are on no path
    model = nets.LeNet300(input_size=2, num_classes=1, hidden=(2,))
    mask = _mlp_mask([[1, 0], [1, 1]], [[1, 0]])
    result = topology.measure(model, mask, (1, 1, 2))
    assert result.paths_log10 == pytest.approx(0.0)  # one path: i0-h0-o0
    assert [layer.effective_weights for layer in result.layers] == [1, 1]
    assert result.effective_nodes == 2


def test_mlp_matches_brute_force_enumeration():
    generator = torch.Generator().manual_seed(0)
    sizes = (5, 4, 3)
    model = nets.LeNet300(input_size=sizes[0], num_classes=2, hidden=sizes[1:])
    mask = {
        name: torch.rand(p.shape, generator=generator) < 0.5
        for name, p in model.named_parameters()
        if name.endswith("weight")
    }
    matrices = list(mask.values())
    paths, on_path = 0, [torch.zeros_like(m) for m in matrices]
    for route in itertools.product(*(range(n) for n in (*sizes, 2))):
        edges = [(route[k + 1], route[k]) for k in range(len(matrices))]
        if all(bool(m[e]) for m, e in zip(matrices, edges, strict=True)):
            paths += 1
            for marks, edge in zip(on_path, edges, strict=True):
                marks[edge] = True
    result = topology.measure(model, mask, (1, 1, sizes[0]))
    assert paths > 0
    assert result.paths_log10 == pytest.approx(math.log10(paths))
    assert [layer.effective_weights for layer in result.layers] == [int(m.sum()) for m in on_path]


def _block_mask(block, conv1_entries: int, conv2_entries: int) -> dict[str, torch.Tensor]:
    mask = {}
    for name, param in block.named_parameters():
        if name.endswith("weight") and param.dim() == 4:
            kept = torch.zeros(param.shape, dtype=torch.bool)
            entries = {"conv1.weight": conv1_entries, "conv2.weight": conv2_entries}.get(name, 1)
            kept.view(-1)[:entries] = True
            mask[name] = kept
    return mask


def test_resnet_block_identity_shortcut_is_an_extra_edge():
    # one channel in and out: conv1 keeps 2 of its 9 kernel entries, conv2 keeps 3, so the block
    # carries 2 * 3 paths through the convolutions plus 1 along the identity shortcut
    block = nets.ResNetBlock(1, 1, downsample=False)
    result = topology.measure(block, _block_mask(block, 2, 3), (1, 4, 4))
    assert result.paths_log10 == pytest.approx(math.log10(7))
    assert [layer.effective_weights for layer in result.layers] == [2, 3]


def test_resnet_block_with_empty_branch_keeps_the_shortcut_path():
    block = nets.ResNetBlock(1, 1, downsample=False)
    result = topology.measure(block, _block_mask(block, 0, 3), (1, 4, 4))
    assert result.paths_log10 == pytest.approx(0.0)  # the identity alone
    # conv2's kept entries receive nothing: on no path
    assert [layer.effective_weights for layer in result.layers] == [0, 0]
    assert result.layers[1].effective_out_channels == 0


def test_resnet_block_projection_shortcut():
    # 1 -> 2 channels with a 1x1 projection shortcut: conv1 keeps its first 2 entries (both in
    # output channel 0), conv2 its first 3 (output channel 0, input channel 0), the shortcut its
    # first entry (input 0 -> output 0): paths = 2 * 3 + 1
    block = nets.ResNetBlock(1, 2, downsample=True)
    mask = _block_mask(block, 2, 3)
    result = topology.measure(block, mask, (1, 8, 8))
    assert result.paths_log10 == pytest.approx(math.log10(7))
    by_name = {layer.layer: layer for layer in result.layers}
    assert by_name["shortcut.0.weight"].shortcut
    assert by_name["shortcut.0.weight"].effective_weights == 1
    assert result.effective_nodes == 1 + 1  # channel 0 after conv1 and after conv2


@pytest.mark.parametrize("arch", ["lenet300", "resnet20", "vgg16"])
def test_dense_mask_every_weight_and_node_is_effective(arch):
    shape = (1, 8, 8) if arch == "lenet300" else (3, 16, 16)  # VGG-16 pools four times
    model = nets.build_net(arch, shape, 10, seed=0)
    dense = masks.ones_mask(model)
    result = topology.measure(model, dense, shape)
    if arch != "vgg16":
        assert result.npb_effective_weights == result.total_weights  # NPB agrees on a dense mask
    else:
        # NPB's procedure counts spatial positions: on 16 x 16 images VGG-16's last convolutions
        # see 1 x 1 maps, where the 8 outer taps of each 3 x 3 kernel touch only the padding and
        # get no gradient; our exact count has them all
        last = next(layer for layer in result.layers if layer.layer.startswith("layers.16"))
        assert last.npb_effective_weights == last.total // 9
    assert result.effective_weights == result.total_weights
    assert result.effective_nodes == result.total_nodes
    assert result.effective_sparsity == 0.0
    assert math.isfinite(result.paths_log10)


def test_collapsed_layer_leaves_no_path():
    model = nets.build_net("lenet300", (1, 8, 8), 10, seed=0)
    mask = masks.ones_mask(model)
    mask["fc_layers.1.weight"][:] = False
    result = topology.measure(model, mask, (1, 8, 8))
    assert math.isnan(result.paths_log10)
    assert result.effective_weights == 0 and result.effective_nodes == 0
    assert result.effective_sparsity == 1.0


def test_npb_counts_a_channel_kept_alive_by_an_identity_shortcut():
    # a ResNet-20 whose second block's convolutions are all pruned: its input channels reach the
    # third block through the identity alone. NPB counts them as the third block's input
    # nodes; our exact count has no node for the empty convolutions' outputs.
    model = nets.build_net("resnet20", (3, 8, 8), 10)
    mask = masks.ones_mask(model)
    for name in ("blocks.1.conv1.weight", "blocks.1.conv2.weight"):
        mask[name] = torch.zeros_like(mask[name])
    result = topology.measure(model, mask, (3, 8, 8))
    by_name = {layer.layer: layer for layer in result.layers}
    assert by_name["blocks.2.conv1.weight"].npb_layer_nodes == 16  # all, through the identity
    assert by_name["blocks.1.conv1.weight"].npb_layer_nodes == 0
    assert by_name["blocks.1.conv2.weight"].effective_out_channels == 0
    assert by_name["blocks.3.shortcut.0.weight"].npb_layer_total == 0  # shortcuts not counted
    # the stem's 3 inputs + every other convolution's inputs + the fc's 64 in and 10 out
    convs = [layer for layer in result.layers if ".shortcut." not in layer.layer]
    assert result.npb_total_nodes == sum(layer.npb_layer_total for layer in convs)
    assert by_name["fc.weight"].npb_layer_total == 74
