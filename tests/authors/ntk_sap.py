"""Step-by-step port of the authors' NTK-SAP code (YiteWang/NTK-SAP, commit e23682b).

Ported from the released files ``prune.py`` (``prune_loop``), ``Pruners/pruners.py``
(``reset_BN``, ``Pruner._global_mask`` / ``mask`` / ``stats``, class ``NTKSAP`` with ``score`` and
its inner ``perturb``), ``Layers/layers.py`` (masked ``Linear`` / ``Conv2d``),
``Utils/generator.py`` (``masks``, ``prunable``, ``masked_parameters`` with their defaults
``prune_bias=prune_batchnorm=prune_residual=False``, ``main.py:71-76``) and the models'
``_initialize_weights`` (``Models/lottery_resnet.py:77-85``, identical in
``Models/lottery_vgg.py:63-71``). Every step below carries a comment naming the released file and
line(s) it ports. Only torch and copy are used.

Their run
---------
``main.py:93-96``: ``--ntksap_R`` default 1, ``--ntksap_epsilon`` default 0.01. The sample script
``scripts/run.sh:3-21`` runs ResNet-20 / CIFAR-10 with ``--experiment multishot --level-list 1
--prune-epochs 20 --prune-train-mode True --ntksap_R 5`` (compression-list 18..2, i.e. densities
``0.8**c``); ``README.md:36`` says "``--ntksap_R``: Number of resampling procedures, only change
this for CIFAR-10 experiment" (it gives no value; the script's 5 is for CIFAR-10). Defaults here:
``R=1, epsilon=0.01, epochs=20, train_mode=True`` (the script's mode; ``main.py:77`` defaults
to False). The schedule is ``exponential`` and the scope ``global`` (``main.py:63-66`` defaults,
not overridden by the script).

What their code does per pruning epoch (``prune.py:16-27``, ``Pruners/pruners.py:268-332``)
------------------------------------------------------------------------------------------
* ``prune_loop`` sets ``model.train()`` and, only if not ``train_mode``, ``model.eval()``
  (``prune.py:11-13``) ONCE, before the epochs. ``score`` itself ends each batch with
  ``model.train()`` (``pruners.py:319``), so with ``train_mode=False`` only the very first batch
  of the first epoch runs the no-grad BN-statistics pass in eval mode (running stats stay at the
  ``reset_BN`` values 0 / 1); every later batch and epoch runs it in train mode.
* At the start of every ``score`` call: masks get ``requires_grad=True`` and weights
  ``requires_grad=False`` (``pruners.py:282-284``); ``model_mod = copy.deepcopy(model)`` is made
  from the model AS IT IS THEN (``pruners.py:287``) and put in eval mode for good
  (``pruners.py:290``); its ``weight_mask`` buffers are replaced by the model's own tensors (shared,
  so both forwards feed one ``mask.grad``) and every ``nn.BatchNorm2d`` of both gets
  ``momentum = 1.0`` (``pruners.py:293-298``).
* Per batch (``R`` rounds x the loader's batches, ``pruners.py:300-319``): re-draw the model with
  ``_initialize_weights`` (kaiming-normal conv/linear weights, BN affine 1/0; biases and BN buffers
  untouched); draw ``input = randn_like(data)`` (the loader's values are never used); ``reset_BN``
  (running stats of ``nn.BatchNorm2d`` / ``nn.GroupNorm`` reset); a no-grad forward in the current
  mode (train: running stats := batch stats of this Gaussian input, momentum 1, unbiased var);
  ``model.eval()``; ``output_orig = model(input)`` with grad; ``perturb``: every masked weight of
  ``model_mod`` := the model's (fresh) weight + ``epsilon * randn`` (only the masked weights: the
  copy's biases and BN affine keep the values they had when ``model_mod`` was deep-copied), and
  each ``nn.BatchNorm2d`` of the copy gets the model's running_mean / running_var /
  num_batches_tracked tensors (shared); ``output_mod = model_mod(input)`` (eval mode, so both use
  the same running stats); ``jac_approx = sum_i ||output_orig_i - output_mod_i||^2`` is
  back-propagated (grads accumulate into the shared masks over all batches and rounds);
  ``model.train()``.
* Then ``score = |mask.grad * (mask != 0)|``, grads zeroed, ``requires_grad`` restored, BN
  momentum of the model reset to 0.1 (``pruners.py:321-330``), and ``prune_loop`` thresholds
  globally at density ``sparsity**((epoch+1)/epochs)`` (``prune.py:18-19,27``,
  ``pruners.py:21-38``).

Consequence of when ``model_mod`` is copied: in epoch 0 the copy is taken BEFORE the first
re-initialisation, so the copy's BN affine parameters (and biases) are the CALLER's values; in
later epochs they are the previous epoch's re-init (BN weight 1, bias 0). Biases are never
re-drawn, so model and copy always agree on them. In their pipeline the model reaching
``prune_loop`` was built by the same ``_initialize_weights`` (``lottery_resnet.py:66``), so its BN
affine is already 1/0; a net of ours initialised otherwise (e.g. BN weight ~ U(0, 1)) makes epoch
0's ``jac_approx`` see that difference as well as the perturbation. This is kept as in the code;
a caller who wants their pipeline's state can call :func:`ntksap_reinitialize_` on the model first
(the weights it draws are never used: every batch re-draws them, and ``ntksap_prune`` re-seeds).

Their MLP
---------
``Models/mlp.py`` (``fc`` and ``conv``) returns a bare ``nn.Sequential`` with no
``_initialize_weights``, so with ``--model fc`` / ``conv`` the released NTK-SAP stops at
``pruners.py:305`` with ``AttributeError: 'Sequential' object has no attribute
'_initialize_weights'``. Here every net (LeNet-300-100 included) gets the ResNet/VGG rule of
:func:`ntksap_reinitialize_`.

What their training starts from after pruning
---------------------------------------------
``prune_loop`` is called with ``reinitialize=False`` by default (``main.py:79``) and never zeroes
the pruned weights (``apply_mask`` is never called; the mask multiplies in forward,
``layers.py:18,46``). After it, the model holds: conv/linear weights of the LAST re-draw
(``pruners.py:305`` of the last batch of the last epoch); biases (VGG conv biases, fc bias) from the
constructor, never re-drawn; BN weight 1 / bias 0; BN running stats = batch stats of the last
Gaussian input through the last re-draw (momentum 1), ``num_batches_tracked`` 1, momentum back to
0.1; the model left in train mode.

* ``Experiments/singleshot.py``: seed (line 13), prune loader (19), model built (25-28), optimizer
  on its parameters (31), ``pre_epochs`` (default 0) pre-training (37-38), pruner + ``prune_loop``
  (42-48), then post-training (53-54) directly on that state: the net trains from the last
  NTK-SAP re-draw of the weights (not the constructor's draw), with the constructor's biases, BN
  affine 1/0 and the running stats just described. (The re-draws are in place, so the optimizer
  built at line 31 still holds those same parameters.)
* ``Experiments/multishot.py`` (the one ``scripts/run.sh`` uses): the freshly built model is saved
  (line 45), fully reloaded before each compression (55: masks back to ones, stats 0/1), pruned
  (68-74), then only the state-dict entries ending in ``.weight`` / ``.bias`` are reloaded from the
  saved file (79-83): conv/linear weights, biases and BN affine go back to the CONSTRUCTOR's
  initialisation, while the masks (``*.weight_mask``) and the BN buffers (running mean/var,
  ``num_batches_tracked``) keep the values the pruning left; optimizer and scheduler are reloaded
  (86-87) and training starts (95-96). So multishot trains the original initialisation under the
  NTK-SAP mask.

Departures from the released code
---------------------------------
1. Loader: their prune loader (``Utils/load.py:41,96-106``: ``prune_dataset_ratio * num_classes``
   examples, 10 x 10 = 100 for CIFAR-10, ``prune_batch_size`` 256, ``shuffle=True``) is replaced by
   a ``DataLoader`` over ZEROS of shape ``input_batch_shape`` with the same batch size and
   ``shuffle=True``. Only ``randn_like(data)`` is used (``pruners.py:306``), so only the shape
   matters; for 100 examples it is one batch of shape ``input_batch_shape``. Iterating it still
   draws what a loader pass draws from torch's global generator (the iterator's base seed and the
   ``RandomSampler`` seed, before the first batch), as theirs does on CUDA, where the 4 workers
   (``load.py:97``) run the transforms. Their CPU path (``num_workers=0``) would also run the
   CIFAR RandomCrop / RandomHorizontalFlip draws (``load.py:34-36,49``) in the main process; these
   are not reproduced. Their stream before ``prune_loop`` (subset ``randperm``, model
   construction) is not reproduced either: ``torch.manual_seed(seed)`` is called at the start
   of :func:`ntksap_prune`.
2. Module wrapping: the model is deep-copied and each ``nn.Linear`` / ``nn.Conv2d`` is turned into a
   subclass with ``weight_mask`` (and ``bias_mask``) buffers and the forward of ``layers.Linear`` /
   ``layers.Conv2d`` (``layers.py:10-51``); these play their ``layers.Linear`` / ``layers.Conv2d``,
   and our ``nn.BatchNorm2d`` plays their ``layers.BatchNorm2d``. BN layers and identity shortcuts
   get no all-ones masks (theirs have ``weight_mask`` buffers of ones, ``layers.py:100-102,
   157``, never pruned with ``prune_batchnorm/residual=False``): multiplying by one is exact, so
   forward and gradients are unchanged. (``layers.BatchNorm2d`` rebinds ``num_batches_tracked``
   where ``nn.BatchNorm2d`` adds in place; with momentum 1.0 the counter is never read.)
3. The final check ``prune.py:38-41`` prints an error and calls ``quit()``; here it raises
   ``RuntimeError`` with the same message. ``reinitialize``, ``shuffle``, ``invert`` (all False by
   default, ``main.py:79-84``), ``tqdm``, the unused ``loss`` argument and the ``nn.DataParallel``
   branch (``pruners.py:302-303``) are left out.
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["ntksap_prune", "ntksap_reinitialize_"]

# main.py:69 (--prune-batch-size default 256)
PRUNE_BATCH_SIZE = 256


# ---------------------------------------------------------------------------------------------
# Layers/layers.py: masked layers (weight_mask multiplied into the weight in forward)
# ---------------------------------------------------------------------------------------------
class _MaskedLinear(nn.Linear):
    """Plays ``layers.Linear`` (Layers/layers.py:10-23)."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        W = self.weight_mask * self.weight  # Layers/layers.py:18
        b = self.bias_mask * self.bias if self.bias is not None else self.bias  # :19-22
        return F.linear(input, W, b)  # Layers/layers.py:23


class _MaskedConv2d(nn.Conv2d):
    """Plays ``layers.Conv2d`` (Layers/layers.py:26-51); ``nn.Conv2d._conv_forward`` is the
    same zeros / non-zeros padding dispatch as Layers/layers.py:37-43."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        W = self.weight_mask * self.weight  # Layers/layers.py:46
        b = self.bias_mask * self.bias if self.bias is not None else self.bias  # :47-50
        return self._conv_forward(input, W, b)  # Layers/layers.py:51


def _to_masked(model: nn.Module) -> nn.Module:
    """Deep copy of ``model`` whose nn.Linear / nn.Conv2d carry their ``weight_mask`` buffer."""
    net = copy.deepcopy(model)  # the caller's model is never modified
    for name, module in net.named_modules():
        if type(module) is nn.Linear:
            module.__class__ = _MaskedLinear
        elif type(module) is nn.Conv2d:
            module.__class__ = _MaskedConv2d
        elif isinstance(module, (nn.Linear, nn.Conv2d)):
            raise TypeError(f"{name!r}: subclass {type(module).__name__} is not supported")
        else:
            continue
        # Layers/layers.py:13-15 and 33-35: masks of ones, registered weight_mask then bias_mask
        module.register_buffer("weight_mask", torch.ones(module.weight.shape))
        if module.bias is not None:
            module.register_buffer("bias_mask", torch.ones(module.bias.shape))
        module.to(module.weight.device)  # Experiments/singleshot.py:28 (.to(device) after build)
    return net


# ---------------------------------------------------------------------------------------------
# Utils/generator.py
# ---------------------------------------------------------------------------------------------
def _masks(module: nn.Module):
    # Utils/generator.py:3-8
    for name, buf in module.named_buffers():
        if "mask" in name:
            yield buf


def _prunable(module: nn.Module, batchnorm: bool = False, residual: bool = False) -> bool:
    # Utils/generator.py:15-23 with prune_batchnorm = prune_residual = False (main.py:73-76):
    # only the masked Linear / Conv2d
    return isinstance(module, (_MaskedLinear, _MaskedConv2d))


def _masked_parameters(model: nn.Module, bias: bool = False):
    # Utils/generator.py:33-40 (prune_bias False, main.py:71): (weight_mask, weight) per layer
    for module in filter(lambda p: _prunable(p), model.modules()):
        for mask, param in zip(_masks(module), module.parameters(recurse=False), strict=False):
            if param is not module.bias or bias is True:
                yield mask, param


# ---------------------------------------------------------------------------------------------
# Models/lottery_resnet.py:77-85 == Models/lottery_vgg.py:63-71
# ---------------------------------------------------------------------------------------------
def ntksap_reinitialize_(model: nn.Module) -> nn.Module:
    """Apply their ``_initialize_weights`` once, in place, to a net of ours; return it.

    Their rule (``Models/lottery_resnet.py:77-85``, identical ``Models/lottery_vgg.py:63-71``), in
    ``model.modules()`` order: every ``layers.Linear`` / ``nn.Linear`` / ``layers.Conv2d`` gets
    ``nn.init.kaiming_normal_(m.weight)`` with its defaults (``a=0``, ``mode='fan_in'``,
    ``nonlinearity='leaky_relu'``, i.e. N(0, 2 / fan_in), fan_in = in_channels * kh * kw or
    in_features), drawn from torch's global generator of the weight's device; the bias is left
    alone (the zeroing is commented out, lines 81-82). Every ``layers.BatchNorm2d`` gets weight 1
    and bias 0 (lines 83-85); its running stats are left alone. Nothing else is touched
    (BatchNorm1d, identity shortcuts, any other module). Here every ``nn.Linear`` /
    ``nn.Conv2d`` plays their masked layers and every ``nn.BatchNorm2d`` their
    ``layers.BatchNorm2d``.
    """
    for m in model.modules():  # Models/lottery_resnet.py:78
        if isinstance(m, (nn.Linear, nn.Conv2d)):  # Models/lottery_resnet.py:79
            nn.init.kaiming_normal_(m.weight)  # Models/lottery_resnet.py:80
        elif isinstance(m, nn.BatchNorm2d):  # Models/lottery_resnet.py:83
            nn.init.constant_(m.weight, 1)  # Models/lottery_resnet.py:84
            nn.init.constant_(m.bias, 0)  # Models/lottery_resnet.py:85
    return model


# ---------------------------------------------------------------------------------------------
# Pruners/pruners.py
# ---------------------------------------------------------------------------------------------
def _reset_BN(net: nn.Module) -> None:
    # Pruners/pruners.py:7-11 (GroupNorm has no reset_running_stats: it would raise, as theirs)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                m.reset_running_stats()


class _NTKSAP:
    """Pruners/pruners.py:13-38 (Pruner) and 262-332 (NTKSAP)."""

    def __init__(self, masked_parameters, epsilon: float, R: int):
        self.masked_parameters = list(masked_parameters)  # Pruners/pruners.py:15
        self.scores: dict[int, torch.Tensor] = {}  # Pruners/pruners.py:16
        self.epsilon = epsilon  # Pruners/pruners.py:265
        self.R = R  # Pruners/pruners.py:266

    def score(self, model: nn.Module, dataloader, device) -> None:
        # Pruners/pruners.py:268
        def perturb(model_orig, model_copy):
            # Pruners/pruners.py:270-273: only the masked weights of the copy are re-set
            with torch.no_grad():
                for (_m_orig, p_orig), (_m_copy, p_copy) in zip(
                    _masked_parameters(model_orig), _masked_parameters(model_copy), strict=False
                ):
                    p_copy.data = p_orig.data + self.epsilon * torch.randn_like(p_orig.data)

            # Pruners/pruners.py:275-280: the copy's BatchNorm2d use the model's buffers
            for module, module_mod in zip(model_orig.modules(), model_copy.modules(), strict=False):
                if isinstance(module, nn.BatchNorm2d):
                    with torch.no_grad():
                        module_mod.running_mean = module.running_mean
                        module_mod.running_var = module.running_var
                        module_mod.num_batches_tracked = module.num_batches_tracked

        # Pruners/pruners.py:282-284
        for m, p in self.masked_parameters:
            m.requires_grad = True
            p.requires_grad = False

        # Pruners/pruners.py:286-287: copy of the model as it is now (before this call's re-draws)
        model_mod = copy.deepcopy(model)

        # Pruners/pruners.py:289-290
        model_mod.eval()

        # Pruners/pruners.py:292-298: share masks; BatchNorm2d momentum 1.0 in both
        for module, module_mod in zip(model.modules(), model_mod.modules(), strict=False):
            if hasattr(module, "weight_mask"):
                module_mod.weight_mask = module.weight_mask
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = 1.0
                module_mod.momentum = 1.0

        for _ in range(self.R):  # Pruners/pruners.py:300
            for _index, (data, _) in enumerate(dataloader):  # Pruners/pruners.py:301
                ntksap_reinitialize_(
                    model
                )  # Pruners/pruners.py:302-305 (model._initialize_weights())
                input = torch.randn_like(data).to(device)  # Pruners/pruners.py:306

                _reset_BN(model)  # Pruners/pruners.py:308
                with torch.no_grad():  # Pruners/pruners.py:309-310
                    output_orig = model(input)

                model.eval()  # Pruners/pruners.py:312
                # Pruners/pruners.py:313-314: compute the true graph using eval mode
                output_orig = model(input)
                perturb(model, model_mod)  # Pruners/pruners.py:315
                output_mod = model_mod(input)  # Pruners/pruners.py:316
                jac_approx = (torch.norm(output_orig - output_mod, dim=-1) ** 2).sum()  # :317
                jac_approx.backward()  # Pruners/pruners.py:318
                model.train()  # Pruners/pruners.py:319

        # Pruners/pruners.py:321-325
        for m, p in self.masked_parameters:
            self.scores[id(p)] = torch.clone(m.grad * (m != 0)).detach().abs_()
            m.grad.data.zero_()
            m.requires_grad = False
            p.requires_grad = True

        # Pruners/pruners.py:327-330: reset momentum of BatchNorm2d (model only)
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = 0.1

        del model_mod  # Pruners/pruners.py:332

    def _global_mask(self, sparsity: float) -> None:
        # Pruners/pruners.py:21-38; `sparsity` is the fraction KEPT (a density)
        global_scores = torch.cat([torch.flatten(v) for v in self.scores.values()])  # :30
        k = int((1.0 - sparsity) * global_scores.numel())  # Pruners/pruners.py:31
        if not k < 1:  # Pruners/pruners.py:32
            threshold, _ = torch.kthvalue(global_scores, k)  # Pruners/pruners.py:33
            for mask, param in self.masked_parameters:  # Pruners/pruners.py:34
                score = self.scores[id(param)]  # Pruners/pruners.py:35
                zero = torch.tensor([0.0]).to(mask.device)  # Pruners/pruners.py:36
                one = torch.tensor([1.0]).to(mask.device)  # Pruners/pruners.py:37
                mask.copy_(torch.where(score <= threshold, zero, one))  # Pruners/pruners.py:38

    def mask(self, sparsity: float, scope: str) -> None:
        # Pruners/pruners.py:52-58 (only the default scope 'global', main.py:65, is ported)
        if scope != "global":
            raise NotImplementedError(scope)
        self._global_mask(sparsity)

    def stats(self) -> tuple[float, int]:
        # Pruners/pruners.py:84-91
        remaining_params, total_params = 0, 0
        for mask, _ in self.masked_parameters:
            remaining_params += mask.detach().cpu().numpy().sum()
            total_params += mask.numel()
        return remaining_params, total_params


# ---------------------------------------------------------------------------------------------
# prune.py
# ---------------------------------------------------------------------------------------------
def _prune_loop(model, pruner, dataloader, device, sparsity, schedule, scope, epochs, train_mode):
    # prune.py:6-7 (reinitialize, shuffle, invert at their defaults False: left out)
    # prune.py:10-13: set model to train or eval mode, once
    model.train()
    if not train_mode:
        model.eval()

    for epoch in range(epochs):  # prune.py:16
        pruner.score(model, dataloader, device)  # prune.py:17
        if schedule == "exponential":  # prune.py:18-19
            sparse = sparsity ** ((epoch + 1) / epochs)
        elif schedule == "linear":  # prune.py:20-21
            sparse = 1.0 - (1.0 - sparsity) * ((epoch + 1) / epochs)
        elif schedule == "expinv":  # prune.py:22-23
            sparse = 1.0 - (1.0 - sparsity) ** (epochs / (epoch + 1))
        pruner.mask(sparse, scope)  # prune.py:27

    # prune.py:37-41: confirm sparsity level (theirs prints and quit()s)
    remaining_params, total_params = pruner.stats()
    if abs(remaining_params - total_params * sparsity) >= 5:
        raise RuntimeError(
            f"ERROR: {remaining_params} prunable parameters remaining, "
            f"expected {total_params * sparsity}"
        )


# ---------------------------------------------------------------------------------------------
# public entry point
# ---------------------------------------------------------------------------------------------
def ntksap_prune(
    model: nn.Module,
    input_batch_shape: tuple[int, ...],
    density: float,
    epochs: int = 20,
    R: int = 1,
    epsilon: float = 0.01,
    train_mode: bool = True,
    seed: int = 0,
    prune_batch_size: int = PRUNE_BATCH_SIZE,
) -> dict[str, torch.Tensor]:
    """Run their ``prune_loop`` with the ``NTKSAP`` pruner on a copy of ``model``.

    ``density`` is their ``sparsity`` (the fraction of prunable weights kept, ``0.8**compression``
    in ``Experiments/singleshot.py:46``); ``epochs`` = ``--prune-epochs``, ``R`` = ``--ntksap_R``,
    ``epsilon`` = ``--ntksap_epsilon``, ``train_mode`` = ``--prune-train-mode``. The schedule is
    exponential and the scope global (their defaults). ``input_batch_shape`` is the shape of their
    prune data set as one tensor (``prune_dataset_ratio * num_classes`` examples, 100 for 10
    classes), cut into batches of ``prune_batch_size`` (256) as their loader does: for 100
    examples, one batch of exactly that shape. Only its shape is used (``pruners.py:306`` draws
    ``randn_like(data)``). ``torch.manual_seed(seed)`` is called once; then the draws follow
    theirs: per loader pass the loader's two seeds, then per batch the re-init of every
    conv/linear weight, the Gaussian input, one perturbation per masked weight.

    Returns ``{f"{module_name}.weight": bool mask}`` (True = kept) for every nn.Conv2d /
    nn.Linear of ``model``, in module order. ``model`` itself is not modified.
    """
    torch.manual_seed(seed)  # Experiments/singleshot.py:13 / multishot.py:17 (global generator)
    net = _to_masked(model)
    device = next(net.parameters()).device

    # Utils/load.py:96-106: shuffled loader, batch size 256, no workers on CPU; only shapes matter
    data = torch.zeros(input_batch_shape)
    dataset = torch.utils.data.TensorDataset(data, torch.zeros(len(data), dtype=torch.long))
    dataloader = torch.utils.data.DataLoader(dataset, batch_size=prune_batch_size, shuffle=True)

    # Experiments/singleshot.py:42-43 / multishot.py:68-69
    pruner = _NTKSAP(_masked_parameters(net), epsilon=epsilon, R=R)
    # Experiments/singleshot.py:47-48 / multishot.py:73-74
    _prune_loop(
        net, pruner, dataloader, device, density, "exponential", "global", epochs, train_mode
    )

    return {
        f"{name}.weight": module.weight_mask.detach().clone().bool()
        for name, module in net.named_modules()
        if isinstance(module, (_MaskedLinear, _MaskedConv2d))
    }
