"""compare_with_paper: Singh & Liu's published Table 1 beside ours, with our conventions."""

import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))
import pandas as pd

from pai import paper, pipeline

pipeline.start_job(snakemake.log[0], snakemake.threads)
table1 = pd.read_csv(snakemake.input.table1)
text = paper.comparison(table1, snakemake.params.nets, snakemake.params.sparsity)
pipeline.write_text(text, snakemake.output[0])
pipeline.end_job()
