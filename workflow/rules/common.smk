# Validation, wildcard constraints and grid helpers shared by every rule file.

from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate


class ConfigError(Exception):
    """A config mistake, raised before any job is planned; the message names key and value."""


def _config_key(path):
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else f".{part}"
    return key.lstrip(".") or "(top level)"


try:
    validate(config, schema="../schemas/config.schema.yaml")
except WorkflowError as err:
    # Snakemake turns jsonschema's error into a long report; lead with the key and the value
    problem = err.__context__  # the jsonschema ValidationError it was raised from
    if not hasattr(problem, "absolute_path"):
        raise
    raise ConfigError(
        f"config key {_config_key(problem.absolute_path)}: {problem.message}"
    ) from None


def _check_cross_references():
    for net in config["grid"]["nets"]:
        if net not in config["nets"]:
            raise ConfigError(
                f"grid.nets names {net!r}, which is not in the nets catalogue "
                f"(known: {', '.join(sorted(config['nets']))})"
            )
    for net in config["grid"]["nets"]:
        spec = config["nets"][net]
        if spec["dataset"] == "synthetic" and "synthetic" not in config["data"]:
            raise ConfigError(
                f"nets.{net} uses the synthetic dataset but data.synthetic is unset"
            )
        if spec["dataset"] in FOLDER_DATASETS and not config["data"].get(
            "folders", {}
        ).get(spec["dataset"]):
            raise ConfigError(
                f"nets.{net} uses {spec['dataset']}, which cannot be downloaded: set "
                f"data.folders.{spec['dataset']} to the folder holding its train/ and val/"
            )
        for milestone in spec["milestones"]:
            if milestone > spec["epochs"]:
                raise ConfigError(
                    f"nets.{net}.milestones has {milestone}, beyond its {spec['epochs']} epochs"
                )
    wanted = sparsity_label(config["analysis"]["table1_sparsity"])
    if not any(
        wanted in grid_list(net, "sparsities") for net in config["grid"]["nets"]
    ):
        raise ConfigError(
            f"analysis.table1_sparsity {config['analysis']['table1_sparsity']} is not in the "
            "sparsity grid of any net in grid.nets"
        )


def sparsity_label(value):
    """The one form a sparsity takes in paths: 4 decimals, trailing zeros dropped (DESIGN.md)."""
    text = f"{round(float(value), 4):.4f}".rstrip("0").rstrip(".")
    return text or "0"


def grid_list(net, key):
    """A grid list for one net: the net's own override, else grid.<key>; sparsities canonical.

    Methods and ablations are grid-wide: a distance job writes the files of every method.
    """
    values = config["nets"][net].get(key, config["grid"][key])
    if key == "sparsities":
        return sorted({sparsity_label(v) for v in values}, key=float)
    return list(dict.fromkeys(values))


ABLATIONS = list(config["grid"]["ablations"])
METHODS = list(config["grid"]["methods"])
NETS = list(config["grid"]["nets"])
ONE_SHOT_METHODS = [
    "random",
    "magnitude",
    "snip",
    "grasp",
    "graspabs",
    "magnitude_trained",
]
DATA_METHODS = ["snip", "grasp", "graspabs"]
# MtM's benchmarks, pruned from the trained dense run (REFERENCE notes in README.md)
AFTER_TRAINING_METHODS = ["magnitude_trained", "lottery"]
METHOD_NAMES = [
    "random",
    "magnitude",
    "snip",
    "grasp",
    "graspabs",
    "synflow",
] + AFTER_TRAINING_METHODS
FOLDER_DATASETS = ["tinyimagenet", "imagenet"]
RUN = "net={net}/method={method}/sparsity={sparsity}/seed={seed}"
DENSE = "results/dense/net={net}/seed={seed}"
LOTTERY_ROUND = "results/lottery/net={net}/seed={seed}/round={round}"


def cells():
    """Every (net, method, sparsity, seed) of the grid; each cell holds one run per ablation."""
    for net in NETS:
        for method in METHODS:
            for sparsity in grid_list(net, "sparsities"):
                for seed in grid_list(net, "seeds"):
                    yield {
                        "net": net,
                        "method": method,
                        "sparsity": sparsity,
                        "seed": seed,
                    }


def run_paths(wildcards, filename):
    """The file ``filename`` of every ablation run of the wildcards' cell."""
    base = f"results/runs/{RUN}".format(**wildcards)
    return [f"{base}/ablation={ablation}/{filename}" for ablation in ABLATIONS]


RUN_PATTERN = "net={{net}}/method={{method}}/sparsity={{sparsity}}/seed={{seed}}"


def per_ablation(filename):
    """Outputs of a per-cell rule: ``filename`` in every ablation run folder of the cell."""
    return expand(
        f"results/runs/{RUN_PATTERN}/ablation={{ablation}}/{filename}",
        ablation=ABLATIONS,
    )


def net_spec(wildcards):
    return config["nets"][wildcards.net]


TRAINING_KEYS = (
    "epochs",
    "batch_size",
    "lr",
    "momentum",
    "weight_decay",
    "milestones",
    "gamma",
)


def training_spec(wildcards):
    """A net's training settings (params of every rule that trains it)."""
    spec = net_spec(wildcards)
    # optional keys only when set: a new key in every job's params would retrain everything
    optional = {key: spec[key] for key in ("warmup_epochs",) if key in spec}
    return {**{key: spec[key] for key in TRAINING_KEYS}, **optional}


def rewind_iteration(wildcards):
    """The iteration lottery rounds rewind to (open_lth --rewinding_steps; 0: the init)."""
    return net_spec(wildcards).get("rewind_iteration", 0)


def lottery_label(round_index):
    """The grid label of IMP round r's sparsity, 1 - 0.8^r."""
    return sparsity_label(1 - 0.8**round_index)


def lottery_round(sparsity):
    """The IMP round whose ranking gives a lottery mask at ``sparsity``: the first round at or
    beyond it (between two rounds, the last is cut short). Sparsity 0 keeps all (round 1).
    """
    round_index = 1
    while float(lottery_label(round_index)) < float(sparsity):
        round_index += 1
    return round_index


def lottery_trained(net, seed, round_index):
    """Round r's trained weights: round 0 is the dense run."""
    if round_index == 0:
        return f"{DENSE}/trained.pt".format(net=net, seed=seed)
    return f"{LOTTERY_ROUND}/trained.pt".format(net=net, seed=seed, round=round_index)


def lottery_mask(net, seed, round_index):
    path = f"results/masks/{RUN}/mask.pt"
    return path.format(
        net=net, method="lottery", sparsity=lottery_label(round_index), seed=seed
    )


def start_weights(wildcards):
    """The weights a cell's start states are built from: the init at initialization, the trained
    dense net for magnitude_trained (learning-rate rewinding), the rewind point for lottery.
    """
    if wildcards.method == "magnitude_trained":
        return f"{DENSE}/trained.pt".format(**wildcards)
    if wildcards.method == "lottery":
        return f"{DENSE}/rewind.pt".format(**wildcards)
    return "results/init/net={net}/seed={seed}/weights.pt".format(**wildcards)


def start_iteration(wildcards):
    """Lottery runs resume the learning rate schedule at the rewind point; the rest start at 0."""
    return rewind_iteration(wildcards) if wildcards.method == "lottery" else 0


def dense_paths(filename):
    """``filename`` of the dense run of every net and seed of the grid."""
    return [
        f"{DENSE}/{filename}".format(net=net, seed=seed)
        for net in NETS
        for seed in grid_list(net, "seeds")
    ]


def dense_similarity_paths():
    """The dense two-seed baseline of every net that has at least two seeds."""
    return [
        f"results/dense/net={net}/similarity.parquet"
        for net in NETS
        if len(grid_list(net, "seeds")) >= 2
    ]


def dataset_ready(dataset):
    """The tensor file of a dataset (ancient: a new mirror URL refetches, nothing retrains)."""
    return ancient(f"resources/data/{dataset}/tensors.pt")


def dataset_params(dataset):
    """Everything download_data needs to fetch a dataset (its rule params)."""
    params = {
        "root": str(Path(config["data"]["root"]) / dataset),
        "mirror": config["data"]["mirrors"].get(dataset),
        **dataset_spec(dataset),
    }
    if dataset in FOLDER_DATASETS:
        params["folder"] = config["data"].get("folders", {}).get(dataset)
    return params


def dataset_spec(dataset):
    """What the rules that use a dataset need to know of it: its name and, for synthetic data,
    its shape. Params decide when a job reruns, so these hold nothing else: a new mirror URL or the
    synthetic shape must not rerun the jobs of other datasets, nor anything past the download.
    """
    spec = {
        "name": dataset,
        "synthetic": (
            config["data"].get("synthetic", {}) if dataset == "synthetic" else None
        ),
    }
    if dataset in FOLDER_DATASETS:
        spec["image_size"] = config["data"].get("image_sizes", {}).get(dataset)
    return spec


# input functions of the rule files


def scoring_inputs(wildcards):
    inputs = {
        "init": f"results/init/net={wildcards.net}/seed={wildcards.seed}/weights.pt"
    }
    if wildcards.method == "magnitude_trained":
        inputs["trained"] = f"{DENSE}/trained.pt".format(**wildcards)
    if wildcards.method in DATA_METHODS:
        inputs["dataset"] = dataset_ready(net_spec(wildcards)["dataset"])
    return inputs


def mask_inputs(wildcards):
    inputs = {
        "init": f"results/init/net={wildcards.net}/seed={wildcards.seed}/weights.pt"
    }
    if wildcards.method == "lottery":
        # round r's ranking: round r-1's trained weights, mask and ranking
        previous = lottery_round(wildcards.sparsity) - 1
        inputs["trained"] = lottery_trained(wildcards.net, wildcards.seed, previous)
        if previous > 0:
            inputs["previous"] = lottery_mask(wildcards.net, wildcards.seed, previous)
    elif wildcards.method != "synflow":
        inputs["scores"] = (
            "results/scores/net={net}/method={method}/seed={seed}/scores.pt".format(
                **wildcards
            )
        )
    return inputs


def distance_group_paths(wildcards, filename):
    """``filename`` of every run of one (net, sparsity, seed): methods outer, ablations inner."""
    return [
        f"results/runs/{RUN}/ablation={ablation}/{filename}".format(
            net=wildcards.net,
            method=method,
            sparsity=wildcards.sparsity,
            seed=wildcards.seed,
        )
        for method in METHODS
        for ablation in ABLATIONS
    ]


def distance_outputs(filename):
    group = "net={{net}}/method={method}/sparsity={{sparsity}}/seed={{seed}}"
    return expand(
        f"results/runs/{group}/ablation={{ablation}}/{filename}",
        method=METHODS,
        ablation=ABLATIONS,
    )


def figure_outputs(name):
    return {
        "png": report(
            f"results/figures/{name}.png",
            caption=f"../report/{name}.rst",
            category="Figures",
        ),
        "pdf": f"results/figures/{name}.pdf",
    }


_check_cross_references()


wildcard_constraints:
    net="[A-Za-z0-9][A-Za-z0-9_-]*",
    method="|".join(METHOD_NAMES),
    sparsity=r"0(\.\d{1,4})?",
    seed=r"\d+",
    ablation="|".join(["unmodified", "shuffle", "reinit", "invert"]),
    dataset="|".join(["mnist", "cifar10", "digits", "synthetic"] + FOLDER_DATASETS),
    round=r"[1-9]\d*",
