"""pai.training.optim.SGD must make the same updates as torch.optim.SGD, bit for bit."""

import pytest
import torch

from pai import seeds
from pai.models import nets
from pai.training.optim import SGD


def _model(seed: int) -> torch.nn.Module:
    model = nets.build_net("lenet300", (1, 8, 8), 10)
    nets.init_weights(model, seeds.generator(seed, "test/optim"))
    return model


@pytest.mark.parametrize(("momentum", "weight_decay"), [(0.0, 0.0), (0.9, 0.0), (0.9, 1e-4)])
def test_updates_equal_torch_sgd_bitwise(momentum, weight_decay):
    ours, theirs = _model(0), _model(0)
    ours_opt = SGD(ours.parameters(), lr=0.1, momentum=momentum, weight_decay=weight_decay)
    theirs_opt = torch.optim.SGD(
        theirs.parameters(), lr=0.1, momentum=momentum, weight_decay=weight_decay
    )
    gen = seeds.generator(1, "test/optim/data")
    for step in range(6):
        x = torch.randn(32, 1, 8, 8, generator=gen)
        y = torch.randint(0, 10, (32,), generator=gen)
        lr = 0.1 if step < 3 else 0.01  # a milestone in between, as training sets it
        ours_opt.lr = lr
        for group in theirs_opt.param_groups:
            group["lr"] = lr
        for model, opt in ((ours, ours_opt), (theirs, theirs_opt)):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_state_round_trip_continues_identically():
    a, b = _model(2), _model(2)
    opt_a = SGD(a.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    x, y = torch.randn(16, 1, 8, 8), torch.randint(0, 10, (16,))

    def step(model, opt):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    step(a, opt_a)
    b.load_state_dict(a.state_dict())
    opt_b = SGD(b.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    opt_b.load_state_dict(opt_a.state_dict())
    step(a, opt_a)
    step(b, opt_b)
    for name, tensor in a.state_dict().items():
        assert torch.equal(tensor, b.state_dict()[name]), name


def test_state_of_another_model_is_refused():
    opt = SGD(_model(0).parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="buffers"):
        opt.load_state_dict({"buffers": [None]})
