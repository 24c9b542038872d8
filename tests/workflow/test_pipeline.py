"""The real pipeline on presets/smoke.yaml: outputs, invariants and incremental reruns."""

import base64
import html as html_text
import json
import re

import pandas as pd
import pytest
import torch
import yaml
from pipeline_helpers import REPO, copy_workdir, make_workdir, planned_jobs, snakemake

from pai.config import registry

SMOKE = ("--configfile", "presets/smoke.yaml")
FIGURES = list(registry.FIGURES)
PER_SEED_RULES = {
    "init_weights": 2,
    # random, snip and magnitude_trained for two nets; synflow scores inside make_mask
    "score_weights": 6,
    "make_mask": 8,  # four methods' masks and start states at 0.75 per net
    # the allocations' cells: Uniform+ and erk on both nets
    "make_allocation_mask": 4,
    "train_allocation": 4,
    # lottery: rounds 1-6 (0.2 ... 0.7379) and 0.75, which cuts round 7's ranking short
    "make_lottery_mask": 14,
    "apply_ablation": 2,  # the lottery cells' start states
    "train_model": 10,
    "train_dense": 2,  # MtM's benchmarks prune it
    "train_lottery_round": 12,
    "analyse_weights": 2,  # one per net, sparsity and seed (with the topology)
    "compute_similarity": 2,
}
DOWNSTREAM = {
    "aggregate_results": 1,
    "compute_statistics": 1,
    "compare_with_paper": 1,
    "summarise_study": 1,
    "all": 1,
    **{f"plot_{f}": 1 for f in FIGURES},
}

# the smoke grid's runs: 2 nets x 5 methods x 4 ablations, and 4 allocations' unmodified runs
RUNS = 2 * 5 * 4 + 4


def test_every_figure_of_the_smoke_grid_is_legible_in_the_report(smoke_run):
    """Section 3 of the report's conventions on the smoke grid's own tables: every label at
    least plots.SMALLEST_PX pixels as the report shows the figure, the legends below the
    panels and no wider, solid lines only for unmodified masks."""
    import matplotlib.pyplot as plt

    from pai.config.files import read_configs
    from pai.config.study import Study
    from pai.reporting import plots

    config = read_configs([smoke_run / "config.yaml", smoke_run / "presets/smoke.yaml"])
    study = Study(config, base=smoke_run)
    plots.style(config["plots"], config["grid"]["methods"])
    for name, figure in registry.FIGURES.items():
        table = pd.read_parquet(smoke_run / f"results/tables/{figure.table}.parquet")
        drawn = plots.draw(name, table, study.analysis_sparsities()).figure
        shown, text = plots.smallest_text_px(drawn, config["plots"]["dpi"])
        assert shown >= plots.SMALLEST_PX, f"{name}: {text!r} is {shown:.1f} px in the report"
        renderer = drawn.canvas.get_renderer()
        panels = plots.panels_box(drawn)
        for block in drawn.legends:
            box = block.get_window_extent(renderer)
            assert box.y1 <= panels.y0 and box.x1 <= panels.x1 + 1, name
        plt.close(drawn)


def test_every_table_and_figure_is_written(smoke_run):
    for name in FIGURES:
        for ext in ("png", "pdf"):
            assert (smoke_run / f"results/figures/{name}.{ext}").stat().st_size > 1000


def test_the_runs_table_has_every_run_and_its_regime(smoke_run):
    runs = pd.read_parquet(smoke_run / "results/tables/runs.parquet")
    # nets x methods x ablations, and the allocations' unmodified runs (Uniform+ and erk)
    assert len(runs) == RUNS
    allocated = runs[runs["method"].isin(["erk", "uniform_plus"])]
    assert set(allocated["ablation"]) == {"unmodified"} and len(allocated) == 4
    assert runs["effective_density"].between(0, 1).all()
    # each run is "matching" up to its net's matching sparsity and "extreme" beyond (which nets
    # reach dense accuracy on the smoke grid's few epochs varies with the CPU's arithmetic)
    assert set(runs["regime"]) <= {"matching", "extreme"}
    limit = runs["matching_sparsity"].fillna(-1.0)
    assert ((runs["regime"] == "matching") == (runs["sparsity"] <= limit)).all()
    assert set(runs["ablation"]) == {"unmodified", "shuffle", "reinit", "invert"}
    matching = pd.read_parquet(smoke_run / "results/tables/matching.parquet")
    assert set(matching["net"]) == {"lenet300-digits", "resnet20-synthetic"}


def test_table1_has_singh_and_lius_columns_and_contrast(smoke_run):
    assert "Table 1's sparsity per net" in (smoke_run / "results/tables/table1.md").read_text()
    table1 = pd.read_csv(smoke_run / "results/tables/table1.csv")
    assert list(table1.columns) == [
        "net", "method", "sparsity", "layer_set", "reinit", "reinit_std", "shuffle",
        "shuffle_std", "random", "random_std",
    ]  # fmt: skip
    snip = table1[table1["method"] == "snip"]
    assert (snip["random"] > snip["shuffle"]).all()  # the Singh & Liu contrast, even here
    assert set(table1["layer_set"]) == {"weights", "weights+bn_gamma"}
    assert set(table1.loc[table1["layer_set"] == "weights+bn_gamma", "net"]) == {
        "resnet20-synthetic"
    }


def test_the_distance_table_has_both_stages_entry_sets_and_resnets_gammas(smoke_run):
    distances = pd.read_parquet(smoke_run / "results/tables/distances.parquet")
    assert set(distances["stage"]) == {"init", "trained"}
    assert set(distances["entries"]) == {"all", "unpruned"}
    assert set(distances["comparison"]) == {"shuffle", "reinit", "invert", "random"}
    # Singh & Liu's ResNet-20 notebook set: the 22 weights and the 21 BatchNorm gammas
    resnet = distances[(distances["net"] == "resnet20-synthetic") & (distances["method"] == "snip")]
    layers = resnet[resnet["comparison"] == "shuffle"].drop_duplicates("layer")
    assert layers["tensor"].value_counts().to_dict() == {"weight": 22, "bn_gamma": 21}


def _topology_per_run(smoke_run) -> pd.DataFrame:
    topology = pd.read_parquet(smoke_run / "results/tables/topology.parquet")
    return (
        topology.drop_duplicates(["net", "method", "ablation"])
        .set_index(["net", "method", "ablation"])
        .sort_index()
    )


def test_the_topology_table_has_every_start_mask(smoke_run):
    per_run = _topology_per_run(smoke_run)
    assert len(per_run) == RUNS and (per_run["effective_sparsity"] >= 0.75 - 1e-9).all()
    assert per_run["npb_effective_nodes"].le(per_run["npb_total_nodes"]).all()
    assert per_run["supported"].all()


def test_the_channel_table_has_every_share(smoke_run):
    tables = smoke_run / "results/tables"
    channels = pd.read_parquet(tables / "channels.parquet")
    assert len(channels) == RUNS * 51 and channels["share"].between(0, 1).all()
    assert (channels[channels["threshold"] == 0]["share"] == 1).all()


def test_synflows_narrow_mask_is_widened_by_its_shuffle(smoke_run):
    per_run = _topology_per_run(smoke_run)
    for net in ("lenet300-digits", "resnet20-synthetic"):
        # Pham et al.: SynFlow's mask is narrow, its layerwise shuffle keeps every node
        synflow = per_run.loc[(net, "synflow")]
        assert synflow.loc["shuffle", "effective_nodes"] == synflow.loc["shuffle", "total_nodes"]
        assert (
            synflow.loc["unmodified", "effective_nodes"] < synflow.loc["shuffle", "effective_nodes"]
        )


def test_the_similarity_table_compares_every_run(smoke_run):
    tables = smoke_run / "results/tables"
    similarity = pd.read_parquet(tables / "similarity.parquet")
    assert set(similarity["comparison"]) == {"shuffle", "reinit", "invert", "random", "dense"}
    # every trained run against the dense net of its seed (Blakeney et al.)
    to_dense = similarity[similarity["comparison"] == "dense"]
    assert len(to_dense.drop_duplicates(["net", "method", "ablation"])) == RUNS
    assert similarity["cka"].dropna().between(0, 1 + 1e-9).all()
    assert similarity["svcca"].dropna().between(0, 1 + 1e-9).all()
    # NaN only where a layer's output is constant: inverted masks that empty whole layers
    assert set(similarity.loc[similarity["cka"].isna(), "ablation"]) <= {"invert"}
    assert len(similarity[similarity["net"] == "resnet20-synthetic"]["layer"].unique()) == 20


def test_the_distance_tests_are_singh_and_lius_families(smoke_run):
    tables = smoke_run / "results/tables"
    tests = pd.read_parquet(tables / "distance_tests.parquet")
    assert set(tests["claim"]) == {"W1(random) > W1(shuffle)", "W1(random) > W1(reinit)"}
    # no smoke net is trained as Singh & Liu trained theirs: no confirmatory test, the pooled
    # estimates are secondary (per net and entry set, both parts), with no verdict
    assert not (tests["role"] == "confirmatory").any()
    secondary = tests[tests["role"] == "secondary"]
    assert len(secondary) == 2 * 2 * 2 and set(secondary["methods"]) == {"snip, synflow"}
    assert set(secondary["verdict"]) == {"estimate (no verdict)"}
    assert set(tests.loc[tests["role"] == "exploratory", "verdict"]) == {"exploratory"}


def test_the_ablation_effects_are_estimates_and_the_claims_one_test_each(smoke_run):
    tables = smoke_run / "results/tables"
    effects = pd.read_parquet(tables / "ablation_effects.parquet")
    assert set(effects["ablation"]) == {"shuffle", "reinit", "invert"}
    # one seed: no interval; every cell an estimate, random pruning's with no claim
    assert effects["ci_low"].isna().all() and "p_value" not in effects
    claims = effects.drop_duplicates(["method", "ablation"]).set_index(["method", "ablation"])
    assert set(claims.loc["random", "verdict"]) == {"descriptive (no claim)"}
    assert claims.loc[("snip", "shuffle"), "expected"] == "no worse"
    assert claims.loc[("lottery", "shuffle"), "claim"] == "shuffle worse than unmodified"
    assert set(effects.loc[effects["method"] != "random", "verdict"]) <= {
        "estimate (no verdict)", "descriptive (no claim)"
    }  # fmt: skip
    assert set(effects["range"]) == {"declared"}  # 0.75 is declared for both smoke nets
    lenet = effects[effects["net"] == "lenet300-digits"]
    assert lenet["effective_density"].between(0, 1).all()  # from the topology of every mask
    # the confirmatory tests: one per net, claim and set; one seed gives no test
    pooled = pd.read_parquet(tables / "mtm_claims.parquet")
    confirmatory = pooled[pooled["role"] == "confirmatory"]
    lenet = confirmatory[confirmatory["net"] == "lenet300-digits"].set_index(
        ["set", "family", "ablation"]
    )
    assert lenet.loc[("reproduction", "init", "shuffle"), "methods"] == "snip, synflow"
    assert lenet.loc[("reproduction", "after_training", "reinit"), "methods"] == (
        "magnitude_trained, lottery"
    )
    assert set(confirmatory["verdict"]) == {"no test"}
    calibration = pooled[pooled["role"] == "calibration"]
    assert set(calibration["methods"]) == {"random"}


def test_table1_is_set_beside_the_paper(smoke_run):
    versus = (smoke_run / "results/tables/table1_vs_paper.md").read_text()
    assert (
        "| LeNet-MNIST | snip | lenet300-digits (digits, 3 epochs, sparsity 0.75) | "
        "conv/fc weights | 0.0084 |" in versus
    )
    assert "Conventions of our values" in versus


def test_dense_baseline_of_two_seeds(smoke_run, tmp_path):
    workdir = copy_workdir(smoke_run, tmp_path / "run")
    override = workdir / "seeds.yaml"
    override.write_text("grid: {seeds: [0, 1]}\n")
    target = "results/dense/net=lenet300-digits/similarity.parquet"
    snakemake(workdir, target, "--configfile", "presets/smoke.yaml", str(override))
    baseline = pd.read_parquet(workdir / target)
    assert list(baseline["layer"]) == ["fc_layers.0", "fc_layers.1", "fc"]
    assert set(baseline["comparison"]) == {"dense seed 1"} and set(baseline["method"]) == {"dense"}
    assert baseline["svcca"].between(0.3, 1.0).all() and baseline["cka"].between(0.3, 1.0).all()
    record = json.loads((workdir / "results/dense/net=lenet300-digits/seed=1/run.json").read_text())
    assert record["density"] == 1.0 and record["epochs"] == 3


def test_runs_keep_their_invariants(smoke_run):
    base = smoke_run / "results/runs/net=resnet20-synthetic/method=snip/sparsity=0.75/seed=0"
    unmodified = torch.load(base / "ablation=unmodified/start.pt", weights_only=True)
    shuffled = torch.load(base / "ablation=shuffle/start.pt", weights_only=True)
    for name, mask in unmodified["mask"].items():
        assert int(shuffled["mask"][name].sum()) == int(mask.sum())
    for ablation in ("unmodified", "shuffle", "reinit", "invert"):
        start = torch.load(base / f"ablation={ablation}/start.pt", weights_only=True)
        trained = torch.load(base / f"ablation={ablation}/trained.pt", weights_only=True)
        for name, mask in start["mask"].items():
            assert torch.equal(trained[name][~mask], torch.zeros(int((~mask).sum())))
        record = json.loads((base / f"ablation={ablation}/run.json").read_text())
        assert record["ablation"] == ablation and record["epochs"] == 2
        assert record["provenance"]["versions"]["torch"]
        assert not (base / f"ablation={ablation}/checkpoint.pt").exists()


def _report_data(html: str, name: str) -> dict:
    """A JavaScript object of Snakemake's report (``var results = {...};``) as Python."""
    match = re.search(rf"var {name} = (\{{.*?\}});\n", html, re.DOTALL)
    assert match, f"the report has no {name}"
    return json.loads(match.group(1))


def test_report_embeds_every_figure_with_its_caption_and_opens_on_the_study(smoke_run):
    snakemake(smoke_run, *SMOKE, "--report", "report.html")
    html = (smoke_run / "report.html").read_text()
    results = _report_data(html, "results")
    categories = _report_data(html, "categories")
    for name, figure in registry.FIGURES.items():
        entry = results[f"results/figures/{name}.png"]
        # the image is the figure itself, byte for byte
        encoded = entry["data_uri"].split("base64,", 1)[1]
        png = (smoke_run / f"results/figures/{name}.png").read_bytes()
        assert base64.b64decode(encoded) == png, name
        # its caption is its own, rendered
        caption = (REPO / "workflow/report" / f"{name}.rst").read_text().split()[:6]
        assert " ".join(caption) in html_text.unescape(entry["caption"]).replace("\n", " "), name
        # filed under its paper
        listed = [path for sub in categories[figure.paper].values() for path in sub]
        assert f"results/figures/{name}.png" in listed, name
    # the tables as HTML, shown in the page (the .md files stay beside them, not in the report)
    for table in (
        "table1.html", "table1_vs_paper.html", "distance_tests.html", "ablation_effects.html",
        "mtm_claims.html", "matching.html", "study.rst",
    ):  # fmt: skip
        assert f"results/tables/{table}" in results, table
    assert not any(path.endswith(".md") for path in results)
    # the first page: what was run and what it found, not a diagram of every job
    study = (smoke_run / "results/tables/study.md").read_text()
    assert "## What was run" in study and "## The claims, tested over seeds" in study
    # the confirmatory tests by set and family, the benchmarks tested for "worse"
    assert "| reproduction | shuffle no worse than unmodified (margin 0.5 points) |" in study
    assert "| reproduction | shuffle worse than unmodified | magnitude_trained, lottery" in study
    assert "pruned after training (MtM's benchmarks), at 0.75: shuffle worse than" in study
    assert "lenet300-digits (lenet300 on digits) is not one of MtM's nets" in study
    assert ("What was run" in html and "MtM&#x27;s matching sparsities" in html) or (
        "MtM's matching sparsities" in html
    )


def test_complete_run_plans_nothing(smoke_run):
    assert planned_jobs(smoke_run, *SMOKE) == {}


def test_moved_project_plans_nothing(smoke_run, tmp_path):
    # no rule may hold an absolute path in its params: moving a project would retrain it all
    moved = copy_workdir(smoke_run, tmp_path / "elsewhere")
    assert planned_jobs(moved, *SMOKE) == {}


def test_moving_the_code_plans_nothing(smoke_run, tmp_path):
    # A reorganised library (every built-in's function and builder now reached through another
    # module) pulled over a finished grid: every code file newer than every result, as a git
    # checkout leaves them. A job's params name a built-in by name and version, never by where
    # its code lives, and a script's file time reruns nothing (profiles/default), so nothing runs.
    moved = copy_workdir(smoke_run, tmp_path / "moved")
    registry_file = moved / "src/pai/config/registry.py"
    text = registry_file.read_text()
    references = sorted(set(re.findall(r'"(pai\.[\w.]+):(\w+)"', text)))
    assert len(references) > 10, references  # methods, architectures and figures
    imports = [f"from {mod} import {function}  # noqa: F401\n" for mod, function in references]
    (moved / "src/pai/moved_here.py").write_text("".join(imports))
    registry_file.write_text(re.sub(r'"pai\.[\w.]+:(\w+)"', r'"pai.moved_here:\1"', text))
    for folder in ("src", "workflow"):
        for path in (moved / folder).rglob("*"):
            path.touch()
    (moved / "Snakefile").touch()
    assert planned_jobs(moved, *SMOKE) == {}


def _override(workdir, name, text):
    path = workdir / f"{name}.yaml"
    path.write_text(text)
    return ("--configfile", "presets/smoke.yaml", str(path))


def test_adding_a_seed_plans_only_the_new_runs(smoke_run):
    grid = yaml.safe_load((REPO / "presets/smoke.yaml").read_text())["grid"]
    grid["seeds"] = [0, 1]
    args = _override(smoke_run, "two_seeds", yaml.safe_dump({"grid": grid}))
    # a second seed also brings the dense baseline of the similarity analysis, per net, and
    # seed 0's similarity job reruns too: its runs are now also compared with seed 1's dense net
    # (the like-for-like partner of that baseline)
    dense = {"dense_similarity": 2, "compute_similarity": 2 * PER_SEED_RULES["compute_similarity"]}
    assert planned_jobs(smoke_run, *args) == {**PER_SEED_RULES, **dense, **DOWNSTREAM}


def test_a_plot_setting_reruns_only_plots(smoke_run):
    args = _override(smoke_run, "dpi", "plots: {dpi: 90, context: paper}\n")
    assert planned_jobs(smoke_run, *args) == {f"plot_{f}": 1 for f in FIGURES} | {"all": 1}


def test_epochs_of_one_net_rerun_only_its_training_and_downstream(smoke_run):
    nets = yaml.safe_load((REPO / "presets/smoke.yaml").read_text())["nets"]
    nets["lenet300-digits"]["epochs"] = 4
    args = _override(smoke_run, "epochs", yaml.safe_dump({"nets": nets}))
    plan = planned_jobs(smoke_run, *args)
    assert plan == {
        "train_model": 5,
        "train_allocation": 2,  # Uniform+ and erk
        # the dense run changes, and with it everything MtM's benchmarks prune from it: the
        # magnitude_trained scores and mask, every lottery round and mask, their start states
        "train_dense": 1,
        "score_weights": 1,
        "make_mask": 1,  # magnitude_trained's cell
        "make_lottery_mask": 7,
        "train_lottery_round": 6,
        "apply_ablation": 1,  # the lottery cell
        "analyse_weights": 1,
        "compute_similarity": 1,
        **DOWNSTREAM,
    }


def test_lint_and_format_are_clean():
    lint = snakemake(REPO, "--lint", "--configfile", "presets/smoke.yaml", check=False)
    assert lint.returncode == 0 and "Lints for" not in lint.stdout + lint.stderr, lint.stdout
    fmt = snakemake_fmt_check()
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def snakemake_fmt_check():
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow/rules"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )


@pytest.mark.network
def test_real_mnist_through_the_mirror(tmp_path, mnist_mirror):
    workdir = make_workdir(tmp_path)
    (workdir / "mnist.yaml").write_text(
        yaml.safe_dump(
            {
                "data": {
                    "root": "resources/data",
                    "mirrors": {"mnist": mnist_mirror, "cifar10": None},
                },
                "nets": {
                    "lenet300-mnist": {
                        "arch": "lenet300",
                        "dataset": "mnist",
                        "epochs": 1,
                        "batch_size": 128,
                        "lr": 0.1,
                        "momentum": 0.0,
                        "weight_decay": 0.0,
                        "milestones": [],
                        "gamma": 0.1,
                    }
                },
                "grid": {
                    "nets": ["lenet300-mnist"],
                    "methods": ["magnitude"],
                    "ablations": ["unmodified"],
                    "sparsities": [0.75],
                    "seeds": [0],
                },
            }
        )
    )
    snakemake(workdir, "results/tables/runs.parquet", "--configfile", "mnist.yaml")
    runs = pd.read_parquet(workdir / "results/tables/runs.parquet")
    assert len(runs) == 1
    assert runs["final_test_accuracy"].iloc[0] > 0.9  # one epoch of real MNIST
