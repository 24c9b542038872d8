"""Ports of five published layer-wise density allocations, each from its authors' released code.

Pure Python + numpy (no torch, no tensorflow). Every rule takes ``layers``, a list of
``(shape, kind)`` tuples in network order (``shape`` in PyTorch order: Linear ``(out, in)``,
Conv2d ``(out, in, kh, kw)``; ``kind`` ``"linear"`` or ``"conv"``), and ``density``, the overall
fraction of weights kept. Only weight tensors are listed: in all five code bases biases and
BatchNorm parameters are neither counted nor pruned (see each function).

All authors' functions take a SPARSITY (fraction removed); each port first computes
``sparsity = 1.0 - density`` in Python floats, as their callers would hold it, and then follows
their code (so e.g. density 0.1 becomes sparsity 0.9 and their ``1 - 0.9`` is
``0.09999999999999998``).

Sources (repository @ full commit hash read with ``git show``):

* Uniform+ (Gale et al. 2019) and LAMP's ERK, ``tools/pruners.py``:
  jaeho-lee/layer-adaptive-sparsity @ 94e53b1c45c41add98b5c9bc3b03e7203a620221
* ERK, ``rigl/sparse_utils.py``:
  google-research/rigl @ d39fc7d46505cb3196cb1edeb32ed0b6dd44c0f9
* IGQ, ``pruning.py`` (repository root, not a package):
  avysogorets/effective-sparsity @ 7924cfe8a26106cbf65c3a760aa352e58765faf3
* Smart Ratio, ``pruner/SmartRatio.py``:
  JingtongSu/sanity-checking-pruning @ 65aa26727794102b07c7f244e0e4319f3a9c35c9
* balanced / pyramidal, ``STR/main.py``:
  RelationalML/sparse_to_sparse @ 6abdf0e59ecd93d46eb2b4b07e027908866ac932

Float precision: the two torch code bases (layer-adaptive-sparsity, sanity-checking-pruning) hold
weight counts and ratios in float32 tensors; those steps are emulated here with ``np.float32``
scalars (a Python scalar combined with a float32 tensor is cast to float32 first, as torch does
on CPU). Torch's float32 ``.sum()`` order is not reproduced: the sums are of integer counts and are
exact whatever the order while every partial sum stays below 2**24 (16,777,216 weights). The other
three code bases work in float64 / Python floats and are reproduced operation by operation.
"""

import numpy as np

_LAS = "jaeho-lee/layer-adaptive-sparsity@94e53b1c45c41add98b5c9bc3b03e7203a620221"
_RIGL = "google-research/rigl@d39fc7d46505cb3196cb1edeb32ed0b6dd44c0f9"
_IGQ = "avysogorets/effective-sparsity@7924cfe8a26106cbf65c3a760aa352e58765faf3"
_SR = "JingtongSu/sanity-checking-pruning@65aa26727794102b07c7f244e0e4319f3a9c35c9"
_S2S = "RelationalML/sparse_to_sparse@6abdf0e59ecd93d46eb2b4b07e027908866ac932"

__all__ = [
    "balanced_densities",
    "erk_densities",
    "erk_lamp_densities",
    "igq_densities",
    "overall_density",
    "pyramidal_densities",
    "smart_ratio_densities",
    "uniform_plus_densities",
]

_f32 = np.float32


def _numel(shape):
    n = 1
    for s in shape:
        n *= int(s)
    return n


def _f32_sum(values):
    # torch `FloatTensor.sum()`: float32 result (exact for integer counts below 2**24).
    total = _f32(0.0)
    for v in values:
        total = _f32(total + _f32(v))
    return total


def overall_density(layers, densities):
    """Fraction of all listed weights kept: sum(d_l * n_l) / sum(n_l) (no rounding to counts)."""
    sizes = [_numel(shape) for shape, _ in layers]
    return sum(d * n for d, n in zip(densities, sizes, strict=True)) / sum(sizes)


# --------------------------------------------------------------------------------------------
# 1. Uniform+ (Gale et al. 2019) -- layer-adaptive-sparsity, tools/pruners.py
# --------------------------------------------------------------------------------------------


def uniform_plus_densities(layers, density):
    """Uniform+ as in ``_compute_unifplus_amounts`` of jaeho-lee/layer-adaptive-sparsity.

    Source: jaeho-lee/layer-adaptive-sparsity @ 94e53b1c45c41add98b5c9bc3b03e7203a620221,
    ``tools/pruners.py`` lines 79-118 (called by ``prune_weights_unifplus``, lines 57-60).

    Layers: ``get_weights``/``get_modules`` (``tools/utils.py`` lines 7-8, 20-39) list every
    ``nn.Linear`` and ``nn.Conv2d`` weight in ``model.modules()`` order, first and last layer
    included; biases and BatchNorm are never counted or pruned. ``amount`` is the fraction of the
    currently unmasked weights to prune; for a dense network (one-shot, as here) the unmasked
    counts equal the layer sizes, so ``amount = 1 - density``.

    Rule: the first layer is kept dense ONLY if its weight is 4-D (``wlist[0].dim() == 4``,
    line 91; here ``len(shape) == 4``); a first Linear layer is pruned like the others. All other
    layers get one common prune fraction, except that the last layer keeps at least
    ``round(0.2 * n_last)`` weights (line 88); if its planned survivors fall below that, it keeps
    exactly that minimum and the middle layers absorb the rest.

    Returned: ``1 - amount_l``, with ``amount_l`` the float32 fraction their function returns
    (they then call ``prune.l1_unstructured(amount=float(amount_l))``, lines 33-36, which prunes
    ``round(amount_l * n_l)`` weights; that rounding is NOT applied here). ``total_to_prune`` is
    itself rounded to a whole count (line 89), so the overall density is exact up to that.

    Infeasible targets: ``ValueError`` exactly where theirs raises -- when the dense first conv
    (lines 94-95), or the dense first conv plus the 20 % last-layer floor (lines 100-101), or the
    floor alone when the first layer is not a conv (lines 112-113), leaves the other layers less
    than nothing. Nothing is clipped or redistributed. With only [first conv, last] layers the
    middle slice is empty (torch gives inf/nan, no error) and only the last layer's amount is set.
    """
    # tools/pruners.py:5-13 + _count_unmasked_weights 192-200 / _count_total_weights 202-210:
    # float32 tensors of weight counts (unmasked == total for a dense net).
    amount = 1.0 - density
    sizes = [_f32(_numel(shape)) for shape, _ in layers]
    unmaskeds = sizes
    totals = sizes
    amounts = []
    with np.errstate(divide="ignore", invalid="ignore"):
        # pruners.py:88  last_layer_minimum = np.round(totals[-1]*0.2)
        last_layer_minimum = np.round(_f32(totals[-1] * _f32(0.2)))
        # pruners.py:89  total_to_prune = np.round(unmaskeds.sum()*amount)
        total_to_prune = np.round(_f32(_f32_sum(unmaskeds) * _f32(amount)))
        # pruners.py:91  first layer dense only if its weight is 4-D (a conv)
        if len(layers[0][0]) == 4:
            # pruners.py:92
            amounts.append(0)
            # pruners.py:93
            frac_to_prune = _f32(_f32(total_to_prune * _f32(1.0)) / _f32_sum(unmaskeds[1:]))
            # pruners.py:94-95
            if frac_to_prune > 1.0:
                raise ValueError(
                    "Cannot be pruned further by the Unif+ scheme! (first layer exception)"
                )
            # pruners.py:96
            last_layer_to_surv_planned = np.round(
                _f32(_f32(_f32(1.0) - frac_to_prune) * unmaskeds[-1])
            )
            # pruners.py:97
            if last_layer_to_surv_planned < last_layer_minimum:
                # pruners.py:98
                last_layer_to_prune = _f32(unmaskeds[-1] - last_layer_minimum)
                # pruners.py:99
                frac_to_prune_middle = _f32(
                    _f32(_f32(total_to_prune - last_layer_to_prune) * _f32(1.0))
                    / _f32_sum(unmaskeds[1:-1])
                )
                # pruners.py:100-101
                if frac_to_prune_middle > 1.0:
                    raise ValueError(
                        "Cannot be pruned further by the Unif+ scheme! (first+last layer exception)"
                    )
                # pruners.py:102
                amounts.extend([frac_to_prune_middle] * (len(unmaskeds) - 2))
                # pruners.py:103
                amounts.append(_f32(_f32(last_layer_to_prune * _f32(1.0)) / unmaskeds[-1]))
            else:
                # pruners.py:104-105
                amounts.extend([frac_to_prune] * (len(unmaskeds) - 1))
        else:
            # pruners.py:107
            frac_to_prune = _f32(_f32(total_to_prune * _f32(1.0)) / _f32_sum(unmaskeds))
            # pruners.py:108
            last_layer_to_surv_planned = np.round(
                _f32(_f32(_f32(1.0) - frac_to_prune) * unmaskeds[-1])
            )
            # pruners.py:109
            if last_layer_to_surv_planned < last_layer_minimum:
                # pruners.py:110
                last_layer_to_prune = _f32(unmaskeds[-1] - last_layer_minimum)
                # pruners.py:111
                frac_to_prune_middle = _f32(
                    _f32(_f32(total_to_prune - last_layer_to_prune) * _f32(1.0))
                    / _f32_sum(unmaskeds[:-1])
                )
                # pruners.py:112-113
                if frac_to_prune_middle > 1.0:
                    raise ValueError(
                        "Cannot be pruned further by the Unif+ scheme! (last layer exception)"
                    )
                # pruners.py:114
                amounts.extend([frac_to_prune_middle] * (len(unmaskeds) - 1))
                # pruners.py:115
                amounts.append(_f32(_f32(last_layer_to_prune * _f32(1.0)) / unmaskeds[-1]))
            else:
                # pruners.py:116-117
                amounts.extend([frac_to_prune] * len(unmaskeds))
    # pruners.py:36 uses float(amounts[idx]) as the fraction to prune -> density 1 - amount.
    return [1.0 - float(a) for a in amounts]


# --------------------------------------------------------------------------------------------
# 2. ERK -- google-research/rigl, rigl/sparse_utils.py
# --------------------------------------------------------------------------------------------


def _tf_shape(shape):
    # TF/Keras kernel layout used by rigl: Dense (in, out), Conv2D (kh, kw, in, out).
    if len(shape) == 4:
        out_c, in_c, kh, kw = (int(s) for s in shape)
        return [kh, kw, in_c, out_c]
    if len(shape) == 2:
        out_f, in_f = (int(s) for s in shape)
        return [in_f, out_f]
    return [int(s) for s in shape]


def erk_densities(layers, density, *, erk_power_scale=1.0, include_kernel=True):
    """ERK as in ``get_sparsities_erdos_renyi`` of google-research/rigl.

    Source: google-research/rigl @ d39fc7d46505cb3196cb1edeb32ed0b6dd44c0f9,
    ``rigl/sparse_utils.py`` lines 90-207 (with ``get_n_zeros`` lines 35-36, dispatched from
    ``get_sparsities`` lines 296-304: method ``"erdos_renyi_kernel"`` -> ``include_kernel=True``,
    ``"erdos_renyi"`` -> ``False``).

    Defaults: ``erk_power_scale`` = ``DEFAULT_ERK_SCALE`` = 1.0 (line 28; the ImageNet flag
    ``--erk_power_scale`` also defaults to 1.0, ``rigl/imagenet_resnet/imagenet_train_eval.py``
    lines 125-128). ``custom_sparsity_map`` is empty here (every listed layer is ERK-scaled).

    Layer mapping: every listed layer is one mask (kernel only; biases / BatchNorm are never
    masked in rigl). Shapes are converted to TF order (Dense ``(in, out)``, Conv
    ``(kh, kw, in, out)``); this only matters for ``include_kernel=False``, which uses the last two
    dims (``n_in, n_out``, line 168). FIRST/LAST LAYER in the authors' drivers: with the default
    flags the first conv is NOT MASKED AT ALL (``first_layer_sparsity`` 0 ->
    ``prune_first_layer=False``, ``imagenet_train_eval.py`` lines 246-250 and 519-525;
    ``--prune_first_layer`` default False in ``rigl/cifar_resnet/resnet_train_eval.py`` line 96),
    so it is dense and outside the budget; a positive ``first_layer_sparsity`` /
    ``last_layer_sparsity`` goes into ``custom_sparsity_map`` (lines 308-314), which is then
    excluded from the ERK budget. To mimic those drivers drop the first layer from ``layers``.

    Rule: density_l = eps * (sum(shape_l) / prod(shape_l)) ** erk_power_scale, eps such that
    the kept count equals sum_l (n_l - floor(sparsity * n_l)) (note the FLOOR, lines 151-162); if
    the largest density exceeds 1, every layer with that (tied) largest raw probability becomes
    dense, its zeros ``floor(sparsity*n_l)`` are charged to the others, and eps is re-solved
    (lines 128-188).

    Returned: ``eps * raw_probability`` (``probability_one``, line 203; they return its
    complement ``1 - probability_one`` as the sparsity) and 1.0 for dense layers (sparsity 0.,
    line 201). Their mask init then zeros ``floor(sparsity_l * n_l)`` weights (lines 35-36,
    60-62); that rounding is NOT applied. No infeasible case for 0 < density < 1 (layers become
    dense until the rest fits); because of the floor the overall density comes out slightly ABOVE
    the target (e.g. 0.100187 for the tiny conv net at 0.1). At density >= 1, if rounding makes
    every layer dense, ``np.max`` of an empty list raises ``ValueError`` (line 178), as in theirs.
    """
    default_sparsity = 1.0 - density
    names = list(range(len(layers)))
    shapes = {name: _tf_shape(layers[name][0]) for name in names}
    custom_sparsity_map = {}
    # sparse_utils.py:121,127
    is_eps_valid = False
    dense_layers = set()
    while not is_eps_valid:
        # sparse_utils.py:144-146
        divisor = 0
        rhs = 0
        raw_probabilities = {}
        for name in names:
            # sparse_utils.py:148-151
            shape_list = shapes[name]
            n_param = np.prod(shape_list)
            n_zeros = int(np.floor(default_sparsity * n_param))  # get_n_zeros, lines 35-36
            if name in dense_layers:
                # sparse_utils.py:152-154
                rhs -= n_zeros
            elif name in custom_sparsity_map:
                # sparse_utils.py:155-157
                pass
            else:
                # sparse_utils.py:161-162
                n_ones = n_param - n_zeros
                rhs += n_ones
                # sparse_utils.py:164-169
                if include_kernel:
                    raw_probabilities[name] = (
                        np.sum(shape_list) / np.prod(shape_list)
                    ) ** erk_power_scale
                else:
                    n_in, n_out = shape_list[-2:]
                    raw_probabilities[name] = (n_in + n_out) / (n_in * n_out)
                # sparse_utils.py:172
                divisor += raw_probabilities[name] * n_param
        # sparse_utils.py:175
        eps = rhs / divisor
        # sparse_utils.py:178-179
        max_prob = np.max(list(raw_probabilities.values()))
        max_prob_one = max_prob * eps
        # sparse_utils.py:180-188: all layers tied at the max raw probability go dense
        if max_prob_one > 1:
            is_eps_valid = False
            for name, mask_raw_prob in raw_probabilities.items():
                if mask_raw_prob == max_prob:
                    dense_layers.add(name)
        else:
            is_eps_valid = True
    densities = []
    # sparse_utils.py:192-206
    for name in names:
        if name in custom_sparsity_map:
            densities.append(1.0 - custom_sparsity_map[name])
        elif name in dense_layers:
            # sparse_utils.py:200-201 (sparsity 0.)
            densities.append(1.0)
        else:
            # sparse_utils.py:203 probability_one = eps * raw_probabilities[...]
            densities.append(float(eps * raw_probabilities[name]))
    return densities


def erk_lamp_densities(layers, density):
    """ERK as re-implemented in layer-adaptive-sparsity (for cross-checking ``erk_densities``).

    Source: jaeho-lee/layer-adaptive-sparsity @ 94e53b1c45c41add98b5c9bc3b03e7203a620221,
    ``tools/pruners.py`` lines 120-160 (``_compute_erk_amounts``, ``_amounts_from_eps``) and
    182-190 (``_compute_erks``); called by ``prune_weights_erk``, lines 62-65.

    Differences from rigl's: float32 throughout; the survivors per layer are ROUNDED to whole
    counts (``torch.round``, line 138), so this returns counts / size; the budget is
    ``(1 - amount) * total`` without rigl's per-layer floor; when densities exceed 1 only ONE
    layer (the largest ratio, first index on ties) is made dense per round (lines 140-151).
    Layers: all Linear / Conv2d weights (biases, BatchNorm not counted); no first-layer exception.
    """
    amount = 1.0 - density
    # pruners.py:121 + 192-200: float32 counts; 182-190: sum of the weight's dims (kernel incl.)
    unmaskeds = [_f32(_numel(shape)) for shape, _ in layers]
    ers = [_f32(sum(int(s) for s in shape)) for shape, _ in layers]
    # pruners.py:127-128
    num_layers = len(ers)
    layers_to_keep_dense = [_f32(0.0)] * num_layers
    # pruners.py:129
    total_to_survive = _f32(_f32(1.0 - amount) * _f32_sum(unmaskeds))
    # pruners.py:132-151
    is_eps_invalid = True
    while is_eps_invalid:
        # pruners.py:135
        to_survive_among_prunables = _f32(
            total_to_survive
            - _f32_sum(_f32(d * u) for d, u in zip(layers_to_keep_dense, unmaskeds, strict=True))
        )
        # pruners.py:137
        ers_of_prunables = [
            _f32(e * _f32(_f32(1.0) - d)) for e, d in zip(ers, layers_to_keep_dense, strict=True)
        ]
        # pruners.py:138
        ers_sum = _f32_sum(ers_of_prunables)
        with np.errstate(divide="ignore", invalid="ignore"):
            survs_of_prunables = [
                np.round(_f32(_f32(to_survive_among_prunables * e) / ers_sum))
                for e in ers_of_prunables
            ]
        # pruners.py:140-146
        layer_to_make_dense = -1
        max_ratio = 1.0
        for idx in range(num_layers):
            if layers_to_keep_dense[idx] == 0:
                ratio = _f32(survs_of_prunables[idx] / unmaskeds[idx])
                if ratio > max_ratio:
                    layer_to_make_dense = idx
                    max_ratio = ratio
        # pruners.py:148-151
        if layer_to_make_dense == -1:
            is_eps_invalid = False
        else:
            layers_to_keep_dense[layer_to_make_dense] = _f32(1.0)
    # pruners.py:153-159
    amounts = []
    for idx in range(num_layers):
        if layers_to_keep_dense[idx] == 1:
            amounts.append(_f32(0.0))
        else:
            amounts.append(_f32(_f32(1.0) - _f32(survs_of_prunables[idx] / unmaskeds[idx])))
    return [1.0 - float(a) for a in amounts]


# --------------------------------------------------------------------------------------------
# 3. IGQ -- avysogorets/effective-sparsity, pruning.py
# --------------------------------------------------------------------------------------------


def igq_densities(layers, density):
    """IGQ as in ``igq_quotas`` / ``bs_force_igq`` of avysogorets/effective-sparsity.

    Source: avysogorets/effective-sparsity @ 7924cfe8a26106cbf65c3a760aa352e58765faf3,
    ``pruning.py`` lines 56-77 (the file is at the repository root); called by
    ``Pruner.prune`` lines 236-237 / 245 (``random/igq``) and 209-212 (``magnitude/igq``).

    Layers: ``shapes`` are the kernels (``get_weights()[0]``) of the Keras layers whose name
    contains ``"tensor"`` (every Dense / Conv2D, first and last included, e.g.
    ``models.py`` lines 26-46); biases and BatchNorm are not counted. Only the sizes n_l matter.

    Rule: density_l = 1 / (1 + F * n_l) (length_l = n_l / (F / area_l + 1), area_l = 1 / n_l),
    F found by bisection on [0, 1e20], tolerance 1 / sum(n_l) on the overall sparsity. Port is
    exact: each call tests f_low then f_high against the tolerance and returns the first that
    passes, else moves one bound to the midpoint (Python floats, Python ``sum`` left to right);
    their recursion is kept as recursion (same ``RecursionError`` if it never converges, e.g.
    if a midpoint hits the target exactly so that neither bound moves).

    Returned: ``length_l / n_l`` (they return ``1 - length_l / n_l`` as the sparsity, which
    may differ from ``1 - (value here)`` in the last bit). Their random / magnitude pruning then
    rounds to counts; not applied here. No infeasible targets for 0 <= sparsity < 1 (F = 0 gives
    density 1; F = 1e20 gives nearly 0); all densities lie in (0, 1].
    """
    target_sparsity = 1.0 - density

    # pruning.py:56-70 (recursive, as theirs)
    def bs_force_igq(areas, lengths_full, target_sparsity, tolerance, f_low, f_high):
        # pruning.py:57-60
        lengths_low = [
            length_full / (f_low / area + 1)
            for length_full, area in zip(lengths_full, areas, strict=True)
        ]
        overall_sparsity_low = 1 - sum(lengths_low) / sum(lengths_full)
        if abs(overall_sparsity_low - target_sparsity) < tolerance:
            return [length / lf for length, lf in zip(lengths_low, lengths_full, strict=True)]
        # pruning.py:61-64
        lengths_high = [
            length_full / (f_high / area + 1)
            for length_full, area in zip(lengths_full, areas, strict=True)
        ]
        overall_sparsity_high = 1 - sum(lengths_high) / sum(lengths_full)
        if abs(overall_sparsity_high - target_sparsity) < tolerance:
            return [length / lf for length, lf in zip(lengths_high, lengths_full, strict=True)]
        # pruning.py:65-67
        force = float(f_low + f_high) / 2
        lengths = [
            length_full / (force / area + 1)
            for length_full, area in zip(lengths_full, areas, strict=True)
        ]
        overall_sparsity = 1 - sum(lengths) / sum(lengths_full)
        # pruning.py:68-69
        f_low = force if overall_sparsity < target_sparsity else f_low
        f_high = force if overall_sparsity > target_sparsity else f_high
        # pruning.py:70
        return bs_force_igq(areas, lengths_full, target_sparsity, tolerance, f_low, f_high)

    shapes = [tuple(shape) for shape, _ in layers]
    # pruning.py:73
    counts = [np.prod(shape) for shape in shapes]
    # pruning.py:74
    tolerance = 1.0 / sum(counts)
    # pruning.py:75
    areas = [1.0 / count for count in counts]
    # pruning.py:76
    lengths_full = list(counts)
    # pruning.py:77
    densities = bs_force_igq(areas, lengths_full, target_sparsity, tolerance, 0, 1e20)
    return [float(d) for d in densities]


# --------------------------------------------------------------------------------------------
# 4. Smart Ratio -- JingtongSu/sanity-checking-pruning, pruner/SmartRatio.py
# --------------------------------------------------------------------------------------------


def smart_ratio_densities(layers, density, *, arch="resnet", linear_keep_ratio=0.3):
    """Smart Ratio as in ``SmartRatio`` of JingtongSu/sanity-checking-pruning.

    Source: JingtongSu/sanity-checking-pruning @ 65aa26727794102b07c7f244e0e4319f3a9c35c9,
    ``pruner/SmartRatio.py`` lines 26-165, called as ``SmartRatio(model, args.init_prune_ratio,
    'cuda', args)`` (``train_ticket.py`` line 341) with the defaults ``--linear_keep_ratio`` 0.3
    (line 87) and ``--hybrid/--linear_decay/--ascend/--uniform/--cubic`` 0 (lines 99-103).

    ``arch`` is ``args.arch``: only the exact string ``"resnet"`` takes the plain branch
    (SmartRatio.py lines 78-81, 96-99). ANY other value -- their argparse default ``"resnet20"``
    (``train_ticket.py`` line 65) and ``"vgg19_bn"`` of their README included -- additionally
    divides layer l's ratio by l**2 (l = 1-based index among ALL Linear/Conv2d layers). The
    README's Smart Ratio command uses ``--arch resnet``, hence the default here.

    Layers: every ``nn.Conv2d`` and ``nn.Linear`` weight in ``net.modules()`` order (kind
    ``"conv"`` / ``"linear"``); biases and BatchNorm are not counted. L counts BOTH conv and
    linear layers. Linear layers ALWAYS keep ``int(0.3 * n)`` weights whatever the target; the
    conv layers share the rest: keep_l proportional to (L-l+1)**2 + (L-l+1) [/ l**2 unless
    ``arch == "resnet"``], scaled so that sum_conv int(n_l * r_l) [/ l**2] equals
    ``goal = int(total * density) - int(linear_total * 0.3)``.

    Returned: counts / size, because their code only yields counts: conv
    ``int(ratio_l * n_l)`` (truncation) or ``n_l`` if ratio_l >= 1, linear
    ``int(0.3 * n_l)`` (lines 130-143). float32 as in theirs.

    Quirks and infeasible targets (all as in theirs):
    * No conv layer: ``TEST == 0`` and ``k = goal_num / TEST`` raises ``ZeroDivisionError``.
    * The rescaling loop (lines 94-100) indexes ``Ratio`` by the CONV ordinal while the other
      loops use the index among all layers; both agree only if no Linear precedes a conv.
    * Overflow (lines 105-124): the loop breaks at the first Linear/Conv layer whose check
      leaves ``ExtraNum == 0``. So only if the FIRST layer is a conv with ratio >= 1 is its
      excess ``int((r-1)*n)`` moved on to the following conv layers (until absorbed); any other
      conv with ratio >= 1 is just made dense at mask time (line 137-138) and its excess is lost
      (overall density below target). Excess left after the last layer is dropped (their
      models register the classifier last; had any module followed it, ``Num[i]`` would raise
      ``IndexError``).
    * Target below the linear layers' fixed 30 %: ``goal_num`` < 0, conv ratios negative;
      ``torch.ones(1, num_keep)`` with ``num_keep <= -1`` raises ``RuntimeError`` (line 154),
      reproduced; a conv with ``-1 < r*n <= 0`` gets 0 weights.
    """
    init_prune_ratio = 1.0 - density
    is_linear = [kind == "linear" for _, kind in layers]
    is_conv = [not lin for lin in is_linear]
    # SmartRatio.py:41-49  Num: float32 tensor of weight counts of all Conv2d/Linear layers
    num = [_f32(_numel(shape)) for shape, _ in layers]
    cnt = len(num)
    # SmartRatio.py:52-64  Ratio[n-k] = k**2 + k, k = 1..CNT  (linear_decay/ascend/cubic = 0)
    n = cnt
    ratio = [_f32(0.0)] * cnt
    for i in range(cnt):
        k = i + 1
        ratio[n - k] = _f32(k**2 + k)
    # SmartRatio.py:66-85
    total_num = 0
    linear_num = 0
    test = 0
    for i in range(cnt):
        if not is_linear[i]:
            # SmartRatio.py:77 (num_now is never used)
            if arch != "resnet":
                # SmartRatio.py:78-79
                test = test + int(_f32(_f32(num[i] * ratio[i]) / _f32((i + 1) ** 2)))
            else:
                # SmartRatio.py:80-81
                test = test + int(_f32(num[i] * ratio[i]))
        else:
            # SmartRatio.py:82-83
            linear_num = _f32(linear_num + num[i])
        # SmartRatio.py:84
        total_num = _f32(total_num + num[i])
    # SmartRatio.py:87
    goal_num = int(_f32(total_num * _f32(1 - init_prune_ratio)))
    if isinstance(linear_num, int):
        goal_num -= int(linear_num * linear_keep_ratio)
    else:
        goal_num -= int(_f32(linear_num * _f32(linear_keep_ratio)))
    # SmartRatio.py:90 balance_ratio only used with --uniform (default 0); not needed here.
    # SmartRatio.py:92  (ZeroDivisionError when no conv layer contributes)
    k = goal_num / test
    # SmartRatio.py:93-100  i counts Conv2d modules only
    i = 0
    for _ in range(sum(is_conv)):
        if arch != "resnet":
            ratio[i] = _f32(_f32(ratio[i] * _f32(k)) / _f32((i + 1) ** 2))
        else:
            ratio[i] = _f32(ratio[i] * _f32(k))
        i = i + 1
    # SmartRatio.py:105-124  (the `break` sits inside the Linear/Conv branch)
    extra_num = 0
    for i in range(cnt):
        size = num[i]
        if not is_linear[i]:
            if ratio[i] >= 1:
                # SmartRatio.py:111-113
                extra_num = extra_num + int(_f32(_f32(ratio[i] - _f32(1.0)) * size))
                ratio[i] = _f32(1.0)
            else:
                # SmartRatio.py:115
                rest_num = int(_f32(_f32(_f32(1.0) - ratio[i]) * num[i]))
                if rest_num >= extra_num:
                    # SmartRatio.py:117  int / tensor == tensor.reciprocal() * int in torch
                    ratio[i] = _f32(ratio[i] + _f32(_f32(_f32(1.0) / num[i]) * _f32(extra_num)))
                    extra_num = 0
                else:
                    # SmartRatio.py:120-121
                    extra_num = extra_num - rest_num
                    ratio[i] = _f32(1.0)
        # SmartRatio.py:122-124
        if extra_num == 0:
            break
    # SmartRatio.py:130-143  per-layer kept counts
    densities = []
    for c in range(cnt):
        num_keep = int(_f32(ratio[c] * num[c]))
        if ratio[c] >= 1:
            num_keep = int(num[c])
        if is_linear[c]:
            num_keep = int(_f32(_f32(linear_keep_ratio) * num[c]))
        # SmartRatio.py:154  torch.ones(1, num_keep) fails for a negative size
        if num_keep < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {num_keep}: [1, {num_keep}]"
            )
        densities.append(num_keep / int(num[c]))
    return densities


# --------------------------------------------------------------------------------------------
# 5. balanced / pyramidal -- RelationalML/sparse_to_sparse, STR/main.py
# --------------------------------------------------------------------------------------------


def balanced_densities(layers, density):
    """ "balanced" ER allocation of RelationalML/sparse_to_sparse (every layer ~ same count).

    Source: RelationalML/sparse_to_sparse @ 6abdf0e59ecd93d46eb2b4b07e027908866ac932,
    ``STR/main.py`` lines 118-141 (``--er-sparse-method balanced``, ``--er-sparse-init`` =
    density, ``STR/args.py`` lines 246-251). The same formula is used by
    ``prune_random_balanced`` (lines 299-319).

    Layers: every module of type ``STRConvER`` / ``ConvER`` / ``ConvMask`` in
    ``named_modules()`` order; in their ResNets every conv, the first conv, the 1x1 shortcut
    convs and the classifier (a 1x1 ``builder.conv1x1``, ``STR/models/resnet18.py`` line 126)
    all are, all built with ``bias=False`` (``STR/utils/builder.py`` lines 23-35); BatchNorm is
    never counted. A Linear ``(out, in)`` is counted as its 1x1 conv ``(out, in, 1, 1)``.

    Rule: X = density * total / L; density_l = X / n_l if that is < 1.0, else 1 (int).

    Infeasible: a layer with n_l <= X is clipped to 1 and the surplus is NOT redistributed, so
    the overall density is then below the target (sum_l min(X, n_l) / total). Returned
    densities are Bernoulli probabilities (``set_er_mask``: ``bernoulli_(p)``,
    ``STR/utils/conv_type.py`` lines 123-124), so the realized counts are random.
    """
    er_sparse_init = density
    # main.py:119-125
    total_params = 0
    n_layers = 0
    sparsity_list = []
    for shape, _ in layers:
        total_params += _numel(shape)
        n_layers += 1
    # main.py:127
    x = er_sparse_init * total_params / n_layers
    # main.py:129-134
    for shape, _ in layers:
        if x / _numel(shape) < 1.0:
            sparsity_list.append(x / _numel(shape))
        else:
            sparsity_list.append(1)
    return [float(s) for s in sparsity_list]


def pyramidal_densities(layers, density):
    """ "pyramidal" ER allocation of RelationalML/sparse_to_sparse (density_l = p**l).

    Source: RelationalML/sparse_to_sparse @ 6abdf0e59ecd93d46eb2b4b07e027908866ac932,
    ``STR/main.py`` lines 143-166 (``--er-sparse-method pyramidal``, ``--er-sparse-init`` =
    density). Layer mapping as in ``balanced_densities`` (all ``ConvMask``-type layers, first and
    classifier included, no biases, no BatchNorm; l = 1 for the first layer, which is densest).

    Rule: p is the root in (0, 1) of sum_l n_l p**l - total * density = 0, found with
    ``np.roots`` on the coefficients ``[n_L, ..., n_1, -total*density]``; the candidates are
    filtered by ``r < 1 and r > 0 and np.imag(r) == 0`` (complex roots compare
    lexicographically in numpy) and the LAST qualifying root wins. densities = p**[1..L+1]; only
    the first L are used. p**l <= p < 1, so no layer can exceed its size.

    Infeasible: if no root qualifies (density > 1; at density == 1 the root is 1 up to
    rounding and qualifies only if it comes out just below 1), their ``sparsity_list`` is never
    assigned and ``main_worker`` fails with ``UnboundLocalError`` (line 163); reproduced.
    Densities are Bernoulli probabilities (``set_er_mask``), so realized counts are random.
    """
    er_sparse_init = density
    # main.py:145-150
    num_params = 0
    layerwise_params = []
    for shape, _ in layers:
        num_params += _numel(shape)
        layerwise_params.append(_numel(shape))
    # main.py:151-152
    layerwise_params = layerwise_params[::-1]
    layerwise_params.append(-num_params * er_sparse_init)
    # main.py:153
    roots = np.roots(np.array(layerwise_params))
    sparsity_list = None
    # main.py:155-159
    for r in roots:
        if r < 1 and r > 0 and np.imag(r) == 0:
            layerwise_sparsities = np.arange(1, len(layerwise_params) + 1)
            sparsity_list = np.real(r) ** layerwise_sparsities
    if sparsity_list is None:
        # main.py:163 would read the unassigned local `sparsity_list`
        raise UnboundLocalError(
            "local variable 'sparsity_list' referenced before assignment "
            f"(no root of {layerwise_params} in (0, 1); roots {roots})"
        )
    # main.py:160-164  layer l (0-based) gets sparsity_list[l]
    return [float(sparsity_list[i]) for i in range(len(layers))]


if __name__ == "__main__":
    _nets = {
        "LeNet-300-100 @ 0.25": (
            [((300, 784), "linear"), ((100, 300), "linear"), ((10, 100), "linear")],
            0.25,
        ),
        "tiny conv net @ 0.1": (
            [((16, 3, 3, 3), "conv"), ((32, 16, 3, 3), "conv"), ((10, 32), "linear")],
            0.1,
        ),
    }
    _rules = [
        uniform_plus_densities,
        erk_densities,
        erk_lamp_densities,
        igq_densities,
        smart_ratio_densities,
        balanced_densities,
        pyramidal_densities,
    ]
    for _title, (_layers, _density) in _nets.items():
        print(f"== {_title}")
        for _rule in _rules:
            try:
                _d = _rule(_layers, _density)
            except Exception as exc:  # show the authors' failure mode
                print(f"  {_rule.__name__:24s} raises {type(exc).__name__}: {exc}")
                continue
            _dens = ", ".join(f"{x:.6f}" for x in _d)
            _overall = overall_density(_layers, _d)
            print(f"  {_rule.__name__:24s} [{_dens}]  overall {_overall:.6f}")
