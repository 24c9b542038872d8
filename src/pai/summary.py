"""What a study ran and what it found, for the report's first page (results/tables/study.rst) and
for readers of the tables (study.md): the grid, Singh & Liu's Table 1 beside the paper, MtM's
matching sparsities, the verdicts of the claims' tests, and the similarity of pruned nets to
dense ones."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from . import paper, registry, stats, tables


def _value(value) -> str:
    if isinstance(value, float):
        return "–" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def rst_table(frame: pd.DataFrame, title: str = "") -> str:
    """A DataFrame as a reStructuredText list-table (what docutils renders in the report)."""
    if frame.empty:
        return "(nothing in this grid)\n"
    lines = [f".. list-table:: {title}".rstrip(), "   :header-rows: 1", ""]
    for row in [list(frame.columns), *frame.itertuples(index=False)]:
        cells = [_value(v) for v in row]
        lines.append(f"   * - {cells[0]}")
        lines += [f"     - {cell}" for cell in cells[1:]]
    return "\n".join(lines) + "\n"


def md_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "(nothing in this grid)\n"
    return tables.markdown(frame)


def table1_beside_paper(table1: pd.DataFrame, nets: Mapping[str, Mapping]) -> pd.DataFrame:
    """Our Table 1 rows for the entries trained as Singh & Liu trained theirs, beside their values
    and the ratio ours / paper."""
    rows = []
    for net_paper, methods in paper.PUBLISHED.items():
        same = [name for name, spec in nets.items() if paper.like_for_like(net_paper, spec)]
        for name in same:
            for method, published in methods.items():
                ours = table1[
                    (table1["net"] == name)
                    & (table1["method"] == method)
                    & (table1.get("layer_set", "weights") == "weights")
                ]
                if ours.empty:
                    continue
                row = {"net": name, "method": method}
                for column, theirs in zip(paper.COLUMNS, published, strict=True):
                    value = float(ours[column].iloc[0])
                    row[f"{column} (paper)"] = theirs
                    row[f"{column} (ours)"] = value
                    row[f"{column} ratio"] = value / theirs if math.isfinite(value) else math.nan
                rows.append(row)
    return pd.DataFrame(rows)


def verdict_counts(tests: pd.DataFrame, claim_keys: list[str]) -> pd.DataFrame:
    """Per net and claim: how many (method, sparsity) tests showed it, did not, or could not."""
    if tests.empty:
        return pd.DataFrame()
    rows = []
    for key, group in tests.groupby(claim_keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        counts = group["verdict"].value_counts()
        rows.append(
            {
                **dict(zip(claim_keys, key, strict=True)),
                "tests": len(group),
                "shown": int(counts.get("shown", 0)),
                "not shown": int(counts.get("not shown", 0)),
                "seeds agree, too few": int(counts.get(stats.TOO_FEW, 0)),
                "no test": int(counts.get(stats.NO_TEST, 0)),
                "seeds": int(group["seeds"].max()),
            }
        )
    return pd.DataFrame(rows)


def similarity_to_dense(similarity: pd.DataFrame, sparsities: Mapping[str, float]) -> pd.DataFrame:
    """Mean SVCCA over layers and seeds of each method's runs to the dense net of their seed, at
    each net's analysis sparsity, beside the dense two-seed baseline."""
    if "comparison" not in similarity or similarity.empty:
        return pd.DataFrame()
    to_dense = similarity[similarity["comparison"] == "dense"]
    wanted = to_dense["net"].map(lambda n: round(float(sparsities.get(n, math.nan)), 4))
    to_dense = to_dense[to_dense["sparsity"].round(4) == wanted]
    if to_dense.empty:
        return pd.DataFrame()
    table = to_dense.pivot_table(
        index=["net", "method"], columns="ablation", values="svcca", aggfunc="mean"
    )
    table = table[[a for a in registry.ABLATIONS if a in table.columns]].reset_index()
    baseline = similarity[similarity["method"] == "dense"].groupby("net")["svcca"].mean()
    table["dense vs dense"] = table["net"].map(baseline)
    return tables.sort_methods(table, ["net", "method"])


def study(
    runs: pd.DataFrame,
    table1: pd.DataFrame,
    matching: pd.DataFrame,
    effects: pd.DataFrame,
    tests: pd.DataFrame,
    similarity: pd.DataFrame,
    nets: Mapping[str, Mapping],
    sparsities: Mapping[str, float],
    table=rst_table,
) -> str:
    """The summary as reStructuredText (``table=rst_table``) or markdown (``md_table``)."""
    rst = table is rst_table

    def heading(text: str) -> str:
        return f"{text}\n{'-' * len(text)}\n\n" if rst else f"## {text}\n\n"

    cells = runs.drop_duplicates(["net", "method", "sparsity", "seed"])
    seeds = sorted(runs["seed"].unique()) if len(runs) else []
    out = [
        heading("What was run"),
        f"{len(runs)} trained runs: {len(cells)} cells (net, method, sparsity, seed) of "
        f"{runs['net'].nunique() if len(runs) else 0} nets, {len(seeds)} seed(s), the ablations "
        f"{', '.join(a for a in registry.ABLATIONS if a in set(runs.get('ablation', [])))}.\n\n",
        table(
            runs.groupby("net")
            .agg(
                methods=("method", lambda m: ", ".join(registry.ordered_methods(m.unique()))),
                sparsities=("sparsity", lambda s: ", ".join(f"{v:g}" for v in sorted(s.unique()))),
                seeds=("seed", "nunique"),
                runs=("seed", "size"),
            )
            .reset_index()
            if len(runs)
            else pd.DataFrame()
        ),
        "\n",
        heading("Singh & Liu's Table 1 beside the paper"),
        "Mean W1 over the prunable layers of the trained weights (pruned zeros included), for "
        "our entries trained as they trained theirs; ratio = ours / paper. All nets and the "
        "layer set with BatchNorm γ: table1_vs_paper.md.\n\n",
        table(table1_beside_paper(table1, nets)),
        "\n",
        heading("MtM's matching sparsities"),
        "The highest sparsity at which a benchmark pruned after training reaches the dense "
        "accuracy (within one standard deviation over dense seeds); beyond it, sparsities are "
        "extreme.\n\n",
        table(
            matching[
                [
                    c
                    for c in (
                        "net",
                        "dense_accuracy",
                        "matching_sparsity",
                        "benchmark",
                        "benchmark_accuracy",
                    )
                    if c in matching
                ]
            ]
        ),
        "\n",
        heading("The claims, tested over seeds"),
        "MtM: shuffling and reinitialising do not hurt (non-inferiority, margin "
        f"{_margin(effects)} accuracy points), inverting hurts; Singh & Liu: random pruning moves "
        "the trained weights farther (W1) than shuffling or reinitialising. Each family (one "
        f'claim on one net) is Holm-corrected; "shown" means p < {stats.ALPHA} after '
        "correction. With few seeds the exact test's smallest p is 2^-n "
        f"({stats.smallest_exact_p(len(seeds)):.3g} with {len(seeds)} "
        f"seed{'s' if len(seeds) != 1 else ''}). "
        "Every test: ablation_effects.md, distance_tests.md.\n\n",
        table(verdict_counts(effects, ["net", "claim"]) if len(effects) else pd.DataFrame()),
        "\n",
        table(verdict_counts(tests, ["net", "claim"]) if len(tests) else pd.DataFrame()),
        "\n",
        heading("Pruned against dense representations"),
        "Mean SVCCA over layers and seeds of each method's trained runs to the dense net of the "
        "same seed (Blakeney et al.), at each net's analysis sparsity, beside two dense nets of "
        "different seeds.\n\n",
        table(similarity_to_dense(similarity, sparsities)),
    ]
    return "".join(out)


def _margin(effects: pd.DataFrame) -> str:
    if effects.empty or "margin" not in effects:
        return "–"
    return f"{100 * float(effects['margin'].max()):g}"
