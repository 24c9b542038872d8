"""Corrupt files where the pipeline expects its own inputs: the job that reads one fails with an
error naming the file, nothing downstream is written from it, and deleting it recomputes it.

Each case works on a copy of the finished smoke run (`smoke_run`), damages one file and runs
Snakemake again. A damaged file is newer than what was made from it, so Snakemake reruns its
consumers; the dataset's tensors are an `ancient` input (a new mirror URL must not retrain
everything), so that case deletes one consumer's outputs and asks for them by name (a missing
intermediate file alone does not make Snakemake rerun anything whose results are up to date).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from pipeline_helpers import copy_workdir, file_digests, snakemake

CELL = "net=resnet20-synthetic/method=random/sparsity=0.75/seed=0"
LENET_CELL = "net=lenet300-digits/method=snip/sparsity=0.75/seed=0"
# a mask another job reads: a lottery cell's (make_mask writes the other methods' masks beside
# the start states it makes from them in the same job)
LOTTERY_CELL = "net=resnet20-synthetic/method=lottery/sparsity=0.75/seed=0"
GROUP = "net=resnet20-synthetic/sparsity=0.75/seed=0"
# per-job timings and Snakemake's logs change on every run; they are not results
NOT_RESULTS = ("benchmarks/",)


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def scramble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for index in range(0, len(data), 7):
        data[index] ^= 0x5A
    path.write_bytes(bytes(data))


def garbage(path: Path) -> None:
    path.write_bytes(b"this is not what the pipeline wrote\n")


# (file to damage, how, outputs to delete and ask for so that a consumer reads it, failing rule)
CASES = [
    (f"results/masks/{LOTTERY_CELL}/mask.pt", truncate, [], "apply_ablation"),
    ("results/init/net=resnet20-synthetic/seed=0/weights.pt", scramble, [], None),
    (f"results/runs/{LENET_CELL}/ablation=shuffle/start.pt", garbage, [], "train_model"),
    (f"results/runs/{CELL}/ablation=reinit/history.parquet", truncate, [], "aggregate_results"),
    (f"results/analyses/{GROUP}/distances.parquet", scramble, [], "aggregate_results"),
    (f"results/runs/{CELL}/ablation=unmodified/run.json", truncate, [], "aggregate_results"),
    (
        "resources/data/digits/tensors.pt",
        truncate,
        [
            f"results/runs/{LENET_CELL}/ablation={a}/history.parquet"
            for a in ("unmodified", "invert")
        ],
        "train_model",
    ),
]


@pytest.mark.parametrize(
    ("damaged", "damage", "deleted", "failing_rule"),
    CASES,
    ids=[f"{c[1].__name__}-{Path(c[0]).name}-{c[0].split('/')[1]}" for c in CASES],
)
def test_corrupt_input_is_named_and_nothing_is_made_from_it(
    smoke_run, tmp_path, damaged, damage, deleted, failing_rule
):
    workdir = copy_workdir(smoke_run, tmp_path / "run")
    for path in deleted:
        (workdir / path).unlink()
    damage(workdir / damaged)
    before = file_digests(workdir / "results", skip=NOT_RESULTS)

    result = snakemake(workdir, *deleted, "--configfile", "presets/smoke.yaml", check=False)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert damaged in output, output[-3000:]  # the error names the file ...
    assert "delete it and rerun Snakemake to recompute it" in output  # ... and what to do
    if failing_rule:
        assert f"Error in rule {failing_rule}" in output, output[-3000:]
    after = file_digests(workdir / "results", skip=NOT_RESULTS)
    # nothing new and nothing rewritten: no file was made from the damaged one; the only files
    # gone are the outputs of the job that failed, which Snakemake removes before a job runs
    assert set(after) <= set(before)
    assert {path: after[path] for path in after} == {path: before[path] for path in after}
    assert (workdir / damaged).exists()


def test_deleting_the_corrupt_file_recomputes_it_exactly(smoke_run, tmp_path):
    workdir = copy_workdir(smoke_run, tmp_path / "run")
    mask_path = f"results/masks/{LOTTERY_CELL}/mask.pt"
    mask = workdir / mask_path
    truncate(mask)
    failed = snakemake(workdir, "--configfile", "presets/smoke.yaml", check=False)
    assert failed.returncode != 0

    # with the damaged file gone, the trained results (made from the good mask before it was
    # damaged) are up to date again; asking for the mask by name recomputes it, bit for bit
    mask.unlink()
    assert (
        "Nothing to be done"
        in snakemake(workdir, "-n", "--configfile", "presets/smoke.yaml").stdout
    )
    snakemake(workdir, mask_path, "--configfile", "presets/smoke.yaml")
    reference = smoke_run / "results"
    assert mask.read_bytes() == (reference / "masks" / LOTTERY_CELL / "mask.pt").read_bytes()

    # the new mask is newer than the runs made from it: they rerun, to the same bits
    snakemake(workdir, "--configfile", "presets/smoke.yaml")
    for ablation in ("unmodified", "shuffle", "reinit", "invert"):
        run = f"runs/{LOTTERY_CELL}/ablation={ablation}/trained.pt"
        ours = torch.load(workdir / "results" / run, weights_only=True)
        theirs = torch.load(reference / run, weights_only=True)
        assert ours.keys() == theirs.keys()
        assert all(torch.equal(ours[key], theirs[key]) for key in ours), run
