"""Step-by-step port of the authors' ProsPr code (mil-ad/prospr, commit a921779).

Ported from the released files ``prospr/prospr.py`` (``functional_sgd``,
``fwd_with_external_params``, ``compute_meta_grads``, ``prune``) and ``prospr/utils.py``
(``pruning_filter_factory``, ``attach_masks_as_parameter``, ``_pre_forward_hook``,
``apply_masks_with_hooks``, ``keep_mask_from_scores``, ``keep_masks_stats``,
``keep_masks_health_check``, ``uncat_as``, ``get_module_from_param_name``), called the way their
entry point calls them (``cli.py`` -> ``train.py:get_pruned_model``). Every step below carries a
comment naming the released file and line(s) it ports. Only torch, copy, types, math,
collections and datetime are used.

Their run (defaults of their command line)
------------------------------------------
``train.py:31-44`` calls ``prospr.prune(model, prune_ratio, train_dataloader, filter_fn,
inner_steps, inner_lr, inner_momentum, meta_grads_mode, structured_pruning, new_data_in_inner)``
with the ``cli.py`` defaults:

* ``--inner-steps`` 3 (``cli.py:58-63``) -> ``num_steps=3``;
* ``--inner-lr`` 0.1 (``cli.py:65-70``) -> ``inner_lr=0.1``;
* ``--inner-momentum`` 0 (``cli.py:72-77``) -> ``inner_momentum=0`` (plain SGD);
* ``--meta-grads-mode`` ``"full"`` (``cli.py:79-86``) -> ``method="full"`` (second order:
  ``create_graph=True`` through the unrolled steps, not the first-order approximation);
* ``--new-data-in-inner`` ``False`` (``cli.py:88-93``; note it has no ``type=``, so any value given
  on their command line, even ``False``, is a non-empty string and hence true) -> the SAME batch
  is used in every inner step and for the meta-gradient (``prospr/prospr.py:275``). ``prune``'s own
  Python default is ``True`` (``prospr/prospr.py:201``), but their CLI always passes the flag;
* ``--meta-batch-size`` 128 (``cli.py:95-100``): the batch size of the loader given to ``prune``
  (``train.py:25-27``);
* ``--structured-pruning`` off (``cli.py:45-50``); structured ProsPr is not released
  (``train.py:46-47`` raises ``NotImplementedError("Coming soon!")``, reproduced here);
* ``--prune-ratio`` default 0.8 (``cli.py:38-43``), the fraction of weights to REMOVE; ``prune``
  keeps ``1 - prune_ratio`` (``prospr/prospr.py:297``). Their ``train.py:130`` prunes only when
  ``prune_ratio > 0``; this function always runs the algorithm (at 0 it keeps everything).

(``README.md`` shows a package example with ``inner_lr=0.5, inner_momentum=0.9`` and prune ratio
0.98; those are not the CLI defaults and are not used here unless passed.)

Which weights are prunable
--------------------------
``filter_fn = pruning_filter_factory(num_classes, structured)`` (``train.py:29``,
``prospr/utils.py:12-28``): every ``nn.Conv2d`` and every ``nn.Linear`` module, the first layer,
the output layer and shortcut / downsample convolutions included (only structured pruning would
exclude a Linear with ``out_features == num_classes``). Biases and BatchNorm parameters are never
masked (but they ARE updated by the inner SGD steps, see below). Masks are attached in
``net.named_modules()`` order (``prospr/utils.py:61``), which is the order of the returned dict.

Loss
----
``F.cross_entropy(y_pred, y)`` (mean over the batch) on the raw network outputs, both in the inner
loop (``prospr/prospr.py:258``) and for the meta-gradient (``prospr/prospr.py:161``). Their models
end in a plain ``nn.Linear`` that returns logits (``models/resnet20.py:131``,
``models/models.py:49-56`` torchvision VGG / a Linear classifier) and they train with
``F.cross_entropy`` too (``train.py:103``). Our nets also return logits.

Departures from the released code
---------------------------------
1. The data loader is replaced by the single given batch ``(images, labels)``: ``prune`` receives
   ``dataloader = [(images, labels)]``. Their loader is the shuffled, augmented training loader
   (``train.py:25-27``, ``datasets.py:224-226`` ``shuffle=True``, ``datasets.py:15-22`` random crop
   + flip for CIFAR-10) with batch size ``meta_batch_size`` = 128, and ``prune`` takes its FIRST
   batch, ``next(iter(dataloader))`` (``prospr/prospr.py:251-252``). With ``new_data_in_inner``
   true their code would draw fresh batches; with the one-batch list here the ``StopIteration``
   branch (``prospr/prospr.py:276-280``) re-iterates and returns the same batch again.
2. ``train.py:20-23`` first moves the caller's model to CUDA (unless ``--prune-on-cpu``); that
   would modify the caller's model, so it is not done: ``prune`` runs on the model's own device
   (in the default ``"full"`` mode it moves its deep copy to the CPU anyway,
   ``prospr/prospr.py:219-220``) and the masks come back on the model's device.
3. The return value: ``prune`` returns ``(pruned_net, keep_masks)`` (``prospr/prospr.py:309``); the
   pruned net (a hooked deep copy, ``prospr/utils.py:112-149``) is still built, then dropped, and
   the float 0/1 keep masks are returned as ``{f"{module_name}.weight": bool mask}``.
   ``return_scores=True`` (``prospr/prospr.py:293-294``) returns the scores under the same names.
Nothing else differs: their prints (inner losses, timing, per-layer statistics) are kept.

Quirks reproduced (on purpose)
------------------------------
- ``net = deepcopy(net); net.train()`` (``prospr/prospr.py:213-214``): the caller's model is never
  touched; the copy is in train mode whatever the caller's mode, so BatchNorm normalises with
  batch statistics and the COPY's running statistics / ``num_batches_tracked`` are updated by
  each of the 4 forwards (3 inner + 1 meta).
- Masks are ``nn.Parameter(torch.ones_like(weight))`` attached as ``weight_mask`` without
  overriding ``forward`` (``prospr/prospr.py:231-238``); the weights stay trainable parameters.
- Every parameter, not just the masked weights, enters the unrolled inner loop: masked weights
  as ``param * weight_mask``, biases and BN affine as ``param.clone()``
  (``prospr/prospr.py:242-247``), and ALL of them get SGD updates (``prospr/prospr.py:267-273``).
- ``fwd_with_external_params`` monkey-patches the ``forward`` of every module that owns
  parameters (``Conv2d``, ``Linear``, ``BatchNorm2d``; anything else raises ``TypeError``) with
  copies of torch 1.9's forwards fed the external tensors; a parameter goes to ``weight`` if the
  substring ``"weight"`` is in its full name, else to ``bias`` if ``"bias"`` is
  (``prospr/prospr.py:131-143``). BN's ``num_batches_tracked`` is REASSIGNED (``+ 1``), not
  incremented in place (``prospr/prospr.py:91-92``).
- ``functional_sgd`` (``prospr/prospr.py:16-52``) with ``weight_decay=0, dampening=0,
  nesterov=False``. Momentum buffers: with the default momentum 0 no buffer is ever made and the
  returned ``momentum_state`` becomes an EMPTY list after the first step (never indexed again). With
  momentum != 0 the first buffer is ``torch.clone(grad).detach()`` (``prospr/prospr.py:40``), which
  cuts the meta-gradient path through the first step's gradient in the momentum term.
- ``"full"``: ``create_graph=True`` in the inner steps (``prospr/prospr.py:262``) and
  ``torch.autograd.grad(loss, weight_masks)`` (``prospr/prospr.py:164-166``). ``"first_order"``:
  inner gradients without graph, then ``d loss / d fast_params`` pushed by hand to the masks
  through the last ``fast_param`` only (``prospr/prospr.py:172-186``).
- Scores ``0 + |meta_grad|`` (``prospr/prospr.py:240,288``), concatenated in module order.
- Count rule (``prospr/utils.py:155-159``): ``num_to_keep = ceil(len(scores) * keep_ratio)`` with
  ``keep_ratio = 1 - prune_ratio`` computed in Python floats (so e.g. ``1 - 0.9`` is
  ``0.09999999999999998`` and ``1 - 0.98`` is ``0.020000000000000018``: on LeNet-300-100's
  50,200 weights prune ratio 0.98 keeps ``ceil(1004.0000000000009)`` = 1,005, not 1,004);
  exactly that many weights are kept, chosen by
  ``torch.topk(scores, num_to_keep)`` (ties at the threshold broken by ``topk``, not by index).
  The global threshold is over all prunable layers together (no per-layer quota).
- ``keep_masks_health_check`` (``prospr/utils.py:194-196``): an ``AssertionError`` if any layer
  would be pruned entirely.
"""

import copy
import types
from collections import defaultdict
from copy import deepcopy
from datetime import datetime
from math import ceil

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parameters_to_vector

__all__ = ["prospr_prune"]


# --------------------------------------------------------------------------------------------
# prospr/utils.py
# --------------------------------------------------------------------------------------------


def _pruning_filter_factory(num_classes, structured):
    """Port of ``pruning_filter_factory`` (prospr/utils.py:12-28)."""

    # prospr/utils.py:19-26 - Conv2d always; Linear unless structured and the output layer;
    # anything else falls through and returns None (falsy)
    def filter_fn(m):
        if isinstance(m, nn.Conv2d):
            return True
        elif isinstance(m, nn.Linear):
            if structured and m.out_features == num_classes:  # noqa: SIM103 (kept literal)
                return False
            else:
                return True

    # prospr/utils.py:28
    return filter_fn


def _attach_masks_as_parameter(
    net,
    filter_fn,
    structured,
    gradient_tie,
    masks_init_values=None,
    override_forward=True,
    make_weights_constants=True,
):
    """Port of ``attach_masks_as_parameter`` (prospr/utils.py:31-100)."""

    # prospr/utils.py:40-49
    def masked_conv2d_fwd(self, x):
        return F.conv2d(
            x,
            self.weight * self.weight_mask,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )

    # prospr/utils.py:51-52
    def masked_linear_fwd(self, x):
        return F.linear(x, self.weight * self.weight_mask, self.bias)

    # prospr/utils.py:54
    last_layer = None

    # prospr/utils.py:56
    all_weight_masks = []

    # prospr/utils.py:58-59
    if masks_init_values:
        masks_init_values = iter(masks_init_values)

    # prospr/utils.py:61-63 - prunable modules in named_modules() order
    for name, layer in net.named_modules():
        if not filter_fn(layer):
            continue

        # prospr/utils.py:65-76 - structured: one mask entry per output channel
        if structured:
            if gradient_tie and ("downsample" in name or ("n_block" in name and "conv2" in name)):
                # tie the weight mask of conv and downsample layer
                layer.weight_mask = last_layer.weight_mask
            else:
                # Same channels, 1 all other dimensions
                shape = [layer.weight.shape[0]] + [1] * (layer.weight.ndim - 1)
                layer.weight_mask = nn.Parameter(torch.ones(shape, device=layer.weight.device))

        # prospr/utils.py:78-79 - unstructured: a ones mask the shape of the weight
        else:
            layer.weight_mask = nn.Parameter(torch.ones_like(layer.weight))

        # prospr/utils.py:81-82
        if masks_init_values:
            layer.weight_mask.data[:] = next(masks_init_values)[:]

        # prospr/utils.py:84
        all_weight_masks.append(layer.weight_mask)

        # prospr/utils.py:86-87 (not taken by prune: make_weights_constants=False)
        if make_weights_constants:
            layer.weight.requires_grad = False

        # prospr/utils.py:89-90
        if "ds_block" in name or last_layer is None:
            last_layer = layer

        # prospr/utils.py:92-98 (not taken by prune: override_forward=False)
        if override_forward:
            if isinstance(layer, nn.Conv2d):
                layer.forward = types.MethodType(masked_conv2d_fwd, layer)
            elif isinstance(layer, nn.Linear):
                layer.forward = types.MethodType(masked_linear_fwd, layer)
            else:
                raise TypeError

    # prospr/utils.py:100
    return all_weight_masks


def _pre_forward_hook(m, x):
    """Port of ``_pre_forward_hook`` (prospr/utils.py:103-109)."""
    # prospr/utils.py:104-107 - structured (1-D) keep mask
    if m.keep_mask.ndim == 1:
        m.weight.data = m.weight.data * m.keep_mask.view(-1, 1, 1, 1)
        if m.bias is not None:
            m.bias.data = m.bias.data * m.keep_mask
    # prospr/utils.py:108-109
    else:
        m.weight.data = m.weight.data * m.keep_mask


def _apply_masks_with_hooks(net, keep_masks, structured, filter_fn, return_clone=True):
    """Port of ``apply_masks_with_hooks`` (prospr/utils.py:112-149)."""
    # prospr/utils.py:114-115 - works on a deep copy: the caller's net is untouched
    if return_clone:
        net = copy.deepcopy(net)

    # prospr/utils.py:117
    prunable_layers = filter(filter_fn, net.modules())

    # prospr/utils.py:119-138 - a flat keep mask is first cut per layer
    if isinstance(keep_masks, torch.Tensor):
        # keep masks need to be reshaped first
        pointer = 0
        keep_masks_list = []
        for layer in prunable_layers:
            if structured:
                num_param = layer.weight.shape[0]
                shape = layer.weight.shape[0]
            else:
                num_param = layer.weight.numel()
                shape = layer.weight.shape

            keep_masks_list.append(keep_masks[pointer : pointer + num_param].view(shape))

            pointer += num_param
        assert pointer == keep_masks.numel(), "Didn't use all keep mask parameters"

        keep_masks = keep_masks_list

    # prospr/utils.py:140-147 - shape check, then buffer + forward pre-hook per layer
    for layer, keep_mask in zip(prunable_layers, keep_masks, strict=False):
        if structured:
            assert layer.weight.shape[0] == keep_mask.shape[0]
        else:
            assert layer.weight.shape == keep_mask.shape

        layer.register_buffer("keep_mask", keep_mask)
        layer.register_forward_pre_hook(_pre_forward_hook)

    # prospr/utils.py:149
    return net


def _keep_mask_from_scores(scores_vec, keep_ratio, uncat_ref=None):
    """Port of ``keep_mask_from_scores`` (prospr/utils.py:152-164)."""
    # prospr/utils.py:155 - ceil of (number of scores x keep ratio)
    num_to_keep = ceil(len(scores_vec) * keep_ratio)

    # prospr/utils.py:157-159 - exactly num_to_keep ones at the topk indices (float32)
    keep_mask = torch.zeros_like(scores_vec, dtype=torch.float32)
    _, keep_idx = torch.topk(scores_vec, num_to_keep)
    keep_mask[keep_idx] = 1.0

    # prospr/utils.py:161-162 - cut back into the masks' shapes
    if uncat_ref:
        keep_mask = _uncat_as(keep_mask, uncat_ref)

    # prospr/utils.py:164
    return keep_mask


def _keep_masks_stats(keep_masks):
    """Port of ``keep_masks_stats`` (prospr/utils.py:167-191)."""
    # prospr/utils.py:169-174
    keep_masks_vec = parameters_to_vector(keep_masks)
    total_params = keep_masks_vec.numel()
    kept_params = keep_masks_vec.sum()

    total_params_prune_ratio = 1 - kept_params / total_params
    total_params_compression_ratio = total_params / kept_params

    # prospr/utils.py:176-184
    for idx, mask in enumerate(keep_masks):
        layer_params = mask.numel()
        layer_kept = mask.sum().int()
        layer_prune_ratio = 1 - layer_kept / layer_params

        print(
            f"Layer {idx:2} - Params: {layer_params:>10,} -> {layer_kept:>10,} "
            f"(pruned {layer_prune_ratio:2.2%})"
        )

    # prospr/utils.py:186-191
    print(
        f"Overall:\n"
        f"\tParams: {total_params:,} -> {kept_params:,} "
        f"(pruned {total_params_prune_ratio:.2%} "
        f"- compressed: {total_params_compression_ratio:.2f}x)"
    )


def _keep_masks_health_check(keep_masks):
    """Port of ``keep_masks_health_check`` (prospr/utils.py:194-196)."""
    for mask in keep_masks:
        assert mask.bool().any(), "❌ Attempting to prune the entire layer!"


def _uncat_as(x, recipe):
    """Port of ``uncat_as`` (prospr/utils.py:199-215)."""
    result = []

    # prospr/utils.py:202-211
    processed = 0
    for ref in recipe:
        if isinstance(ref, torch.Size):  # noqa: SIM108 (kept literal)
            shape = ref
        else:
            shape = ref.shape

        result.append(x[processed : processed + ref.numel()].reshape(shape))
        processed += ref.numel()

    # prospr/utils.py:213
    assert processed == len(x)

    # prospr/utils.py:215
    return result


def _get_module_from_param_name(m, param_name):
    """Port of ``get_module_from_param_name`` (prospr/utils.py:218-227)."""
    # prospr/utils.py:222 - drop the parameter's own name
    names = param_name.split(".")[:-1]

    # prospr/utils.py:225-227 - recursively go through modules
    for name in names:
        m = getattr(m, name)
    return m


# --------------------------------------------------------------------------------------------
# prospr/prospr.py
# --------------------------------------------------------------------------------------------


def _functional_sgd(
    params, grads, momentum_state, lr, momentum=0, weight_decay=0, dampening=0, nesterov=False
):
    """Port of ``functional_sgd`` (prospr/prospr.py:16-52)."""
    # prospr/prospr.py:27-28
    updated_params = []
    updated_momentum_state = []

    # prospr/prospr.py:30-31
    for i, param in enumerate(params):
        grad = grads[i]

        # prospr/prospr.py:33-34
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)

        # prospr/prospr.py:36-43 - first buffer is a DETACHED clone of the gradient
        if momentum != 0:
            buf = momentum_state[i]

            if buf is None:
                buf = torch.clone(grad).detach()
            else:
                buf = buf.mul(momentum).add(grad, alpha=1 - dampening)
            updated_momentum_state.append(buf)

            # prospr/prospr.py:45-48
            if nesterov:  # noqa: SIM108 (kept literal)
                grad = grad.add(buf, alpha=momentum)
            else:
                grad = buf

        # prospr/prospr.py:50 - out-of-place step (keeps the graph)
        updated_params.append(param.add(grad, alpha=-lr))

    # prospr/prospr.py:52 - updated_momentum_state is [] when momentum == 0
    return updated_params, updated_momentum_state


def _fwd_with_external_params(net, x, params):
    """Port of ``fwd_with_external_params`` (prospr/prospr.py:55-156)."""

    # prospr/prospr.py:66-126
    def forward_factory(layer, weight, bias):
        # prospr/prospr.py:70-79
        def conv2d_fwd_external_params(self, x):
            return F.conv2d(
                x,
                weight,
                bias,
                self.stride,
                self.padding,
                self.dilation,
                self.groups,
            )

        # prospr/prospr.py:81-82
        def linear_fwd_external_params(self, x):
            return F.linear(x, weight, bias)

        # prospr/prospr.py:84-117 - torch 1.9's BatchNorm forward with external weight / bias
        def batchnorm2d_fwd_external_params(self, x):
            self._check_input_dim(x)
            if self.momentum is None:  # noqa: SIM108 (kept literal)
                exponential_average_factor = 0.0
            else:
                exponential_average_factor = self.momentum
            if self.training and self.track_running_stats:  # noqa: SIM102 (kept literal)
                if self.num_batches_tracked is not None:
                    # prospr/prospr.py:92 - reassigned, not incremented in place
                    self.num_batches_tracked = self.num_batches_tracked + 1
                    if self.momentum is None:
                        exponential_average_factor = 1.0 / float(self.num_batches_tracked)
                    else:
                        exponential_average_factor = self.momentum
            if self.training:
                bn_training = True
            else:
                bn_training = (self.running_mean is None) and (self.running_var is None)

            return F.batch_norm(
                x,
                self.running_mean if not self.training or self.track_running_stats else None,
                self.running_var if not self.training or self.track_running_stats else None,
                weight,
                bias,
                bn_training,
                exponential_average_factor,
                self.eps,
            )

        # prospr/prospr.py:119-126
        if isinstance(layer, nn.Conv2d):
            return conv2d_fwd_external_params
        elif isinstance(layer, nn.Linear):
            return linear_fwd_external_params
        elif isinstance(layer, nn.BatchNorm2d):
            return batchnorm2d_fwd_external_params
        else:
            raise TypeError

    # prospr/prospr.py:131-132 - names of the net's parameters, masks excluded
    modules_params = defaultdict(lambda: {})
    param_names = [n for (n, _) in net.named_parameters() if "weight_mask" not in n]
    # prospr/prospr.py:133-140 - group the external tensors per owning module
    for n, p in zip(param_names, params, strict=False):
        module = _get_module_from_param_name(net, n)
        if "weight" in n:
            modules_params[module]["weight"] = p
        elif "bias" in n:
            modules_params[module]["bias"] = p
        else:
            raise AssertionError  # prospr/prospr.py:140 `assert False`

        # prospr/prospr.py:143 - remember the old forward to restore it on exit
        modules_params[module]["old_fwd"] = module.forward

    # prospr/prospr.py:146-149 - monkey-patch the forward methods
    for module, module_params in modules_params.items():
        weight = module_params["weight"]
        bias = module_params["bias"] if "bias" in module_params else None  # noqa: SIM401
        module.forward = types.MethodType(forward_factory(module, weight, bias), module)

    # prospr/prospr.py:151
    out = net(x)

    # prospr/prospr.py:153-154
    for module, module_params in modules_params.items():
        module.forward = module_params["old_fwd"]

    # prospr/prospr.py:156
    return out


def _compute_meta_grads(net, x, y, fast_params, detailed_params, weight_masks, method):
    """Port of ``compute_meta_grads`` (prospr/prospr.py:159-188)."""
    # prospr/prospr.py:160-161 - loss of the net with the unrolled parameters
    y_pred = _fwd_with_external_params(net, x, fast_params)
    loss = F.cross_entropy(y_pred, y)

    # prospr/prospr.py:163-166 - full meta-gradient w.r.t. the masks through all steps
    if method == "full":
        meta_grads = torch.autograd.grad(loss, weight_masks, create_graph=False, retain_graph=True)
    # prospr/prospr.py:167-186 - first-order approximation
    elif method == "first_order":
        # prospr/prospr.py:172
        grads_fo = torch.autograd.grad(loss, fast_params, create_graph=False)

        # prospr/prospr.py:177-186 - keep masked weights only; push the last bit to the masks
        meta_grads = []
        for g, fp, (param_name, module, _) in zip(
            grads_fo, fast_params, detailed_params, strict=False
        ):
            if param_name.endswith(".weight") and hasattr(module, "weight_mask"):
                meta_grads.append(
                    torch.autograd.grad(fp, module.weight_mask, g, create_graph=False)[0]
                )

    # prospr/prospr.py:188
    return meta_grads


def _prune(
    net,
    prune_ratio,
    dataloader,
    filter_fn,
    num_steps,
    inner_lr,
    inner_momentum,
    method="full",
    structured=False,
    new_data_in_inner=True,
    return_scores=False,
):
    """Port of ``prune`` (prospr/prospr.py:191-309)."""
    # prospr/prospr.py:205
    assert method in ("full", "first_order")

    # prospr/prospr.py:207
    start_time = datetime.now()

    # prospr/prospr.py:210-211
    device_orig = next(net.parameters()).device
    net_orig = net

    # prospr/prospr.py:213-214 - work on a deep copy, in train mode
    net = deepcopy(net)
    net.train()

    # prospr/prospr.py:219-220 - full meta-gradients are computed on the CPU
    if method == "full":
        net = net.cpu()

    # prospr/prospr.py:222
    device = next(net.parameters()).device

    # prospr/prospr.py:226-229 - (name, owning module, parameter) BEFORE masks are attached
    detailed_params = [
        (n, _get_module_from_param_name(net, n), p) for (n, p) in net.named_parameters()
    ]

    # prospr/prospr.py:231-238
    weight_masks = _attach_masks_as_parameter(
        net,
        filter_fn,
        structured=structured,
        gradient_tie=False,
        make_weights_constants=False,
        override_forward=False,
    )

    # prospr/prospr.py:240
    scores = [torch.zeros_like(mask) for mask in weight_masks]

    # prospr/prospr.py:242-247 - masked weights as param * mask, everything else cloned
    fast_params = []
    for param_name, module, param in detailed_params:
        if param_name.endswith(".weight") and hasattr(module, "weight_mask"):
            fast_params.append(param * module.weight_mask)
        else:
            fast_params.append(param.clone())

    # prospr/prospr.py:249
    momentum_state = [None for _ in fast_params]

    # prospr/prospr.py:251-253 - THE meta batch: the first batch of the loader. In their run the
    # loader is the shuffled (datasets.py:224-226), augmented training loader of batch size
    # --meta-batch-size 128 (train.py:25-27, cli.py:95-100); here it is [(images, labels)].
    outer_dataloader = iter(dataloader)
    x, y = next(outer_dataloader)
    x, y = x.to(device), y.to(device)

    # prospr/prospr.py:255 - the unrolled inner loop
    for i in range(num_steps):
        # prospr/prospr.py:257-258
        y_pred = _fwd_with_external_params(net, x, fast_params)
        inner_loss = F.cross_entropy(y_pred, y)
        # prospr/prospr.py:259-263 - graph kept through the step only for "full"
        inner_grads = torch.autograd.grad(
            inner_loss,
            fast_params,
            create_graph=False if method == "first_order" else True,  # noqa: SIM211
        )

        # prospr/prospr.py:265
        print(f"ProsPr step {i:2} - loss {inner_loss:.4f}")

        # prospr/prospr.py:267-273 - SGD step on ALL parameters
        fast_params, momentum_state = _functional_sgd(
            fast_params,
            inner_grads,
            momentum_state,
            lr=inner_lr,
            momentum=inner_momentum,
        )

        # prospr/prospr.py:275-282 - off with their CLI default (same batch throughout)
        if new_data_in_inner:
            try:
                x, y = next(outer_dataloader)
            except StopIteration:
                outer_dataloader = iter(dataloader)
                x, y = next(outer_dataloader)

            x, y = x.to(device), y.to(device)

    # prospr/prospr.py:284-286
    meta_grads = _compute_meta_grads(net, x, y, fast_params, detailed_params, weight_masks, method)

    # prospr/prospr.py:288 - scores are |meta-gradient|
    scores = [curr + g.abs() for curr, g in zip(scores, meta_grads, strict=False)]

    # prospr/prospr.py:290-291
    end_time = datetime.now()
    print(f"⏰ Finished ProsPr in {end_time - start_time}")

    # prospr/prospr.py:293-294
    if return_scores:
        return [score.to(device_orig) for score in scores]

    # prospr/prospr.py:296-297 - one global threshold, keep ratio 1 - prune_ratio
    scores_vec = torch.cat([score.flatten() for score in scores])
    keep_masks = _keep_mask_from_scores(scores_vec, 1 - prune_ratio, weight_masks)

    # prospr/prospr.py:300 - push keep_masks to the original device
    keep_masks = [mask.to(device_orig) for mask in keep_masks]

    # prospr/prospr.py:302-303
    _keep_masks_stats(keep_masks)
    _keep_masks_health_check(keep_masks)

    # prospr/prospr.py:305-307 - hooked deep copy of the caller's net
    pruned_net = _apply_masks_with_hooks(net_orig, keep_masks, structured, filter_fn)

    # prospr/prospr.py:309
    return pruned_net, keep_masks


# --------------------------------------------------------------------------------------------
# Entry point (train.py:get_pruned_model with cli.py's defaults)
# --------------------------------------------------------------------------------------------


def prospr_prune(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    prune_ratio: float,
    *,
    num_steps: int = 3,
    inner_lr: float = 0.1,
    inner_momentum: float = 0,
    method: str = "full",
    structured: bool = False,
    new_data_in_inner: bool = False,
    num_classes: int | None = None,
    return_scores: bool = False,
) -> dict[str, torch.Tensor]:
    """ProsPr masks for ``model`` from the one batch ``(images, labels)``.

    ``prune_ratio`` is the fraction of prunable weights to remove (their ``--prune-ratio``).
    Defaults are those of their CLI: ``num_steps=3`` (``cli.py:58-63``), ``inner_lr=0.1``
    (``cli.py:65-70``), ``inner_momentum=0`` (``cli.py:72-77``), ``method="full"``
    (``cli.py:79-86``), ``new_data_in_inner=False`` (``cli.py:88-93``), unstructured
    (``cli.py:45-50``). ``num_classes`` only matters to the filter for structured pruning
    (``prospr/utils.py:23``), which their code does not release (``train.py:46-47``).

    Returns ``{f"{module_name}.weight": bool keep mask}`` for every Conv2d / Linear module, in
    ``named_modules()`` order; with ``return_scores=True`` the ProsPr scores under those names.
    ``model`` itself is not modified.
    """
    # train.py:29 - prunable layers: every Conv2d and Linear (unstructured)
    filter_fn = _pruning_filter_factory(num_classes, structured)

    # train.py:31-47 - only the unstructured path is released
    if structured:
        raise NotImplementedError("Coming soon!")

    # Departure 1: the loader is the single given batch (see the module docstring).
    dataloader = [(images, labels)]

    # train.py:33-44
    result = _prune(
        model,
        prune_ratio,
        dataloader,
        filter_fn,
        num_steps,
        inner_lr,
        inner_momentum,
        method,
        structured,
        new_data_in_inner,
        return_scores,
    )

    # Names of the masked weights, in the order masks were attached (prospr/utils.py:61-63)
    names = [f"{name}.weight" for name, module in model.named_modules() if filter_fn(module)]

    # prospr/prospr.py:293-294 - scores instead of masks
    if return_scores:
        return dict(zip(names, result, strict=True))

    # prospr/prospr.py:309 - (pruned_net, keep_masks); keep the float 0/1 masks as booleans
    _pruned_net, keep_masks = result
    return {name: mask.bool() for name, mask in zip(names, keep_masks, strict=True)}
