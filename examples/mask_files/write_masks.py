"""Masks written as another codebase would write them, for a method defined by files
(docs/extending.md, "Bring your own masks"): magnitude pruning of LeNet-300-100 on the digits,
with the file's own layer names (mapped back by the config's ``names``).

    python examples/mask_files/write_masks.py mask_files_out
    snakemake --cores 2 --configfile presets/smoke.yaml examples/mask_files.yaml

The masks, inits and scores are plain ``torch.save`` files of dicts of tensors. The init is the
pipeline's own for each seed (``build_net``), so ``magnitude_files`` trains exactly as
``magnitude`` does: the two lines of every table and figure must agree.
"""

import sys
from pathlib import Path

import torch

from pai.plugin import build_net, cell_masks, load_digits, method_settings

OURS_TO_THEIRS = {"fc_layers.0.weight": "hidden1", "fc_layers.1.weight": "hidden2",
                  "fc.weight": "output"}  # fmt: skip
SPARSITIES, SEEDS = ["0.75"], [0]  # the smoke grid's


def main(out: Path) -> None:
    d = load_digits()
    for seed in SEEDS:
        model = build_net("lenet300", d.input_shape, d.num_classes, seed=seed)
        folder = out / "lenet300-digits" / f"seed={seed}"
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), folder / "init.pt")
        params = dict(model.named_parameters())
        scores = {OURS_TO_THEIRS[n]: params[n].detach().abs() for n in OURS_TO_THEIRS}
        torch.save(scores, folder / "scores.pt")
        for sparsity in SPARSITIES:
            mask = cell_masks(method_settings("magnitude"), model, float(sparsity), seed=seed)
            cell = out / "lenet300-digits" / f"sparsity={sparsity}" / f"seed={seed}"
            cell.mkdir(parents=True, exist_ok=True)
            theirs = {OURS_TO_THEIRS[n]: m for n, m in mask["unmodified"].items()}
            torch.save(theirs, cell / "mask.pt")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "mask_files_out"))
