"""Shared fixtures: one torch thread (see README: more threads per job is slower on 2 cores) and a
local HTTP mirror of MNIST served from ../shared/data/MNIST/raw when that folder exists."""

from __future__ import annotations

import pytest
import torch
from http_mirror import SHARED_MNIST
from pipeline_helpers import file_digests, make_workdir, snakemake

from pai.data.mirror import serve_folder

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def mnist_mirror():
    if not SHARED_MNIST.is_dir():
        pytest.skip(f"no MNIST files at {SHARED_MNIST} (only CI and the dev machines have them)")
    with serve_folder(SHARED_MNIST) as url:
        yield url


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory, mnist_mirror):
    """MNIST fetched once per test session through the mirror."""
    from pai.data import datasets

    root = tmp_path_factory.mktemp("mnist")
    datasets.load_mnist(root, mirror=mnist_mirror)
    return root


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """presets/smoke.yaml run to completion once; tests read it and dry-run changes on it."""
    workdir = make_workdir(tmp_path_factory.mktemp("smoke"))
    snakemake(workdir, "--configfile", "presets/smoke.yaml")
    return workdir


@pytest.fixture(scope="module")
def smoke_results(smoke_run):
    """The finished smoke run and the digest of every result file in it (not the timings under
    results/benchmarks/), taken once per test module: what a failing edit must leave as it was."""
    return smoke_run, file_digests(smoke_run / "results", skip=("benchmarks/",))
