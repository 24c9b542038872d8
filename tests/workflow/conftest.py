import pytest
from pipeline_helpers import make_workdir, snakemake


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """presets/smoke.yaml run to completion once; tests read it and dry-run changes on it."""
    workdir = make_workdir(tmp_path_factory.mktemp("smoke"))
    snakemake(workdir, "--configfile", "presets/smoke.yaml")
    return workdir
