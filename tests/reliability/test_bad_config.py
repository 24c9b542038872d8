"""Bad config: `snakemake -n` stops at once with a message naming the key and the value, and the
results of a finished run stay byte-for-byte as they were."""

from __future__ import annotations

import pytest
import yaml
from pipeline_helpers import file_digests, snakemake

from pai.config import files

# (override layered on config.yaml + presets/smoke.yaml, text the message must contain)
BAD_CONFIGS = [
    ("grid: {nets: [lenet5-mnist]}", ["grid.nets", "lenet5-mnist"]),
    ("nets: {lenet300-digits: {arch: lenet5}}", ["nets.lenet300-digits.arch", "lenet5"]),
    (
        "nets: {lenet300-digits: {dataset: imagenet12}}",
        ["nets.lenet300-digits.dataset", "imagenet12"],
    ),
    ("nets: {lenet300-digits: {dataset: imagenet}}", ["data.folders.imagenet"]),
    ("grid: {methods: [snap]}", ["grid.methods[0]", "snap"]),
    ("grid: {sparsities: [1.0]}", ["grid.sparsities", "1.0"]),
    ("grid: {nets: [resnet18-tinyimagenet]}", ["data.folders.tinyimagenet"]),
    ("grid: {ablations: [flip]}", ["grid.ablations[0]", "flip"]),
    ("grid: {sparsities: [1]}", ["grid.sparsities[0]", "1 is greater than or equal"]),
    ("grid: {sparsities: [-0.1]}", ["grid.sparsities[0]", "-0.1"]),
    ("grid: {sparsities: [high]}", ["grid.sparsities[0]", "'high'"]),
    ("grid: {seeds: [0.5]}", ["grid.seeds[0]", "0.5"]),
    ('grid: {seeds: ["one"]}', ["grid.seeds[0]", "'one'"]),
    ("grid: {methods: []}", ["grid.methods", "[] should be non-empty"]),
    ("grid: {seeds: []}", ["grid.seeds", "[] should be non-empty"]),
    ("gird: {seeds: [0]}", ["'gird' was unexpected"]),
    ("grid: {sparsity: [0.5]}", ["config key grid", "'sparsity' was unexpected"]),
    (
        "nets: {newnet: {arch: lenet300, epochs: 1, batch_size: 1, lr: 0.1, momentum: 0,"
        " weight_decay: 0, milestones: [], gamma: 0.1}}",
        ["nets.newnet", "'dataset' is a required property"],
    ),
    ("nets: {lenet300-digits: {epochs: 0}}", ["nets.lenet300-digits.epochs", "0 is less than"]),
    ("nets: {lenet300-digits: {epochs: -3}}", ["nets.lenet300-digits.epochs", "-3"]),
    ("nets: {lenet300-digits: {lr: 0}}", ["nets.lenet300-digits.lr", "0 is less than or equal"]),
    ('data: {mirrors: {mnist: "not a url"}}', ["data.mirrors.mnist", "'not a url'"]),
    ("training: {device: tpu}", ["training.device", "'tpu'"]),
    ("analysis: {table1_sparsity: 1.5}", ["analysis.table1_sparsity", "1.5"]),
    ("analysis: {similarity_examples: 3}", ["analysis.similarity_examples", "3 is less than"]),
    ("scoring: {synflow_iterations: 0}", ["scoring.synflow_iterations", "0 is less than"]),
    ("plots: {context: huge}", ["plots.context", "'huge'"]),
    ("data: {folders: {svhn: x}}", ["data.folders.svhn", "not a folder dataset"]),
    ("plugins: {methods: {snip: {function: x.py:score}}}", ["plugins.methods.snip", "built-in"]),
    ("plugins: {methods: {mine: {data: true}}}", ["plugins.methods.mine", "give either function"]),
    # every problem of a config at once, not only the first
    (
        "grid: {sparsities: [2], seeds: [-1]}",
        ["the config has 2 problems", "grid.sparsities[0]", "grid.seeds[0]"],
    ),
]


@pytest.mark.parametrize(("override", "named"), BAD_CONFIGS, ids=[c[0][:40] for c in BAD_CONFIGS])
def test_bad_config_is_named_and_results_are_untouched(smoke_results, override, named, tmp_path):
    workdir, before = smoke_results
    bad = tmp_path / "bad.yaml"
    bad.write_text(override + "\n")
    result = snakemake(
        workdir, "-n", "--configfile", "presets/smoke.yaml", str(bad), check=False, timeout=60
    )
    message = result.stdout + result.stderr
    assert result.returncode != 0, message[-2000:]
    for text in named:
        assert text in message, message[-2000:]
    assert "Building DAG of jobs" not in message  # stopped before planning
    assert file_digests(workdir / "results", skip=("benchmarks/",)) == before


def test_every_section_of_the_config_has_a_bad_case():
    sections = set(files.load_schema()["properties"])
    covered = {next(iter(yaml.safe_load(override))) for override, _ in BAD_CONFIGS}
    assert sections <= covered, f"no bad config for {sorted(sections - covered)}"
    assert len({override for override, _ in BAD_CONFIGS}) == len(BAD_CONFIGS)
