# Shared by every .smk file here: the study (the checked config, plugins joined to the registry),
# the path patterns, and the named functions that give rules their inputs and params.
#
# Input functions return paths, param functions return the settings a job's script needs; both
# take the job's wildcards. Every name (method, architecture, dataset, ablation, figure) comes
# from pai.config.registry through the study, never from a list here.

import re
from pathlib import Path

from pai.config import layout, registry
from pai.jobs import failures
from pai.reporting import paper
from pai.config.grid import file_key, lottery_label, lottery_round, other_seed
from pai.config.study import Study

# Checks the whole config (schema, names, plugins, settings) and reports every problem at once,
# before any job is planned.
STUDY = Study(config, base=Path.cwd())

ENV = "../../envs/pai.yaml"
# the results' layout (pai.config.layout: the one list of path patterns)
RUN, RUN_FOLDER, GROUP = layout.RUN, layout.RUN_FOLDER, layout.GROUP
DENSE, LOTTERY_ROUND = layout.DENSE, layout.LOTTERY_ROUND
ABLATIONS = STUDY.ablations
# the data-free allocations' runs (grid.allocation_ablations; by default unmodified alone)
ALLOCATION_ABLATIONS = STUDY.allocation_ablations
# the masks a method's ranking gives: the inverted one only where the grid runs invert
RANKINGS = ["unmodified", "invert"] if "invert" in ABLATIONS else ["unmodified"]
FIGURES = list(registry.FIGURES)


def methods_scheduled(*schedules):
    """The wildcard constraint of the methods with one of ``schedules``."""
    return "|".join(m.name for m in STUDY.methods.values() if m.schedule in schedules)


LOTTERY_METHODS = methods_scheduled("lottery")
ALLOCATION_METHODS = methods_scheduled("allocation")
# the methods whose cells make_mask and train_model serve (every ablation of the grid)
RANKED_METHODS = methods_scheduled("one_shot", "iterative", "files")


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(pattern, wildcards=None, **values):
    """A path pattern with wildcards filled in from ``wildcards`` and ``values`` (``values``
    win); any others are left as they are. (Snakemake's expand does the same, but at 0.1 ms a
    call it was a fifth of the paper grid's planning time: this runs for every input file.)
    """
    filled = {**dict(wildcards.items() if wildcards is not None else ()), **values}
    return PLACEHOLDER.sub(
        lambda m: str(filled.get(m.group(1), m.group(0))), str(pattern)
    )


def per_ablation(kind, pattern, ablations=ABLATIONS):
    """One named file per ablation run of a cell, e.g. {"start_shuffle": ".../start.pt"}."""
    return {
        file_key(kind, ablation): fill(pattern, ablation=ablation)
        for ablation in ablations
    }


def start_files(rule):
    """The start states among a rule's named outputs, e.g. to wire them as a job's inputs."""
    return {key: path for key, path in rule.output.items() if key.startswith("start_")}


def group_runs(wildcards):
    """The (method, ablation) runs of one (net, sparsity, seed), methods in the net's order."""
    net = STUDY.net_entry(wildcards.net)
    return [
        (method, ablation)
        for method in net.methods
        for ablation in STUDY.method_ablations(method)
    ]


def net_of(wildcards):
    return STUDY.net_entry(wildcards.net)


# ----------------------------------------------------------------------- param functions


def arch_settings(wildcards):
    """The net's architecture: a built-in name, or a plugin's references and source digests."""
    return STUDY.arch_settings(net_of(wildcards).arch)


def dataset_shape(wildcards):
    """Input shape and classes of the net's dataset: all a job that only builds the net needs."""
    return STUDY.dataset_shape(net_of(wildcards).dataset)


def dataset_identity(wildcards):
    """What decides the dataset's tensors: params of every job that reads them."""
    return STUDY.dataset_identity(net_of(wildcards).dataset)


def identity_of_dataset(wildcards):
    """The dataset_identity rule's params: the identity by the dataset wildcard (dataset_identity
    above gives it by the net's)."""
    return STUDY.dataset_identity(wildcards.dataset)


def download_settings(wildcards):
    return STUDY.dataset_download(wildcards.dataset)


def first_seed(wildcards):
    """The seed a plugin method's check scores (the net's first)."""
    return net_of(wildcards).seeds[0]


def highest_sparsity(wildcards):
    """Where an iterative plugin method's check prunes to: the net's highest sparsity (the most
    pruned nets its rounds score)."""
    return float(net_of(wildcards).sparsities[-1])


def net_sparsities(wildcards):
    """Every sparsity of the net (a plugin allocation's check counts each)."""
    return list(net_of(wildcards).sparsities)


def method_settings(wildcards):
    """A method's settings; a method defined by files adds its files' paths and digests: a
    mask job its cell's, a check every cell of its net."""
    if STUDY.methods[wildcards.method].schedule != "files":
        return STUDY.method_settings(wildcards.method)
    return STUDY.method_settings(
        wildcards.method, net=wildcards.net, cells=file_cells(wildcards)
    )


def file_cells(wildcards):
    """The (sparsity, seed) cells whose files a job of a file method reads: its own, or (a
    check) every cell of the net."""
    if "sparsity" in wildcards.keys():
        return [(wildcards.sparsity, wildcards.seed)]
    net = net_of(wildcards)
    return [(sparsity, seed) for sparsity in net.sparsities for seed in net.seeds]


def method_files(wildcards):
    """The files a job of a file method reads (kind -> paths), as inputs: replacing one reruns
    that job. The check_method job gets every cell's; a mask job its cell's, its init as the
    weights its runs start from."""
    settings = method_settings(wildcards)
    if "sparsity" in wildcards.keys():
        (cell,) = settings["files"]
        return {
            "weights": cell["init"]["path"],
            "mask_file": cell["mask"]["path"],
            **({"scores_file": cell["scores"]["path"]} if "scores" in cell else {}),
        }
    return {
        "files": sorted(
            {
                cell[kind]["path"]
                for cell in settings["files"]
                for kind in ("mask", "init", "scores")
                if kind in cell
            }
        )
    }


def scoring_dataset(wildcards):
    """A scoring job's dataset params: the identity for methods that score on data, the shape
    alone for the others (so that new data reruns no data-free scores)."""
    if STUDY.methods[wildcards.method].data:
        return dataset_identity(wildcards)
    return dataset_shape(wildcards)


def training_settings(wildcards):
    return STUDY.training_settings(wildcards.net)


def rewind_iteration(wildcards):
    """Where lottery rounds restart (open_lth --rewinding_steps; 0: the init)."""
    return net_of(wildcards).rewind_iteration


def start_iteration(wildcards):
    """Lottery runs resume the learning rate schedule at the rewind point; the rest start at 0."""
    if STUDY.methods[wildcards.method].start == "rewind":
        return rewind_iteration(wildcards)
    return 0


def lottery_round_index(wildcards):
    return lottery_round(wildcards.sparsity)


def round_sparsity(wildcards):
    return lottery_label(int(wildcards.round))


def group_run_list(wildcards):
    return [list(run) for run in group_runs(wildcards)]


def paper_nets():
    """Architecture, dataset and epochs of each grid net (compare_with_paper's params)."""
    return {
        name: {
            "arch": STUDY.net_entry(name).arch,
            "dataset": STUDY.net_entry(name).dataset,
            "epochs": STUDY.net_entry(name).training["epochs"],
        }
        for name in STUDY.grid_net_names
    }


def method_claims():
    """Each grid method's family and what MtM claims each ablation does to it."""
    return {name: STUDY.methods[name].claim_settings() for name in STUDY.grid_methods}


def chance_accuracies():
    """1 / classes of each grid net's dataset (None where the classes are known only once the
    data is loaded): a run at or near it learned nothing."""
    chance = {}
    for name in STUDY.grid_net_names:
        classes = STUDY.dataset_shape(STUDY.net_entry(name).dataset)["classes"]
        chance[name] = 1 / classes if classes else None
    return chance


def singh_liu_primary():
    """The grid nets trained as Singh & Liu trained a net of their Table 1 (like for like):
    the nets of their claim's confirmatory test."""
    nets = paper_nets()
    return [
        name
        for name, spec in nets.items()
        if any(paper.like_for_like(row, spec) for row in paper.PUBLISHED)
    ]


def table1_methods():
    """The methods of Singh & Liu's Table 1 (their confirmatory test's mean)."""
    return list(paper.TABLE1_METHODS)


def dense_seeds(wildcards):
    return net_of(wildcards).seeds


# ----------------------------------------------------------------------- input functions


def dataset_tensors(wildcards):
    """The net's dataset tensors (ancient: a new mirror URL refetches, nothing retrains)."""
    return ancient(
        fill(rules.download_data.output.tensors, dataset=net_of(wildcards).dataset)
    )


def data_inputs(wildcards):
    """What a job that reads the net's data takes: the tensors (ancient) and the dataset's
    identity file. Snakemake does not look again at the jobs after one that must run when the
    file between them is ancient, so without the identity file a new dataset option rebuilt the
    data in one invocation and retrained only in the next."""
    dataset = net_of(wildcards).dataset
    return {
        "dataset": dataset_tensors(wildcards),
        "dataset_identity": fill(
            rules.dataset_identity.output.identity, dataset=dataset
        ),
    }


def method_weights(wildcards, **values):
    """The weights a method scores and its runs start from: the init; the trained dense net for
    pruning after training; the dense run's rewind point for lottery-ticket rewinding.
    ``values`` replace wildcards (a check's seed).
    """
    start = STUDY.methods[wildcards.method].start
    if start == "trained":
        return fill(rules.train_dense.output.trained, wildcards, **values)
    if start == "rewind":
        return fill(rules.train_dense.output.rewind, wildcards, **values)
    return fill(rules.init_weights.output.weights, wildcards, **values)


def scoring_inputs(wildcards):
    inputs = {"weights": method_weights(wildcards)}
    if STUDY.methods[wildcards.method].data:
        inputs |= data_inputs(wildcards)
    return inputs | plugin_method_check(wildcards)


def plugin_method_check(wildcards):
    """A plugin method's check (rule check_method), for its scoring and mask jobs."""
    if wildcards.method in registry.METHODS:
        return {}
    return {
        "method_check": fill(
            rules.check_method.output.check, net=wildcards.net, method=wildcards.method
        )
    }


def method_check_inputs(wildcards):
    """What a plugin method's check scores: the weights of the net's first seed, and the data
    if the method scores on it; a method defined by files: every file of the net."""
    if STUDY.methods[wildcards.method].schedule == "files":
        return method_files(wildcards)
    inputs = {"weights": method_weights(wildcards, seed=first_seed(wildcards))}
    if STUDY.methods[wildcards.method].data:
        inputs |= data_inputs(wildcards)
    return inputs


def plugin_architecture_check(wildcards):
    """A plugin architecture's check (rule check_architecture), for the net's init jobs."""
    if net_of(wildcards).arch in registry.ARCHITECTURES:
        return {}
    return {
        "architecture_check": fill(rules.check_architecture.output.check, wildcards)
    }


def plugin_dataset_check(wildcards):
    """A plugin loader's check (rule check_dataset), for its download_data job. (A folder's
    layout is checked while planning; reading it twice would double its one long job.)
    """
    if STUDY.datasets[wildcards.dataset].kind != "loader":
        return {}
    return {"dataset_check": fill(rules.check_dataset.output.check, wildcards)}


def mask_inputs(wildcards):
    """The weights the cell's runs start from; one-shot methods rank their scores, iterative
    ones score the weights round by round (on the scoring subset if they use data); a method
    defined by files reads its cell's files."""
    if STUDY.methods[wildcards.method].schedule == "files":
        return method_files(wildcards) | plugin_method_check(wildcards)
    if STUDY.methods[wildcards.method].one_shot:
        return {
            "weights": method_weights(wildcards),
            "scores": fill(rules.score_weights.output.scores, wildcards),
        } | plugin_method_check(wildcards)
    return scoring_inputs(wildcards)


def lottery_mask_inputs(wildcards):
    """IMP round r ranks from round r-1: its trained weights (round 0: the dense run) and, from
    round 2 on, its mask file (mask and ranking)."""
    previous = lottery_round(wildcards.sparsity) - 1
    if previous == 0:
        return {"trained": fill(rules.train_dense.output.trained, wildcards)}
    return {
        "trained": fill(
            rules.train_lottery_round.output.trained, wildcards, round=previous
        ),
        "previous": fill(
            rules.make_mask.output.mask, wildcards, sparsity=lottery_label(previous)
        ),
    }


def lottery_round_mask(wildcards):
    return fill(
        rules.make_mask.output.mask,
        wildcards,
        method="lottery",
        sparsity=lottery_label(int(wildcards.round)),
    )


def group_files(kinds):
    """An input function: the files ``kinds`` (e.g. start, trained) of every run of one (net,
    sparsity, seed), named by kind, method and ablation."""

    def files(wildcards):
        found = {}
        for method, ablation in group_runs(wildcards):
            for kind in kinds:
                pattern = rules.make_mask.output[file_key("start", ablation)]
                if kind != "start":
                    pattern = rules.train_model.output[file_key(kind, ablation)]
                found[file_key(kind, method, ablation)] = fill(
                    pattern, wildcards, method=method
                )
        return found

    return files


def similarity_inputs(wildcards):
    """The group's trained runs, the dense nets of the same seed and of another seed (where the
    net has more than one), and the test images."""
    inputs = group_files(["trained"])(wildcards)
    inputs["dense"] = fill(rules.train_dense.output.trained, wildcards)
    other = other_seed(int(wildcards.seed), net_of(wildcards).seeds)
    if other is not None:
        inputs["dense_other_seed"] = fill(
            rules.train_dense.output.trained, wildcards, seed=other
        )
    return inputs | data_inputs(wildcards)


def dense_trained_of_net(wildcards):
    return {
        file_key("seed", str(seed)): fill(
            rules.train_dense.output.trained, net=wildcards.net, seed=seed
        )
        for seed in net_of(wildcards).seeds
    }


def dense_similarity_inputs(wildcards):
    return dense_trained_of_net(wildcards) | data_inputs(wildcards)


def report_labels(kind, shows, claim):
    """How the report lists a result on its paper's page: what it is and shows, and the claim
    it answers."""
    return {"result": f"{kind}: {shows}", "claim": claim}


def figure_outputs(figure):
    return {
        "png": report(
            f"results/figures/{figure.name}.png",
            caption=f"../report/{figure.name}.rst",
            category=figure.paper,
            labels=report_labels("figure", figure.shows, figure.claim),
        ),
        "pdf": f"results/figures/{figure.name}.pdf",
    }
