"""download_data: fetch and verify one dataset; write its tensors and a manifest."""

import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from pai import data, pipeline, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
dataset = pipeline.load_data(snakemake.params.dataset)
# every later job reads these tensors instead of parsing the dataset again (seconds per job)
storage.save(data.to_cache(dataset), snakemake.output.tensors)
pipeline.write_json(
    {
        "dataset": dataset.name,
        "train": len(dataset.train_y),
        "test": len(dataset.test_y),
        "input_shape": list(dataset.input_shape),
        "classes": dataset.num_classes,
    },
    snakemake.output.manifest,
)
pipeline.end_job()
