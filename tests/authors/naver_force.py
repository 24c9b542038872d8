"""Step-by-step port of the authors' FORCE / Iter-SNIP code (naver/force, commit 7494eed).

Ported from the released files ``pruning/pruning_algos.py`` (``iterative_pruning``,
``get_average_gradients``, ``get_average_saliencies``, ``get_mask``, ``get_minimum_saliency``,
``check_global_pruning``) and ``pruning/mask_networks.py`` (``apply_prune_mask``). Every step
below carries a comment naming the released file and line(s) it ports. Only torch, numpy, copy
and math are used.

Loss (what the released code differentiates)
--------------------------------------------
``pruning/pruning_algos.py:47-48`` computes ``outputs = net.forward(inputs)`` and then
``loss = F.nll_loss(outputs, targets)`` directly on those outputs. No model in their repository
ends in ``log_softmax``: ``experiments/models.py:114-116`` (ResNet.forward) returns
``self.fc(out) / self.temp`` and ``experiments/models.py:200-201`` (VGG.forward) returns
``self.classifier(x)``; ``train_imagenet.py`` uses torchvision models (raw logits as well). They
train with cross-entropy on those same outputs: ``experiments/experiments.py:211``
(``loss = F.cross_entropy(logits, labels)`` in ``train_cross_entropy``), the ``loss =
F.cross_entropy`` returned at ``experiments/experiments.py:69,106,141,192`` and
``nn.CrossEntropyLoss()`` at ``train_imagenet.py:213``. So the released pruning differentiates
``F.nll_loss`` applied to RAW LOGITS, i.e. ``-mean_i outputs[i, y_i]`` (the negated mean target
logit), not the cross-entropy the nets are trained with. ``loss_fn`` defaults to exactly that
(``F.nll_loss`` applied to whatever the net returns); pass another loss only on purpose.

Departures from the released file
---------------------------------
1. The data loader is replaced by one batch ``(images, labels)`` given in full. Their default
   ``num_batches=1`` (``pruning/pruning_algos.py:129``, ``train_cifar_tiny_imagenet.py:51``)
   makes ``get_average_gradients`` read exactly one batch per call
   (``pruning/pruning_algos.py:59-60``), so with the default the only change is which batch:
   the released code calls ``next(iter(train_dataloader))`` (``pruning/pruning_algos.py:41``)
   and so draws a FRESH (shuffled, augmented) batch at every pruning step, while here every step
   uses the same given batch. With it go the ``device`` argument and the ``.to(device)`` calls
   (``pruning/pruning_algos.py:42-43``): the caller puts the batch on the net's device.
   ``num_batches`` is therefore fixed to 1 and is not a parameter.
2. ``loss_fn`` is a parameter (default ``F.nll_loss``, theirs) so that a caller can swap it.
Nothing else differs: the print of the global kept fraction (``pruning/pruning_algos.py:203-204``)
and ``torch.cuda.empty_cache()`` (``pruning/pruning_algos.py:179``, a no-op without CUDA) are
kept. ``isinstance(layer, nn.Conv2d) or isinstance(layer, nn.Linear)`` is written with a tuple,
which is the same test.

Quirks reproduced (on purpose)
------------------------------
- Neither ``net.train()`` nor ``net.eval()`` is called: the copies keep the mode of ``ori_net``
  (their nets are built, hence in train mode, when ``iterative_pruning`` is called at
  ``train_cifar_tiny_imagenet.py:147``). In train mode BatchNorm normalises with batch
  statistics and updates the running statistics of the COPIES (never of ``ori_net``).
- ``net = copy.deepcopy(ori_net)`` first; ``ori_net`` itself is never touched.
- FORCE (``prune_method=3``): ``original_weights`` are ``layer.weight.detach()`` of that first
  copy, i.e. they SHARE storage with the first copy's weights. They stay dense because every
  step then masks a NEW ``copy.deepcopy(ori_net)`` (``pruning/pruning_algos.py:198-199``) and
  the first copy is only used for the first step's forward/backward, which never writes its
  weights. FORCE masks with ``apply_hooks=False``: weights zeroed, gradients not blocked. So from
  step 2 on, gradients come from the sparse net (a fresh copy of ``ori_net`` with the last mask
  applied, BatchNorm running stats reset to those of ``ori_net``) and saliency is
  ``|dense weight * sparse-net gradient|``; pruned weights can come back. No
  minimum-saliency fill for FORCE (``prune_method < 3`` at ``pruning/pruning_algos.py:183``).
- Iter-SNIP (``prune_method=1``): ONE copy is reused for all steps; its weights are zeroed in
  place (``layer.weight.data[keep_mask == 0.] = 0.``) and gradient hooks ``grads * keep_mask``
  are registered on the weights. At each step the saliency is computed with the PREVIOUS step's
  hooks still registered; they are removed only after that (``pruning/pruning_algos.py:188-190``)
  and the new mask's hooks are registered; the last hooks are left on the (discarded) copy.
  Saliency uses ``layer.weight`` itself (not detached), so saliency tensors carry autograd
  history; previously pruned entries are set to the global minimum saliency in place
  (``saliency[ii][mask[ii] == 0.] = min_saliency``) before the threshold is taken.
- Gradient accumulators start as the Python int ``0`` (``0 + grad`` makes a new tensor, so they
  do not alias ``.grad``) and are divided by ``count_batch`` (1).
- Schedule: ``np.exp(0 - ((x + 1) * (0 - np.log(pruning_factor)) / num_steps))`` (numpy
  float64) for ``mode='exp'``; ``1 - ((x + 1) * (1 - pruning_factor) / num_steps)`` for
  ``'linear'``; any other mode leaves ``pruning_steps`` unbound (error, as in theirs).
- ``get_mask``: ``int(len(all_scores) * perc)`` weights to keep, ``torch.topk(...,
  sorted=True)`` and threshold ``threshold[-1]``, mask ``(m >= acceptable_score).float()``:
  ties at the threshold are all kept, so the kept count can exceed ``int(N * perc)``; a count
  of 0 makes ``threshold[-1]`` raise, as in theirs.
- ``prune_method=2`` (GRASP-It, ``grad**2``) is ported too, as it is in the released branch.
"""

import copy

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["iterative_pruning"]

# Their default num_batches (pruning/pruning_algos.py:129; train_cifar_tiny_imagenet.py:51).
_NUM_BATCHES = 1
# Stand-in for len(train_dataloader): the "loader" here is the single given batch.
_LOADER_LEN = 1


def _apply_prune_mask(net, keep_masks, apply_hooks=True):
    """Port of ``apply_prune_mask`` (pruning/mask_networks.py:5-45)."""
    # pruning/mask_networks.py:17-19 - prunable layers: Conv2d / Linear, in net.modules() order
    prunable_layers = filter(lambda layer: isinstance(layer, (nn.Conv2d, nn.Linear)), net.modules())

    # pruning/mask_networks.py:23 - handles of the registered gradient hooks
    hook_handlers = []
    # pruning/mask_networks.py:24 - zip layers with masks
    for layer, keep_mask in zip(prunable_layers, keep_masks, strict=False):
        # pruning/mask_networks.py:25
        assert layer.weight.shape == keep_mask.shape

        # pruning/mask_networks.py:27-36 - hook factory (early binding of keep_mask)
        def hook_factory(keep_mask):
            def hook(grads):
                return grads * keep_mask

            return hook

        # pruning/mask_networks.py:39 - zero the masked weights in place (biases ignored)
        layer.weight.data[keep_mask == 0.0] = 0.0

        # pruning/mask_networks.py:42-43 - block their gradients (not with FORCE)
        if apply_hooks:
            hook_handlers.append(layer.weight.register_hook(hook_factory(keep_mask)))

    # pruning/mask_networks.py:45
    return hook_handlers


def _get_average_gradients(net, images, labels, num_batches, loss_fn):
    """Port of ``get_average_gradients`` (pruning/pruning_algos.py:21-63)."""
    # pruning/pruning_algos.py:32-36 - one int 0 accumulator per prunable layer
    gradients = []
    for layer in net.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            gradients.append(0)

    # pruning/pruning_algos.py:39
    count_batch = 0
    # pruning/pruning_algos.py:40 - range(len(train_dataloader)); here the loader is one batch
    for batch_idx in range(_LOADER_LEN):
        # pruning/pruning_algos.py:41 - `next(iter(train_dataloader))` would draw a fresh batch
        # at every call in the original; here it is always the given batch (see docstring).
        # pruning/pruning_algos.py:42-43 (.to(device)) dropped with the loader.
        inputs, targets = images, labels

        # pruning/pruning_algos.py:46
        net.zero_grad()
        # pruning/pruning_algos.py:47
        outputs = net.forward(inputs)
        # pruning/pruning_algos.py:48 - F.nll_loss on the raw outputs by default
        loss = loss_fn(outputs, targets)
        # pruning/pruning_algos.py:49
        loss.backward()

        # pruning/pruning_algos.py:52-57 - accumulate weight gradients of prunable layers
        counter = 0
        for layer in net.modules():
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                gradients[counter] += layer.weight.grad
                counter += 1
        # pruning/pruning_algos.py:58
        count_batch += 1
        # pruning/pruning_algos.py:59-60
        if batch_idx == num_batches - 1:
            break
    # pruning/pruning_algos.py:61
    avg_gradients = [x / count_batch for x in gradients]

    # pruning/pruning_algos.py:63
    return avg_gradients


def _get_average_saliencies(
    net, images, labels, loss_fn, prune_method=3, num_batches=-1, original_weights=None
):
    """Port of ``get_average_saliencies`` (pruning/pruning_algos.py:66-104)."""

    # pruning/pruning_algos.py:82-89 - closure over layer_weight / layer_weight_grad
    def pruning_criteria(method):
        if method == 2:
            # pruning/pruning_algos.py:85 - GRASP-It
            result = layer_weight_grad**2
        else:
            # pruning/pruning_algos.py:88 - FORCE / Iter SNIP
            result = torch.abs(layer_weight * layer_weight_grad)
        return result

    # pruning/pruning_algos.py:91
    gradients = _get_average_gradients(net, images, labels, num_batches, loss_fn)
    # pruning/pruning_algos.py:92-93
    saliency = []
    idx = 0
    # pruning/pruning_algos.py:94-95
    for layer in net.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            # pruning/pruning_algos.py:96-99 - FORCE: dense original weights; else live weights
            layer_weight = original_weights[idx] if prune_method == 3 else layer.weight
            # pruning/pruning_algos.py:100-102
            layer_weight_grad = gradients[idx]
            idx += 1
            saliency.append(pruning_criteria(prune_method))

    # pruning/pruning_algos.py:104
    return saliency


def _get_mask(saliency, pruning_factor):
    """Port of ``get_mask`` (pruning/pruning_algos.py:110-125)."""
    # pruning/pruning_algos.py:116
    all_scores = torch.cat([torch.flatten(x) for x in saliency])

    # pruning/pruning_algos.py:118
    num_params_to_keep = int(len(all_scores) * pruning_factor)
    # pruning/pruning_algos.py:119-120
    threshold, _ = torch.topk(all_scores, num_params_to_keep, sorted=True)
    acceptable_score = threshold[-1]

    # pruning/pruning_algos.py:122-125
    keep_masks = []
    for m in saliency:
        keep_masks.append((m >= acceptable_score).float())
    return keep_masks


def _check_global_pruning(mask):
    """Port of ``check_global_pruning`` (pruning/pruning_algos.py:208-211)."""
    # pruning/pruning_algos.py:210-211
    flattened_mask = torch.cat([torch.flatten(x) for x in mask])
    return flattened_mask.mean()


def _get_minimum_saliency(saliency):
    """Port of ``get_minimum_saliency`` (pruning/pruning_algos.py:213-216)."""
    # pruning/pruning_algos.py:215-216
    flattened_saliency = torch.cat([torch.flatten(x) for x in saliency])
    return flattened_saliency.min()


def iterative_pruning(
    ori_net: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    pruning_factor: float,
    prune_method: int = 3,
    num_steps: int = 10,
    mode: str = "exp",
    loss_fn=F.nll_loss,
) -> list[torch.Tensor]:
    """Port of ``iterative_pruning`` (pruning/pruning_algos.py:127-206).

    ``pruning_factor`` is the fraction of weights KEPT. ``prune_method``: 1 Iter-SNIP,
    2 GRASP-It, 3 FORCE. Returns float (0./1.) masks, one per Conv2d/Linear of
    ``ori_net.modules()`` in order. ``ori_net`` is not modified.
    """
    # pruning/pruning_algos.py:129 - their default num_batches=1 (the loader is one batch here)
    num_batches = _NUM_BATCHES

    # pruning/pruning_algos.py:150 - work on a copy
    net = copy.deepcopy(ori_net)

    # pruning/pruning_algos.py:152-160 - FORCE keeps the (dense) weights of this first copy;
    # .detach() shares their storage
    if prune_method == 3:
        original_weights = []
        for layer in net.modules():
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                original_weights.append(layer.weight.detach())
    else:
        original_weights = None

    # pruning/pruning_algos.py:164-168 - kept-fraction schedule
    if mode == "linear":
        pruning_steps = [1 - ((x + 1) * (1 - pruning_factor) / num_steps) for x in range(num_steps)]

    elif mode == "exp":
        pruning_steps = [
            np.exp(0 - ((x + 1) * (0 - np.log(pruning_factor)) / num_steps))
            for x in range(num_steps)
        ]

    # pruning/pruning_algos.py:170-171
    mask = None
    hook_handlers = None

    # pruning/pruning_algos.py:173
    for perc in pruning_steps:
        # pruning/pruning_algos.py:174-178
        saliency = []
        saliency = _get_average_saliencies(
            net,
            images,
            labels,
            loss_fn,
            prune_method=prune_method,
            num_batches=num_batches,
            original_weights=original_weights,
        )
        # pruning/pruning_algos.py:179
        torch.cuda.empty_cache()

        # pruning/pruning_algos.py:183-186 - previously pruned weights get the global minimum
        # saliency (Iter-SNIP / GRASP-It only)
        if mask is not None and prune_method < 3:
            min_saliency = _get_minimum_saliency(saliency)
            for ii in range(len(saliency)):
                saliency[ii][mask[ii] == 0.0] = min_saliency

        # pruning/pruning_algos.py:188-190 - remove the previous step's hooks
        if hook_handlers is not None:
            for h in hook_handlers:
                h.remove()

        # pruning/pruning_algos.py:192-193
        mask = []
        mask = _get_mask(saliency, perc)

        # pruning/pruning_algos.py:197-201 - FORCE: back to a dense copy, zero weights, no hooks;
        # otherwise zero weights of the same net and hook their gradients
        if prune_method == 3:
            net = copy.deepcopy(ori_net)
            _apply_prune_mask(net, mask, apply_hooks=False)
        else:
            hook_handlers = _apply_prune_mask(net, mask, apply_hooks=True)

        # pruning/pruning_algos.py:203-204
        p = _check_global_pruning(mask)
        print(f"Global pruning {round(float(p), 5)}")

    # pruning/pruning_algos.py:206
    return mask
