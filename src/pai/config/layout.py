"""Where the pipeline writes what it computes (docs/design.md, "Paths"): the path patterns the
rules name as outputs and ``python -m pai export-masks`` reads back, in one place. Patterns take
the wildcards net, method, sparsity (the grid's label), seed and ablation. Torch-free.
"""

from __future__ import annotations

RUN = "net={net}/method={method}/sparsity={sparsity}/seed={seed}"
RUN_FOLDER = f"results/runs/{RUN}/ablation={{ablation}}"
GROUP = "results/analyses/net={net}/sparsity={sparsity}/seed={seed}"
DENSE = "results/dense/net={net}/seed={seed}"
LOTTERY_ROUND = "results/lottery/net={net}/seed={seed}/round={round}"
INIT = "results/init/net={net}/seed={seed}/weights.pt"
SCORES = "results/scores/net={net}/method={method}/seed={seed}/scores.pt"
MASK = f"results/masks/{RUN}/mask.pt"
# the weights a method's runs start from, by its registry ``start`` (init, trained, rewind)
START_WEIGHTS = {"init": INIT, "trained": f"{DENSE}/trained.pt", "rewind": f"{DENSE}/rewind.pt"}
