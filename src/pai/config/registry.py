"""Every built-in name of the pipeline, listed once, with what planning needs to know of it.

Methods, ablations, architectures, datasets and figures each have one table here. The Snakefile,
the config check, the library, the plots and the docs all read these tables, and plugins (named in
the config's ``plugins:``) join them through :mod:`pai.config.catalogue`. A test fails when any
other file holds its own list of these names.

This module imports neither torch nor anything heavy: Snakemake imports it while planning. Code is
named by reference (``"module:function"``, or ``"path/to/file.py:function"`` for plugins) and
imported only by the jobs that run it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

KEEP_ENDS = ("highest", "lowest")
# how a method turns scores into a mask: once; in rounds on an exponential schedule, each round
# ranking only the survivors (SynFlow); IMP's rounds of training and pruning
# (pai.pruning.lottery); or not at all: the masks are read from files (a plugin's ``files``,
# pai.config.mask_files)
# (pai.config.mask_files); or a data-free allocation: a rule's per-layer counts, positions drawn
# at random within each layer (pai.allocation)
SCHEDULES = ("one_shot", "iterative", "lottery", "files", "allocation")
# how an iterative method's steps before the last count the weights they keep (Method.step_rule)
STEP_RULES = ("exact", "ties_kept", "ties_pruned")
# which weights a method scores and its runs start from: the init, the trained dense net
# (pruning after training), or the dense run's rewind point (lottery-ticket rewinding)
STARTS = ("init", "trained", "rewind")
# the loss FORCE and Iter-SNIP differentiate (scoring.progressive_loss): "nll", what the authors'
# released code differentiates (F.nll_loss of the raw outputs: minus the mean target logit), or
# "cross_entropy", the loss their paper's text describes (docs/methods.md, "FORCE")
FORCE_LOSSES = ("nll", "cross_entropy")
# scoring: keys added after a release, with the value a config that leaves them out gets (older
# configs keep working; docs/design.md, "What users import")
SCORING_DEFAULTS = MappingProxyType({"progressive_loss": "nll"})
# how figures group methods: random pruning, the data-free allocations, pruning at
# initialization, MtM's benchmarks (pruned after training), and methods brought in by the user
METHOD_GROUPS = ("random", "allocation", "pai", "benchmark", "plugin")

# MtM's claims about the ablations (docs/methods.md, "Statistics"): how each ablation changes a
# method's accuracy, by the method's family. Methods pruned at initialization lose nothing to
# shuffling or reinitialising and lose to inversion; masks found after training (MtM's benchmarks)
# lose to every ablation; random pruning is the reference and makes no claim.
NO_WORSE, WORSE, DESCRIPTIVE = "no worse", "worse", "descriptive"
FAMILIES = MappingProxyType(
    {
        "init": MappingProxyType({"shuffle": NO_WORSE, "reinit": NO_WORSE, "invert": WORSE}),
        "after_training": MappingProxyType({"shuffle": WORSE, "reinit": WORSE, "invert": WORSE}),
        "reference": MappingProxyType({}),  # every ablation descriptive
        # the data-free allocations: references like random pruning, no claim of their own
        "allocation": MappingProxyType({}),
    }
)
# the allocation every method at initialization is compared with in a pre-declared test (the
# field's random baseline since Liu et al. 2022); the other allocations are exploratory
ALLOCATION_BASELINE = "erk"
# the ablations an allocation trains when the grid names none (grid.allocation_ablations): its
# shuffle is another random draw and its invert is undefined
ALLOCATION_ABLATIONS = ("unmodified",)
# MtM's own methods (its four at initialization and its two benchmarks): the reproduction's
# confirmatory tests pool these alone; every other method is the extension (pai.analysis.claims)
MTM_METHODS = ("magnitude", "snip", "grasp", "synflow", "magnitude_trained", "lottery")
# where an ablation cannot matter by construction (method -> ablations): random pruning's shuffle
# and reinit draw another random mask; NTK-SAP's mask depends on the init only through its
# biases. The claims' calibration (pai.analysis.claims)
NEGATIVE_CONTROLS = MappingProxyType({"random": ("shuffle", "reinit"), "ntksap": ("reinit",)})
# the sparsities a net's confirmatory tests cover when its entry declares none
# (confirmatory_sparsities): up to this one. Our choice, not MtM's: docs/methods.md, "Statistics"
CONFIRMATORY_UP_TO = 0.9
FAMILY_TITLES = MappingProxyType(
    {
        "init": "pruned at initialization",
        "after_training": "pruned after training (MtM's benchmarks)",
        "reference": "random pruning (reference, no claim)",
        "allocation": "data-free allocation (reference, no claim)",
    }
)


@dataclass(frozen=True)
class Method:
    """A pruning method: its score function and how the pipeline treats it."""

    name: str
    function: str  # "module:function" (built-ins) or a plugin reference
    summary: str
    # a built-in method's identity in its jobs' params is its name and this version, not where
    # its code lives: moving a module reruns nothing; a change that alters its scores or masks
    # bumps the version, and every job of the method reruns
    version: int = 1
    keep: str = "highest"  # which end of the ranking the method keeps; invert keeps the other
    data: bool = False  # scores on the class-balanced scoring subset
    schedule: str = "one_shot"
    rounds: int | None = None  # iterative: rounds when nothing else says
    rounds_setting: str | None = None  # iterative: the scoring: key that overrides ``rounds``
    # iterative: every round ranks every weight, so a pruned weight may come back (FORCE); its
    # function then gets the dense net. Otherwise a round ranks only the survivors, on a copy of
    # the net with the pruned weights zeroed (SynFlow, Iter-SNIP, NTK-SAP).
    revives: bool = False
    # iterative: what each round passes its function beside the net: "mask" (the current mask)
    # and "step" (the round, 1 to T, for a function that draws anew each round)
    round_arguments: tuple[str, ...] = ()
    # iterative: how a step before the last keeps N * density^(t/T) weights: "exact" (rounded,
    # exactly that many: SynFlow as MtM), "ties_kept" (de Jorge et al.'s int(), and every
    # weight tied with the last one kept) or "ties_pruned" (Tanaka et al.'s loop, which NTK-SAP's
    # code shares: int((1 - density^(t/T)) N) pruned, and every weight tied with the last one
    # pruned); the last step keeps exactly round((1 - sparsity) N)
    step_rule: str = "exact"
    # keyword arguments of the function -> the scoring: config key that gives them
    settings: Mapping[str, str] = field(default_factory=dict)
    start: str = "init"
    group: str = "pai"
    # which of MtM's claims it is tested with (FAMILIES); None: from ``group`` and ``start``
    family: str | None = None
    # ablation -> expectation, where the method departs from its family's claims (GraSP)
    claims: Mapping[str, str] = field(default_factory=dict)
    # schedule "files": the patterns of its masks, inits and scores (pai.config.mask_files)
    files: Mapping[str, Any] | None = None

    @property
    def one_shot(self) -> bool:
        return self.schedule == "one_shot"

    @property
    def tested_as(self) -> str:
        """The family whose claims its ablations are tested with."""
        if self.family is not None:
            return self.family
        if self.group == "random":
            return "reference"
        if self.schedule == "allocation":
            return "allocation"
        return "after_training" if self.after_training else "init"

    def expected(self, ablation: str) -> str:
        """What MtM claims ``ablation`` does to this method's accuracy: NO_WORSE, WORSE or
        DESCRIPTIVE (no claim; the effect is reported, not tested)."""
        return {**FAMILIES[self.tested_as], **self.claims}.get(ablation, DESCRIPTIVE)

    def claim_settings(self) -> dict[str, Any]:
        """What the statistics need of it (compute_statistics' params): its family and what
        each ablation is claimed to do."""
        ablations = [name for name in ABLATIONS if name != "unmodified"]
        return {"family": self.tested_as, "expected": {a: self.expected(a) for a in ablations}}

    @property
    def after_training(self) -> bool:
        return self.start != "init"

    def job_settings(self, rounds: int | None, options: Mapping[str, Any]) -> dict[str, Any]:
        """What a scoring or mask job needs of this method: its name and version (a plugin's
        study settings add its function's reference and digest), the end of the ranking it keeps,
        its schedule, ``rounds`` and the function's keyword ``options``."""
        return {
            "name": self.name,
            "version": self.version,
            "keep": self.keep,
            "schedule": self.schedule,
            "data": self.data,
            "rounds": rounds,
            "options": dict(options),
        }


@dataclass(frozen=True)
class Ablation:
    name: str
    summary: str


@dataclass(frozen=True)
class Architecture:
    """A network: its builder and the training settings a net entry gets when it names none."""

    name: str
    builder: str  # function(input_shape (C, H, W), num_classes) -> nn.Module
    summary: str
    defaults: Mapping[str, Any]  # net settings (TRAINING_KEYS, rewind_iteration)
    initialiser: str | None = None  # function(model, generator); None: open_lth's
    # function(input_shape, num_classes) -> {prunable weight: shape}, torch-free, for planning's
    # check of the allocations (pai.models.shapes); None: known only once the net is built
    shapes: str | None = None
    prunable: str | None = None  # function(model) -> names; None: every Conv2d/Linear weight
    # the most features any layer the similarity analysis compares has: CCA needs more test
    # examples than that (checked while planning; None: known only once the net is built)
    widest: int | None = None
    paper_dataset: str | None = None  # the dataset the papers train it on


@dataclass(frozen=True)
class Dataset:
    """A dataset and what planning knows of it without loading it."""

    name: str
    kind: str  # "download" | "embedded" | "synthetic" | "folder" | "loader"
    summary: str
    shape: tuple[int, int, int] | None = None  # C, H, W (folder sets: the side is configurable)
    classes: int | None = None
    image_size: int | None = None  # folder sets: default side of the square images
    test_size: int | None = None  # test examples (None: known once it is loaded)
    train_size: int | None = None  # training examples (None: known once it is loaded)


@dataclass(frozen=True)
class Figure:
    name: str
    table: str  # results/tables/<table>.parquet it is drawn from
    function: str
    paper: str  # the study it belongs to (the report groups figures by it)
    needs_sparsity: bool = False  # drawn at each net's analysis sparsity
    # what it shows and the claim it answers: the report lists it by these (labels)
    shows: str = ""
    claim: str = ""


def _by_name(*entries):
    return MappingProxyType({entry.name: entry for entry in entries})


# The training settings of a net entry; the values of TrainConfig in pai.training.engine. A net
# entry
# may also set ``warmup_epochs`` and ``rewind_iteration`` (lottery-ticket rewinding).
TRAINING_KEYS = ("epochs", "batch_size", "lr", "momentum", "weight_decay", "milestones", "gamma")
OPTIONAL_TRAINING_KEYS = ("warmup_epochs",)
NET_SETTINGS = (*TRAINING_KEYS, *OPTIONAL_TRAINING_KEYS, "rewind_iteration")

# open_lth's defaults (REFERENCE notes in docs/methods.md): LeNet-300-100 on MNIST ...
_LENET = {
    "epochs": 40,
    "batch_size": 128,
    "lr": 0.1,
    "momentum": 0.0,
    "weight_decay": 0.0,
    "milestones": [],
    "gamma": 0.1,
    "rewind_iteration": 0,
}
# ... and the CIFAR ResNets and VGGs (rewinding after ~5 epochs: our choice, unverified)
_CIFAR = {
    "epochs": 160,
    "batch_size": 128,
    "lr": 0.1,
    "momentum": 0.9,
    "weight_decay": 0.0001,
    "milestones": [80, 120],
    "gamma": 0.1,
    "rewind_iteration": 2000,
}
# A plugin architecture that names no defaults trains with LeNet-300-100's (stated in the docs).
PLUGIN_TRAINING_FALLBACK = MappingProxyType(dict(_LENET))

METHODS = _by_name(
    Method(
        "random",
        "pai.pruning.scoring:random_scores",
        "U(0, 1) scores: random pruning, every layer kept at the same density in expectation",
        group="random",
    ),
    # the data-free allocations (docs/methods.md, "Data-free allocations"): random positions at
    # a rule's exact per-layer counts; the rules see only the layers' shapes
    Method(
        "uniform",
        "pai.allocation:uniform",
        "every layer at the overall density (Gale et al. 2019)",
        schedule="allocation",
        group="allocation",
    ),
    Method(
        "uniform_plus",
        "pai.allocation:uniform_plus",
        "uniform, a first conv layer dense, the last layer at least 20% (Gale et al. 2019)",
        schedule="allocation",
        group="allocation",
    ),
    Method(
        "erk",
        "pai.allocation:erk",
        "Erdos-Renyi-Kernel: density in proportion to sum over product of a layer's dimensions "
        "(Evci et al. 2020)",
        schedule="allocation",
        group="allocation",
    ),
    Method(
        "igq",
        "pai.allocation:igq",
        "Ideal Gas Quotas: density 1 / (1 + F N_l) (Vysogorets & Kempe 2023)",
        schedule="allocation",
        group="allocation",
    ),
    Method(
        "smart_ratio",
        "pai.allocation:smart_ratio",
        "Smart Ratio: conv layers by (L-l+1)^2 + (L-l+1), Linear layers 30% (Su et al. 2020)",
        schedule="allocation",
        group="allocation",
    ),
    Method(
        "balanced",
        "pai.allocation:balanced",
        "every layer the same number of weights (Gadhikar et al. 2023)",
        schedule="allocation",
        group="allocation",
    ),
    Method(
        "pyramidal",
        "pai.allocation:pyramidal",
        "layer l at density p^l (Gadhikar et al. 2023)",
        schedule="allocation",
        group="allocation",
    ),
    Method(
        "magnitude", "pai.pruning.scoring:magnitude_scores", "|theta| of the init, ranked globally"
    ),
    Method(
        "snip",
        "pai.pruning.scoring:snip_scores",
        "|theta * dL/dtheta| on the scoring subset, train mode",
        data=True,
        settings={"batch_size": "batch_size"},
    ),
    Method(
        "grasp",
        "pai.pruning.scoring:grasp_scores",
        "-theta * Hg (temperature 200); keeps the lowest, i.e. removes the highest",
        keep="lowest",
        data=True,
        settings={"batch_size": "batch_size", "temperature": "grasp_temperature"},
        # MtM found that inverting GraSP's scores does not hurt: invert is no claim for it
        claims={"invert": DESCRIPTIVE},
    ),
    Method(
        "graspabs",
        "pai.pruning.scoring:graspabs_scores",
        "|theta * Hg|: keeps the weights whose GraSP score is largest in magnitude",
        data=True,
        settings={"batch_size": "batch_size", "temperature": "grasp_temperature"},
    ),
    Method(
        "synflow",
        "pai.pruning.scoring:synflow_scores",
        "|theta * dR/dtheta| of |net| on an all-ones input, float64, 100 rounds",
        schedule="iterative",
        rounds=100,
        rounds_setting="synflow_iterations",
    ),
    Method(
        "itersnip",
        "pai.pruning.scoring:force_scores",
        "SNIP recomputed over 60 exponential steps on the survivors (de Jorge et al. 2021)",
        version=2,  # 2: the released code's loss (scoring.progressive_loss)
        data=True,
        schedule="iterative",
        rounds=60,
        rounds_setting="progressive_steps",
        step_rule="ties_kept",
        settings={"batch_size": "batch_size", "loss": "progressive_loss"},
    ),
    Method(
        "force",
        "pai.pruning.scoring:force_scores",
        "|dL/dmask| of the masked net over 60 exponential steps; pruned weights may return "
        "(FORCE, de Jorge et al. 2021)",
        version=2,  # 2: the released code's loss (scoring.progressive_loss)
        data=True,
        schedule="iterative",
        rounds=60,
        rounds_setting="progressive_steps",
        revives=True,
        round_arguments=("mask",),
        step_rule="ties_kept",
        settings={"batch_size": "batch_size", "loss": "progressive_loss"},
    ),
    Method(
        "prospr",
        "pai.pruning.mask_gradients:prospr_scores",
        "|dL/dmask| after 3 unrolled SGD steps from the masked init, one shot "
        "(ProsPr, Alizadeh et al. 2022)",
        data=True,
        settings={"steps": "prospr_steps", "lr": "prospr_lr", "momentum": "prospr_momentum"},
    ),
    Method(
        "ntksap",
        "pai.pruning.mask_gradients:ntksap_scores",
        "data-free |dmask| of the output's change under a weight perturbation, fresh weights "
        "and Gaussian inputs each draw, 20 exponential rounds (NTK-SAP, Wang et al. 2023)",
        version=2,  # 2: the authors' redraw (BatchNorm scale 1, biases kept)
        schedule="iterative",
        rounds=20,
        rounds_setting="ntksap_iterations",
        round_arguments=("mask", "step"),
        step_rule="ties_pruned",
        settings={
            "samples": "ntksap_samples",
            "epsilon": "ntksap_epsilon",
            "examples_per_class": "examples_per_class",
        },
    ),
    Method(
        "magnitude_trained",
        "pai.pruning.scoring:magnitude_scores",
        "MtM's benchmark: one-shot magnitude of the trained dense net, retrained (LR rewinding)",
        start="trained",
        group="benchmark",
    ),
    Method(
        "lottery",
        "pai.pruning.lottery:next_ranking",
        "MtM's benchmark: IMP, 20% a round, lottery-ticket rewinding",
        schedule="lottery",
        start="rewind",
        group="benchmark",
    ),
)

ABLATIONS = _by_name(
    Ablation("unmodified", "the method's mask on the weights it was computed from"),
    Ablation("shuffle", "each layer's mask permuted; per-layer counts kept"),
    Ablation("reinit", "the same mask on freshly drawn weights"),
    Ablation("invert", "the other end of the method's own ranking"),
)

ARCHITECTURES = _by_name(
    Architecture(
        "lenet300",
        "pai.models.nets:lenet300",
        "LeNet-300-100 (266,200 prunable weights)",
        _LENET,
        widest=300,
        paper_dataset="mnist",
        shapes="pai.models.shapes:lenet300",
    ),
    Architecture(
        "resnet20",
        "pai.models.nets:resnet20",
        "CIFAR ResNet-20, option-B shortcuts (270,896)",
        _CIFAR,
        widest=64,
        paper_dataset="cifar10",
        shapes="pai.models.shapes:resnet20",
    ),
    Architecture(
        "vgg16",
        "pai.models.nets:vgg16",
        "CIFAR VGG-16, one fc (14,715,584)",
        _CIFAR,
        widest=512,
        paper_dataset="cifar10",
        shapes="pai.models.shapes:vgg16",
    ),
    Architecture(
        "resnet18",
        "pai.models.nets:resnet18",
        "open_lth's ImageNet ResNet-18 (MtM's TinyImageNet net)",
        # MtM's TinyImageNet hyperparameters are not in the code we could read: the ImageNet
        # recipe scaled to batch 256 over 200 epochs (unverified, docs/methods.md)
        {**_CIFAR, "epochs": 200, "batch_size": 256, "milestones": [100, 150]},
        widest=512,
        paper_dataset="tinyimagenet",
        shapes="pai.models.shapes:resnet18",
    ),
    Architecture(
        "resnet50",
        "pai.models.nets:resnet50",
        "open_lth's ImageNet ResNet-50",
        {
            **_CIFAR,
            "epochs": 90,
            "batch_size": 1024,
            "lr": 0.4,
            "milestones": [30, 60, 80],
            "warmup_epochs": 5,
        },
        widest=2048,
        paper_dataset="imagenet",
        shapes="pai.models.shapes:resnet50",
    ),
)

DATASETS = _by_name(
    Dataset(
        "mnist",
        "download",
        "MNIST, md5-checked, optional mirror",
        (1, 28, 28),
        10,
        test_size=10000,
        train_size=60000,
    ),
    Dataset(
        "cifar10",
        "download",
        "CIFAR-10, md5-checked, optional mirror",
        (3, 32, 32),
        10,
        test_size=10000,
        train_size=50000,
    ),
    Dataset(
        "digits",
        "embedded",
        "scikit-learn's 8x8 digits (offline)",
        (1, 8, 8),
        10,
        test_size=449,
        train_size=1348,
    ),
    Dataset("synthetic", "synthetic", "class prototypes plus noise, shape from data.synthetic"),
    Dataset("tinyimagenet", "folder", "TinyImageNet from data.folders", classes=200, image_size=64),
    Dataset("imagenet", "folder", "ImageNet from data.folders", classes=1000, image_size=224),
)

# What a run's distances and similarities compare it with (pai.analysis.distances.comparisons): an
# ablated
# run with its method's unmodified run (the ablation's name), or random pruning's unmodified run
# with the method's ("random").
COMPARISONS = (*(name for name in ABLATIONS if name != "unmodified"), "random")

_MTM, _SINGH = "Frankle et al. 2021 (MtM)", "Singh & Liu 2021"
_PHAM, _BLAKENEY = "Pham et al. 2023", "Blakeney et al. 2020"
FIGURES = _by_name(
    Figure(
        "accuracy", "runs", "pai.reporting.plots:accuracy_vs_sparsity", _MTM,
        shows="accuracy against weights remaining",
        claim="methods at initialization beat random pruning, below the benchmarks",
    ),
    Figure(
        "allocations", "runs", "pai.reporting.plots:allocations", _MTM,
        shows="methods against data-free allocations",
        claim="a method's per-layer fractions beat a formula's (random positions)",
    ),
    Figure(
        "accuracy_effective", "runs", "pai.reporting.plots:accuracy_effective", _MTM,
        shows="accuracy against effective density",
        claim="random masks lose more effective weights than their density says",
    ),
    Figure(
        "ablations", "runs", "pai.reporting.plots:ablations", _MTM,
        shows="accuracy of each ablation",
        claim="shuffle and reinit keep accuracy, invert loses it",
    ),
    Figure(
        "ablation_effects", "ablation_effects", "pai.reporting.plots:ablation_effects", _MTM,
        shows="ablation minus unmodified, paired by seed",
        claim="shuffle and reinit no worse, invert worse (per family)",
    ),
    Figure(
        "channel_sparsity", "channels", "pai.reporting.plots:channel_sparsity", _MTM, True,
        shows="per-channel sparsity", claim="how masks spread over neurons and channels",
    ),
    Figure(
        "layer_density", "layers", "pai.reporting.plots:layer_density", _MTM, True,
        shows="density per layer, allocations overlaid",
        claim="the layerwise budget shuffling keeps, beside the formulas'",
    ),
    Figure(
        "training_curves", "histories", "pai.reporting.plots:training_curves", _MTM, True,
        shows="training curves", claim="runs converged (or where they diverged)",
    ),
    Figure(
        "distances", "distances", "pai.reporting.plots:distances_per_layer", _SINGH, True,
        shows="W1 per layer (figures 1-2)",
        claim="shuffle and reinit stay close, random pruning moves far",
    ),
    Figure(
        "topology", "topology", "pai.reporting.plots:topology", _PHAM,
        shows="effective paths and nodes",
        claim="methods trade paths for nodes; shuffle restores width",
    ),
    Figure(
        "similarity_svcca", "similarity", "pai.reporting.plots:similarity_svcca", _BLAKENEY, True,
        shows="SVCCA per layer to the unmodified net",
        claim="ablated nets keep their representations",
    ),
    Figure(
        "similarity_cka", "similarity", "pai.reporting.plots:similarity_cka", _BLAKENEY, True,
        shows="linear CKA per layer to the unmodified net",
        claim="ablated nets keep their representations",
    ),
    Figure(
        "similarity_dense", "similarity", "pai.reporting.plots:similarity_dense", _BLAKENEY,
        shows="SVCCA to the dense net", claim="pruned nets keep the dense net's representations",
    ),
)  # fmt: skip
PAPERS = (_MTM, _SINGH, _BLAKENEY, _PHAM)


def ordered_methods(names, methods: Mapping[str, Method] | None = None) -> list[str]:
    """``names`` in the order figures and tables list methods: random, the methods at
    initialization, the benchmarks after training, then plugins; registry order within a group."""
    methods = methods if methods is not None else METHODS
    known = list(METHODS)

    def key(name: str):
        method = methods.get(name)
        group = METHOD_GROUPS.index(method.group) if method else len(METHOD_GROUPS)
        return (group, known.index(name) if name in known else len(known), name)

    return sorted(dict.fromkeys(names), key=key)


__all__ = [
    "ABLATIONS",
    "ALLOCATION_ABLATIONS",
    "ALLOCATION_BASELINE",
    "ARCHITECTURES",
    "COMPARISONS",
    "DATASETS",
    "DESCRIPTIVE",
    "FAMILIES",
    "FAMILY_TITLES",
    "FIGURES",
    "KEEP_ENDS",
    "METHODS",
    "METHOD_GROUPS",
    "NET_SETTINGS",
    "NO_WORSE",
    "OPTIONAL_TRAINING_KEYS",
    "PAPERS",
    "PLUGIN_TRAINING_FALLBACK",
    "SCHEDULES",
    "STARTS",
    "TRAINING_KEYS",
    "WORSE",
    "Ablation",
    "Architecture",
    "Dataset",
    "Figure",
    "Method",
    "ordered_methods",
]
