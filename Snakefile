# Pruning-at-initialization ablations: Frankle et al. 2021 (MtM) and Singh & Liu 2021.
#
# Path map (docs/design.md), keyed net / method / sparsity / seed / ablation:
#   resources/data/{dataset}/{manifest.json,tensors.pt}              download_data
#   resources/identity/{dataset}.json                                dataset_identity
#   results/checks/{net=/method=,net=/architecture,dataset=}.json    check_method,
#                                                                    check_architecture,
#                                                                    check_dataset (plugins)
#   results/init/net=/seed=/weights.pt                               init_weights
#   results/scores/net=/method=/seed=/scores.pt                      score_weights (one-shot)
#   results/masks/net=/method=/sparsity=/seed=/mask.pt               make_mask, make_lottery_mask
#   results/runs/net=/method=/sparsity=/seed=/ablation=/start.pt    make_mask (lottery:
#                                                                    apply_ablation)
#       trained.pt, history.parquet, run.json                        train_model
#   results/analyses/net=/sparsity=/seed=/distances.parquet,         analyse_weights
#       topology.parquet, channels.parquet
#       similarity.parquet                                           compute_similarity
#   results/dense/net=/seed=/{trained.pt,rewind.pt,history.parquet,run.json}   train_dense
#   results/lottery/net=/seed=/round=/{trained.pt,history.parquet,run.json}   train_lottery_round
#   results/dense/net=/similarity.parquet                            dense_similarity
#   results/tables/{runs,layers,histories,distances,topology,similarity,channels,dense}.parquet,
#       matching.{parquet,md}, table1.{csv,md}                       aggregate_results
#   results/tables/{mtm_claims,ablation_effects,distance_tests}.{parquet,md}  compute_statistics
#   results/tables/table1_vs_paper.md                                compare_with_paper
#   results/tables/study.{rst,md}                                    summarise_study
#   results/figures/*.{png,pdf}                                      plot_*
#
#   snakemake --cores all                                  config.yaml (the paper grid)
#   snakemake --cores all --configfile presets/demo.yaml   offline demo

import os
import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.27")

# The library lives in src/. The Snakefile reads its registry and checks the config with it, and
# every job's script imports it from there too: jobs inherit this environment (Slurm jobs run the
# Snakefile again on their node), whether or not the package is installed.
SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)
# (update(), not a subscript: the linter takes os.environ[...] for a variable the workflow needs)
os.environ.update(
    PYTHONPATH=os.pathsep.join(
        part for part in (SRC, os.environ.get("PYTHONPATH")) if part
    )
)


configfile: "config.yaml"


# the report opens on the study: what was run and what it found (results/tables/study.rst)
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


# every name from the registry and the config's plugins (common.smk's STUDY)
wildcard_constraints:
    net="[A-Za-z0-9][A-Za-z0-9_-]*",
    method="|".join(STUDY.methods),
    sparsity=r"0(\.\d{1,4})?",
    seed=r"\d+",
    ablation="|".join(registry.ABLATIONS),
    dataset="|".join(STUDY.datasets),
    round=r"[1-9]\d*",


include: "workflow/rules/data.smk"
include: "workflow/rules/checks.smk"
include: "workflow/rules/init.smk"
include: "workflow/rules/scoring.smk"
include: "workflow/rules/masks.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/distances.smk"
include: "workflow/rules/analyses.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/statistics.smk"
include: "workflow/rules/plots.smk"


# a failed run ends on each distinct problem once, the plugin or file at fault and its logs
# (pai.jobs.failures), instead of on Snakemake's "At least one job did not complete successfully"
onerror:
    print(failures.summary(log), file=sys.stderr)


rule all:
    default_target: True
    input:
        rules.aggregate_results.output,
        rules.compute_statistics.output,
        rules.compare_with_paper.output,
        rules.summarise_study.output,
        [getattr(rules, f"plot_{name}").output for name in FIGURES],
