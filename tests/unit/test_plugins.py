"""Code the user brings: loading it, and every way it can be wrong named with its plugin, its
function and the problem, before anything is trained."""

import math

import pytest
import torch

from pai.analysis import topology
from pai.config import plugins
from pai.data import datasets, scoring_set, tensors
from pai.data.scoring_set import ScoringData
from pai.models import nets
from pai.pruning import ablations, masks, prune


def write(tmp_path, name, source):
    path = tmp_path / name
    path.write_text(source)
    return str(path)


def method(tmp_path, body, name="mine", **settings):
    source = (
        "import torch\nfrom pai.models.nets import prunable_names\n\n\n"
        "def score(net, data, seed):\n"
    )
    function = write(tmp_path, f"{name}.py", source + body) + ":score"
    return {
        "name": name,
        "function": function,
        "keep": "highest",
        "schedule": "one_shot",
        "data": False,
        "rounds": None,
        "options": {},
        **settings,
    }


MAGNITUDE = (
    "    params = dict(net.named_parameters())\n"
    "    return {n: params[n].detach().abs() for n in prunable_names(net)}\n"
)


@pytest.fixture(scope="module")
def lenet():
    return nets.build_net("lenet300", (1, 8, 8), 10, seed=0)


def test_a_plugin_method_ranks_like_a_built_in(tmp_path, lenet):
    settings = method(tmp_path, MAGNITUDE)
    mine = prune.cell_masks(settings, lenet, 0.8, seed=0)
    built_in = prune.cell_masks(prune.method_settings("magnitude"), lenet, 0.8, seed=0)
    for ranking in ("unmodified", "invert"):
        assert all(torch.equal(mine[ranking][n], built_in[ranking][n]) for n in mine[ranking])


def test_a_plugin_may_change_its_copy_of_the_net(tmp_path, lenet):
    before = {k: v.clone() for k, v in lenet.state_dict().items()}
    body = "    net.double()\n    for p in net.parameters():\n        p.data.mul_(-1)\n" + MAGNITUDE
    prune.scores(method(tmp_path, body), lenet, seed=0)
    assert all(torch.equal(before[k], v) for k, v in lenet.state_dict().items())


@pytest.mark.parametrize(
    "body,problem",
    [
        ("    return [1, 2]\n", "returned list; expected a dict of weight name -> scores"),
        (
            "    params = dict(net.named_parameters())\n"
            "    return {n: params[n].abs() for n in prunable_names(net)[:-1]}\n",
            "no scores for the prunable weights ['fc.weight']",
        ),
        (
            "    params = dict(net.named_parameters())\n"
            "    found = {n: params[n].abs() for n in prunable_names(net)}\n"
            "    found['fc.bias'] = params['fc.bias']\n    return found\n",
            "scores for ['fc.bias'], which are not prunable weights",
        ),
        (
            "    params = dict(net.named_parameters())\n"
            "    return {n: params[n].abs().flatten() for n in prunable_names(net)}\n",
            "the scores of fc_layers.0.weight have shape (19200,), the weight has (300, 64)",
        ),
        (
            "    params = dict(net.named_parameters())\n"
            "    found = {n: params[n].detach().abs() for n in prunable_names(net)}\n"
            "    found['fc.weight'][0, 0] = float('nan')\n    return found\n",
            "1 scores of fc.weight are not finite (NaN or inf)",
        ),
        ("    return {n: 1.0 for n in prunable_names(net)}\n", "are a float"),
    ],
)
def test_bad_scores_are_named(tmp_path, lenet, body, problem):
    settings = method(tmp_path, body)
    with pytest.raises(plugins.PluginError) as caught:
        prune.cell_masks(settings, lenet, 0.5, seed=0)
    assert f"plugins.methods.mine ({settings['function']})" in str(caught.value)
    assert problem in str(caught.value)


def test_a_plugin_that_fails_to_import_is_named(tmp_path, lenet):
    path = write(
        tmp_path,
        "broken.py",
        "import no_such_package_here\n\ndef score(net, data, seed):\n    pass\n",
    )
    settings = {**method(tmp_path, MAGNITUDE), "function": path + ":score"}
    with pytest.raises(plugins.PluginError, match="cannot be imported: ModuleNotFoundError"):
        prune.scores(settings, lenet, seed=0)


def test_an_iterative_plugin_method_on_data(tmp_path):
    # |gradient| of the loss, rescored every round on the survivors: SynFlow's schedule
    body = (
        "    x, y = data\n"
        "    loss = torch.nn.functional.cross_entropy(net(x), y)\n"
        "    params = dict(net.named_parameters())\n"
        "    names = prunable_names(net)\n"
        "    grads = torch.autograd.grad(loss, [params[n] for n in names])\n"
        "    return {n: g.abs() for n, g in zip(names, grads)}\n"
    )
    settings = method(tmp_path, body, schedule="iterative", rounds=4, data=True)
    digits = datasets.load_digits()
    model = nets.build_net("lenet300", digits.input_shape, 10, seed=0)
    subset = scoring_set.scoring_subset(digits, 5, seed=0)
    both = prune.cell_masks(settings, model, 0.9, seed=0, data=subset)
    total = sum(m.numel() for m in both["unmodified"].values())
    for mask in both.values():
        assert sum(int(m.sum()) for m in mask.values()) == round(0.1 * total)
    names = list(both["unmodified"])
    overlap = masks.flatten(both["unmodified"], names) & masks.flatten(both["invert"], names)
    assert int(overlap.sum()) < 0.05 * round(0.1 * total)
    with pytest.raises(ValueError, match="needs the scoring subset"):
        prune.scores({**settings, "schedule": "one_shot"}, model, seed=0)
    assert isinstance(subset, ScoringData)


def test_plugin_options_reach_the_function(tmp_path, lenet):
    source = (
        "from pai.models.nets import prunable_names\n\n\ndef score(net, data, seed, power=1):\n"
        "    params = dict(net.named_parameters())\n"
        "    return {n: params[n].detach().abs() ** power for n in prunable_names(net)}\n"
    )
    function = write(tmp_path, "power.py", source) + ":score"
    settings = {**method(tmp_path, MAGNITUDE), "function": function, "options": {"power": 3}}
    scores = prune.scores(settings, lenet, seed=0)
    expected = dict(lenet.named_parameters())["fc.weight"].detach().abs() ** 3
    assert torch.equal(scores["fc.weight"], expected)


NET = """
import torch
from torch import nn


class Small(nn.Module):
    def __init__(self, channels, classes, out=None):
        super().__init__()
        self.conv = nn.Conv2d(channels, 4, 3, padding=1)
        self.norm = NORM
        self.fc = nn.Linear(4, out or classes)

    def forward(self, x):
        x = torch.relu(self.norm(self.conv(x)))
        return self.fc(x.mean(dim=(2, 3)))


def build(input_shape, num_classes):
    return Small(input_shape[0], num_classes)


def wrong(input_shape, num_classes):
    return Small(input_shape[0], num_classes, out=num_classes + 1)


def not_a_net(input_shape, num_classes):
    return "net"


def init(model, generator):
    for p in model.parameters():
        p.data.fill_(0.5)


def only_fc(model):
    return ["fc.weight"]
"""


def arch(tmp_path, norm="nn.BatchNorm2d(4)", builder="build", **extra):
    path = write(tmp_path, "small.py", NET.replace("NORM", norm))
    settings = {"name": "small", "builder": f"{path}:{builder}"}
    settings.update({key: f"{path}:{value}" for key, value in extra.items()})
    return settings


def test_a_plugin_net_is_built_initialised_and_pruned_like_the_built_ins(tmp_path):
    settings = arch(tmp_path)
    model = nets.build_net(settings, (3, 8, 8), 5, seed=0)
    again = nets.build_net(settings, (3, 8, 8), 5, seed=0)
    assert all(
        torch.equal(a, b)
        for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True)
    )
    assert nets.prunable_names(model) == ["conv.weight", "fc.weight"]
    assert nets.input_shape(model) == (3, 8, 8)
    gamma = model.norm.weight.detach()
    assert (gamma >= 0).all() and (gamma < 1).all()  # open_lth's BN init
    mask = prune.cell_masks(prune.method_settings("synflow", rounds=3), model, 0.5, seed=0)
    start = ablations.start_state(
        "reinit", model, model.state_dict(), mask["unmodified"], 0, settings
    )
    assert masks.density(start["mask"]) == pytest.approx(0.5, abs=0.01)


def test_a_plugin_net_with_its_own_initialiser_and_prunable_weights(tmp_path):
    settings = arch(tmp_path, initialiser="init", prunable="only_fc")
    model = nets.build_net(settings, (3, 8, 8), 5, seed=0)
    assert all(bool((p == 0.5).all()) for p in model.parameters())
    assert nets.prunable_names(model) == ["fc.weight"]
    assert list(masks.ones_mask(model)) == ["fc.weight"]


@pytest.mark.parametrize(
    "builder,problem",
    [
        ("wrong", "returns shape (2, 6), expected (2, 5) logits for 5 classes"),
        ("not_a_net", "returned str, not an nn.Module"),
    ],
)
def test_bad_builders_are_named(tmp_path, builder, problem):
    settings = arch(tmp_path, builder=builder)
    with pytest.raises(plugins.PluginError) as caught:
        nets.build_net(settings, (3, 8, 8), 5, seed=0)
    assert f"plugins.architectures.small.builder ({settings['builder']})" in str(caught.value)
    assert problem in str(caught.value)


def test_a_net_the_default_initialiser_does_not_know_asks_for_one(tmp_path):
    settings = arch(tmp_path, norm="nn.GroupNorm(2, 4)")
    with pytest.raises(plugins.PluginError, match="give the architecture an initialiser"):
        nets.build_net(settings, (3, 8, 8), 5, seed=0)


def test_topology_says_when_it_cannot_follow_a_net(tmp_path):
    settings = arch(tmp_path, norm="nn.GroupNorm(2, 4)", initialiser="init")
    model = nets.build_net(settings, (3, 8, 8), 5, seed=0)
    mask = masks.ones_mask(model)
    with pytest.raises(topology.Unsupported, match="norm is a GroupNorm"):
        topology.measure(model, mask, (3, 8, 8))
    rows, channels = topology.group_rows(
        {"net": "small", "sparsity": 0.0, "seed": 0}, [("random", "unmodified")],
        lambda run: mask, model, (3, 8, 8),
    )  # fmt: skip
    assert len(rows) == 1 and rows[0]["supported"] is False
    assert "GroupNorm" in rows[0]["reason"] and math.isnan(rows[0]["paths_log10"])
    assert len(channels) == len(topology.CHANNEL_THRESHOLDS)  # per-channel sparsity still works
    (tmp_path / "other").mkdir()
    followed = nets.build_net(arch(tmp_path / "other"), (3, 8, 8), 5, seed=0)
    rows, _ = topology.group_rows(
        {"net": "small", "sparsity": 0.0, "seed": 0}, [("random", "unmodified")],
        lambda run: masks.ones_mask(followed), followed, (3, 8, 8),
    )  # fmt: skip
    assert all(row["supported"] for row in rows) and len(rows) == 2


LOADER = """
import torch


def load(n=8, labels_off=0, classes=3):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, 1, 4, 4, generator=gen)
    y = torch.arange(n) % classes
    return x, y[: n - labels_off], x[:4], y[:4]
"""


def loaded(tmp_path, **options):
    path = write(tmp_path, "loader.py", LOADER) + ":load"
    return datasets.load(
        {"name": "made", "kind": "loader", "loader": path, "shape": [1, 4, 4], "classes": 3,
         "options": options}
    )  # fmt: skip


def test_a_loader_dataset(tmp_path):
    made = loaded(tmp_path)
    assert made.input_shape == (1, 4, 4) and made.num_classes == 3 and len(made.train_y) == 8
    assert made.train_y.dtype == torch.int64 and not made.augment


@pytest.mark.parametrize(
    "options,problem",
    [
        (
            {"labels_off": 2},
            "8 train images but labels of shape (6,): images and labels do not match",
        ),
        ({"classes": 5}, "train labels run from 0 to 4, outside the 3 classes of the config"),
    ],
)
def test_bad_loaders_are_named(tmp_path, options, problem):
    with pytest.raises(plugins.PluginError) as caught:
        loaded(tmp_path, **options)
    assert "plugins.datasets.made.loader (" in str(caught.value) and problem in str(caught.value)


def test_a_folder_dataset_of_the_users(tmp_path):
    from PIL import Image

    for split, count in (("train", 3), ("val", 2)):
        for label, colour in (("dark", 20), ("light", 230)):
            folder = tmp_path / "pics" / split / label
            folder.mkdir(parents=True)
            for index in range(count):
                Image.new("RGB", (10, 12), (colour, colour, colour)).save(folder / f"{index}.png")
    pics = datasets.load(
        {"name": "pics", "kind": "folder", "folder": "pics", "shape": [3, 8, 8], "classes": 2},
        base=tmp_path,
    )
    assert pics.train_x.shape == (6, 3, 8, 8) and pics.test_y.tolist() == [0, 0, 1, 1]
    # normalised with its own training split's statistics
    assert abs(pics.train_x.mean().item()) < 1e-5 and pics.train_x.std().item() == pytest.approx(
        1, 0.2
    )
    assert isinstance(pics, tensors.TensorData)
