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
ONE_SHOT_METHODS = ["random", "magnitude", "snip", "grasp", "graspabs"]
DATA_METHODS = ["snip", "grasp", "graspabs"]
RUN = "net={net}/method={method}/sparsity={sparsity}/seed={seed}"


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
    return {key: net_spec(wildcards)[key] for key in TRAINING_KEYS}


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
    return {
        "root": str(Path(config["data"]["root"]) / dataset),
        "mirror": config["data"]["mirrors"].get(dataset),
        **dataset_spec(dataset),
    }


def dataset_spec(dataset):
    """What the rules that use a dataset need to know of it: its name and, for synthetic data,
    its shape. Params decide when a job reruns, so these hold nothing else: a new mirror URL or the
    synthetic shape must not rerun the jobs of other datasets, nor anything past the download.
    """
    return {
        "name": dataset,
        "synthetic": (
            config["data"].get("synthetic", {}) if dataset == "synthetic" else None
        ),
    }


# input functions of the rule files


def scoring_inputs(wildcards):
    inputs = {
        "init": f"results/init/net={wildcards.net}/seed={wildcards.seed}/weights.pt"
    }
    if wildcards.method in DATA_METHODS:
        inputs["dataset"] = dataset_ready(net_spec(wildcards)["dataset"])
    return inputs


def mask_inputs(wildcards):
    inputs = {
        "init": f"results/init/net={wildcards.net}/seed={wildcards.seed}/weights.pt"
    }
    if wildcards.method != "synflow":
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
    method="|".join(["random", "magnitude", "snip", "grasp", "graspabs", "synflow"]),
    sparsity=r"0(\.\d{1,4})?",
    seed=r"\d+",
    ablation="|".join(["unmodified", "shuffle", "reinit", "invert"]),
    dataset="|".join(["mnist", "cifar10", "digits", "synthetic"]),
