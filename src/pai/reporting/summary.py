"""What a study ran and what it found, for the report's first page (results/tables/study.rst) and
for readers of the tables (study.md): the grid, Singh & Liu's Table 1 beside the paper, MtM's
matching sparsities, the verdicts of the claims' tests, and the similarity of pruned nets to
dense ones."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from pai.analysis import allocations, stats
from pai.analysis import claims as claims_module
from pai.analysis.claims import SEEDS_NEEDED
from pai.config import registry
from pai.reporting import numbers, paper, tables


def rst_table(frame: pd.DataFrame, title: str = "") -> str:
    """A DataFrame as a reStructuredText list-table (what docutils renders in the report)."""
    if frame.empty:
        return tables.NOTHING
    lines = [f".. list-table:: {title}".rstrip(), "   :header-rows: 1", ""]
    for row in [list(frame.columns), *frame.itertuples(index=False)]:
        cells = [numbers.cell(v) for v in row]
        lines.append(f"   * - {cells[0]}")
        lines += [f"     - {cell}" for cell in cells[1:]]
    return "\n".join(lines) + "\n"


md_table = tables.markdown_or_nothing


def table1_beside_paper(table1: pd.DataFrame, nets: Mapping[str, Mapping]) -> pd.DataFrame:
    """Our Table 1 rows (default layer set) for the entries of the architectures Singh & Liu ran,
    beside their values and the ratio ours / paper (:func:`pai.reporting.paper.beside`), entry
    by entry; ``like for like`` says whether the entry is trained as they trained theirs (the
    others' numbers are not expected to match)."""
    found = [
        row
        for row in paper.beside(table1, nets)
        if row.net is not None and row.layer_set == "weights" and row.found
    ]
    papers, names = list(paper.PUBLISHED), list(nets)
    found.sort(
        key=lambda row: (papers.index(row.paper), not row.like_for_like, names.index(row.net))
    )
    rows = []
    for row in found:
        shown = {"net": row.net, "like for like": "yes" if row.like_for_like else "no"}
        shown["method"] = row.method
        for column, value, theirs in zip(paper.COLUMNS, row.ours, row.published, strict=True):
            shown[f"{column} (paper)"] = theirs
            shown[f"{column} (ours)"] = value
            shown[f"{column} ratio"] = value / theirs if math.isfinite(value) else math.nan
        rows.append(shown)
    return pd.DataFrame(rows)


def table1_gaps(nets: Mapping[str, Mapping]) -> str:
    """What each of our entries of an architecture Singh & Liu ran lacks to be like for like
    (their dataset, their epochs), as sentences; empty when every such entry is like for
    like."""
    lines = []
    for net_paper in paper.PUBLISHED:
        for name, spec in nets.items():
            if spec["arch"] != net_paper.arch or paper.like_for_like(net_paper, spec):
                continue
            lacks = []
            if spec["dataset"] != net_paper.dataset:
                lacks.append(f"{net_paper.dataset} instead of {spec['dataset']}")
            if int(spec["epochs"]) != net_paper.epochs:
                lacks.append(f"{net_paper.epochs} epochs instead of {spec['epochs']}")
            lines.append(
                f"- {name} is not trained as their {net_paper.label} was: it would need "
                f"{' and '.join(lacks)}; its numbers are not expected to match theirs.\n"
            )
    return "".join(lines)


def _seeds_text(seeds: int) -> str:
    return f"{seeds} seed{'s' if seeds != 1 else ''}"


def singh_liu_sentences(tests: pd.DataFrame) -> str:
    """One sentence per net and entry set of Singh & Liu's confirmatory test."""
    rows = confirmatory(tests)
    if rows.empty:
        return ""  # no random pruning or none of Table 1's methods in this grid
    lines = []
    entries_text = {"all": "all entries, as Table 1", "unpruned": "the kept weights alone"}
    for (net, entries), family in rows.groupby(["net", "entries"], sort=False):
        verdict = family["verdict"].iloc[0]
        seeds = int(family["seeds"].min())
        # the sentence names only the parts that were tested
        parts = [
            a for a in ("shuffle", "reinit") if f"W1(random) > W1({a})" in set(family["claim"])
        ]
        claim = (
            f"{net}, {entries_text.get(entries, entries)}, sparsity "
            f"{family['sparsity'].iloc[0]:g}: random pruning moves the trained weights farther "
            f"than {' and '.join(parts)} (the mean over {family['methods'].iloc[0]})"
        )
        p = float(family["p_adjusted"].iloc[0])
        if verdict.startswith(stats.NO_TEST.split(" (")[0]) and verdict != stats.NO_TEST:
            told = verdict  # a part is missing: no test, and why
        elif verdict == stats.SHOWN:
            told = f"shown, p = {p:.3g} with {_seeds_text(seeds)}"
        elif verdict == stats.TOO_FEW:
            told = (
                f"cannot be shown: {_seeds_text(seeds)}, the smallest p is "
                f"{stats.smallest_exact_p(seeds):.3g}"
            )
        elif verdict == stats.NO_TEST:
            told = "no test: one seed"
        else:
            told = f"not shown, p = {p:.3g} with {_seeds_text(seeds)}"
        lines.append(f"- {claim}: {told}.\n")
    return "".join(lines)


def _points(value: float) -> str:
    return numbers.MISSING if not math.isfinite(value) else f"{100 * value:+.1f}"


def _estimate(row) -> str:
    """A difference in points with its interval, e.g. "-0.9 [-3.1, +1.2]"."""
    text = _points(float(row["difference"]))
    if math.isfinite(float(row["ci_low"])):
        text += f" [{_points(float(row['ci_low']))}, {_points(float(row['ci_high']))}]"
    return text


def mtm_claims_table(pooled: pd.DataFrame, role: str = claims_module.CONFIRMATORY) -> pd.DataFrame:
    """MtM's pooled tests (or, ``role`` calibration, the negative controls) for people, narrow
    enough to read in the report: the estimate in points with its 90% interval, the verdict and
    its p; the rest (family, exclusions, power, the unrestricted analysis) is in the sentences
    and in mtm_claims.md."""
    if pooled.empty:
        return pd.DataFrame()
    rows = []
    for _, row in pooled[pooled["role"] == role].iterrows():
        shown = {"net": row["net"]}
        if role == claims_module.CONFIRMATORY:
            shown["set"] = row["set"]
        shown |= {
            "claim": row["claim"],
            "methods at sparsities": f"{row['methods']} at {row['sparsities'] or '–'}",
            "seeds": int(row["seeds"]),
            "estimate (points, 90% interval)": _estimate(row),
        }
        if role == claims_module.CONFIRMATORY:
            shown |= {"verdict": row["verdict"], "p": row["p_value"]}
        else:
            shown["collapsed runs"] = int(row["collapsed_runs"])
        rows.append(shown)
    return pd.DataFrame(rows)


def mtm_claim_sentences(pooled: pd.DataFrame) -> str:
    """One sentence a reader can quote per confirmatory test, saying what the design could
    show where it shows nothing."""
    if pooled.empty:
        return ""
    lines = []
    for _, row in pooled[pooled["role"] == claims_module.CONFIRMATORY].iterrows():
        seeds = int(row["seeds"])
        text = (
            f"- {row['net']}, {row['set']} ({row['methods']}), "
            f"{registry.FAMILY_TITLES.get(row['family'], row['family'])}, at "
            f"{row['sparsities'] or 'no declared sparsity'}: {row['claim']}: {row['verdict']}"
        )
        if seeds:
            text += f"; mean {_estimate(row)} points over {_seeds_text(seeds)}"
        if row["verdict"] in (
            claims_module.SHOWN,
            claims_module.SHOWN_WORSE,
            claims_module.NOT_SHOWN,
        ):
            text += f", p = {float(row['p_value']):.3g}"
        if row["verdict"] == claims_module.TOO_FEW:
            text += (
                f"; with {_seeds_text(seeds)} the exact test's smallest p is "
                f"{float(row['smallest_p']):.3g}: it needs {int(row['seeds_needed'])} seeds that "
                "all agree"
            )
        if int(row["collapsed_runs"]):
            text += f"; {int(row['collapsed_runs'])} collapsed run(s) counted in"
        if row["excluded"]:
            text += (
                f"; left out: {row['excluded']} (unrestricted: "
                f"{_points(float(row['unrestricted_difference']))} points, "
                f"{row['unrestricted_verdict']})"
            )
        if seeds >= claims_module.SEEDS_NEEDED and math.isfinite(float(row["detectable"])):
            shift = _points(float(row["detectable"])).lstrip("+")
            text += f"; the smallest shift it could show at this spread: about {shift} points"
        lines.append(text + ".\n")
    return "".join(lines)


def estimates(effects: pd.DataFrame, where: str) -> pd.DataFrame:
    """Per net, method and sparsity in the range ``where`` (declared or extreme): each
    ablation's estimate in points with its interval and seeds, the collapsed ablated runs
    counted apart, and the masks' effective density (unmodified, then each ablation)."""
    if effects.empty or "range" not in effects:
        return pd.DataFrame()
    chosen = effects[effects["range"] == where]
    if chosen.empty:
        return pd.DataFrame()
    ablations = [a for a in registry.ABLATIONS if a in set(chosen["ablation"])]
    rows = []
    for (net, method, sparsity), cell in chosen.groupby(["net", "method", "sparsity"]):
        cell = cell.set_index("ablation")
        row = {"net": net, "method": method, "sparsity": sparsity}
        for ablation in ablations:
            if ablation not in cell.index:
                row[ablation] = numbers.MISSING
                continue
            one = cell.loc[ablation]
            text = f"{_estimate(one)} ({_seeds_text(int(one['seeds']))}"
            if int(one["collapsed_runs"]):
                text += f"; {int(one['collapsed_runs'])} collapsed"
            row[ablation] = text + ")"
        densities = [cell["effective_density"].iloc[0]] + [
            cell.loc[a, "ablated_effective_density"] for a in ablations if a in cell.index
        ]
        row["effective density (%): unmodified, " + ", ".join(ablations)] = ", ".join(
            numbers.MISSING if not math.isfinite(float(v)) else f"{100 * float(v):.1f}"
            for v in densities
        )
        rows.append(row)
    return tables.sort_methods(pd.DataFrame(rows), ["net", "method", "sparsity"])


def grid_caveats(runs: pd.DataFrame, nets: Mapping[str, Mapping]) -> str:
    """What this grid cannot show, plainly: nets that are not MtM's, and too few seeds."""
    lines = []
    for name, spec in nets.items():
        if (spec["arch"], spec["dataset"]) not in paper.MTM_NETS:
            lines.append(
                f"- {name} ({spec['arch']} on {spec['dataset']}) is not one of MtM's nets: its "
                "numbers reproduce nothing of MtM and say nothing about MNIST or CIFAR.\n"
            )
    seeds = runs.groupby("net")["seed"].nunique() if len(runs) else pd.Series(dtype=int)
    for net, count in seeds.items():
        if count < SEEDS_NEEDED:
            lines.append(
                f"- {net} has {_seeds_text(int(count))}: the exact test cannot reach p < "
                f"{stats.ALPHA:g} below {SEEDS_NEEDED} seeds, so no claim can be shown on it; "
                "everything about it here is an estimate.\n"
            )
    return "".join(lines)


def confirmatory(tests: pd.DataFrame, role: str = "confirmatory") -> pd.DataFrame:
    """Singh & Liu's confirmatory tests, one per like-for-like net (or, ``role`` secondary, the
    same pooled estimates elsewhere)."""
    if tests.empty or "role" not in tests:
        return pd.DataFrame()
    rows = tests[tests["role"] == role]
    columns = [
        "net", "entries", "sparsity", "methods", "claim", "seeds", "random_w1", "ablation_w1",
        "difference", "ci_low", "ci_high", "p_value", "p_adjusted", "verdict",
    ]  # fmt: skip
    if role != "confirmatory":  # estimates: no corrected p, no verdict to read
        columns = [c for c in columns if c != "p_adjusted"]
    return rows[columns].reset_index(drop=True)


def similarity_to_dense(similarity: pd.DataFrame, sparsities: Mapping[str, float]) -> pd.DataFrame:
    """Mean SVCCA over layers and seeds of each method's runs to the dense net of their seed, at
    each net's analysis sparsity, beside the unmodified runs against the dense net of another
    seed and the dense two-seed baseline."""
    if "comparison" not in similarity or similarity.empty:
        return pd.DataFrame()
    wanted = similarity["net"].map(lambda n: round(float(sparsities.get(n, math.nan)), 4))
    at = similarity[similarity["sparsity"].round(4) == wanted]
    to_dense = at[at["comparison"] == "dense"]
    if to_dense.empty:
        return pd.DataFrame()
    table = to_dense.pivot_table(
        index=["net", "method"], columns="ablation", values="svcca", aggfunc="mean"
    )
    table = table[[a for a in registry.ABLATIONS if a in table.columns]]
    other = at[(at["comparison"] == "dense, other seed") & (at["ablation"] == "unmodified")]
    if len(other):
        cross = other.groupby(["net", "method"])["svcca"].mean()
        table["unmodified vs dense of another seed"] = cross.reindex(table.index)
    table = table.reset_index()
    baseline = similarity[similarity["method"] == "dense"].groupby("net")["svcca"].mean()
    table["dense vs dense"] = table["net"].map(baseline)
    return tables.sort_methods(table, ["net", "method"])


def study(
    runs: pd.DataFrame,
    table1: pd.DataFrame,
    matching: pd.DataFrame,
    effects: pd.DataFrame,
    claims: pd.DataFrame,
    tests: pd.DataFrame,
    similarity: pd.DataFrame,
    nets: Mapping[str, Mapping],
    sparsities: Mapping[str, float],
    table=rst_table,
    allocation_claims: pd.DataFrame | None = None,
    allocation_effects: pd.DataFrame | None = None,
) -> str:
    """The summary as reStructuredText (``table=rst_table``) or markdown (``md_table``)."""
    rst = table is rst_table

    def heading(text: str) -> str:
        return f"{text}\n{'-' * len(text)}\n\n" if rst else f"## {text}\n\n"

    cells = runs.drop_duplicates(["net", "method", "sparsity", "seed"])
    caveats, singh_liu = grid_caveats(runs, nets), confirmatory(tests)
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
        "our entries of the architectures they ran, the ones trained as they trained theirs "
        "first (like for like); ratio = ours / paper. The layer set with BatchNorm γ: "
        "table1_vs_paper.md.\n\n",
        table(table1_beside_paper(table1, nets)),
        "\n",
        table1_gaps(nets),
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
        caveats,
        "\n" if caveats else "",
        "One test per claim, declared before anything was trained; every other number is an "
        f"estimate with its interval. Each claim is one-sided at α = {stats.ALPHA:g}, tested "
        "by the exact sign-flip test over seeds: its smallest p is 2^-n "
        f"({stats.smallest_exact_p(len(seeds)):.3g} with {_seeds_text(len(seeds))}), so a "
        f"claim needs at least {SEEDS_NEEDED} seeds that all agree. Every interval is the "
        f"two-sided {100 * stats.CONFIDENCE:g}% t interval over seeds, unadjusted: a measure "
        "of size, not a verdict.\n\n",
        "**MtM**, confirmatory: per net and claim, for MtM's own methods (the reproduction) and "
        "apart for every other method (the extension), the per-seed mean over the methods and "
        "the net's declared sparsities of (ablated − unmodified accuracy). Pruned at "
        "initialization: shuffle and reinit no worse (non-inferiority, margin "
        f"{_margin(effects)} accuracy points; *shown worse* when the seeds lie below it) and "
        "invert worse (GraSP: no claim); MtM's benchmarks, pruned after training: every ablation "
        "worse. A (method, sparsity) whose mask has no effective weight is decided from the "
        "masks and has no test (the unrestricted analysis keeps it); runs that collapse or "
        "diverge in training are counted in, never left out. Each sentence below says what the "
        "design could show; every column (power, exclusions, the unrestricted analysis): "
        "mtm_claims.md.\n\n",
        table(mtm_claims_table(claims)),
        "\n",
        mtm_claim_sentences(claims),
        "\n",
        "Calibration: the negative controls, where the ablation cannot matter by construction "
        "(random pruning's shuffle and reinit draw another random mask; NTK-SAP's reinit keeps a "
        "mask that depends on the init only through its biases), pooled the same way. Their "
        "estimates should sit near zero.\n\n",
        table(mtm_claims_table(claims, claims_module.CALIBRATION)),
        "\n",
        "Estimates at the declared sparsities, per method and sparsity: ablated − unmodified in "
        "points with its 90% interval, the seeds, and the ablated runs that collapsed (counted "
        "in the estimate, named apart); then each mask's effective density (the share of "
        "prunable weights on an input-to-output path), unmodified and ablated.\n\n",
        table(estimates(effects, stats.DECLARED)),
        "\n",
        "Extreme sparsities (beyond the declared ones), exploratory: here shuffling can "
        "disconnect a mask, which the effective density shows.\n\n",
        table(estimates(effects, stats.EXTREME)),
        "\n",
        "**Singh & Liu**, confirmatory: one test per net trained as they trained theirs (like "
        "for like), with all entries as their notebook computes W1, at its Table 1 sparsity: "
        "the per-seed mean over Table 1's methods of W1(random) − W1(shuffle) and of "
        "W1(random) − W1(reinit), both over the same seeds, each by the exact sign-flip test; "
        "random pruning moves the weights farther than both when both parts are shown (an "
        "intersection-union test: its p is the larger of the two), and no test when a part is "
        "missing. Part of the all-entries difference is mechanical: random pruning is globally "
        "uniform while shuffle and reinit keep the method's per-layer densities, and the pruned "
        'zeros alone move W1 (docs/methods.md, "Statistics"). Layers pruned to nothing in '
        "either run are left out.\n\n",
        table(singh_liu) + "\n" if len(singh_liu) else "",
        singh_liu_sentences(tests)
        or "No net of this grid is trained as Singh & Liu trained theirs: their claim is not "
        "tested here.\n",
        "\n",
        "Secondary (estimates, no verdict): the kept weights alone (*unpruned*) and the nets not "
        "trained as theirs; every method and sparsity on its own: distance_tests.md.\n\n",
        table(confirmatory(tests, "secondary")),
        "\n",
        allocation_section(allocation_claims, allocation_effects, runs, table, heading),
        heading("Pruned against dense representations"),
        "Mean SVCCA over layers and seeds of each method's trained runs to the dense net of the "
        "same seed (Blakeney et al.), measured after BatchNorm and ReLU, at each net's analysis "
        "sparsity; beside them the like-for-like baseline, the unmodified runs against the dense "
        "net of another seed, and two dense nets of different seeds.\n\n",
        table(similarity_to_dense(similarity, sparsities)),
    ]
    return "".join(out)


def allocation_claims_table(found: pd.DataFrame) -> pd.DataFrame:
    """The confirmatory tests against erk, narrow: net, method, sparsities, seeds, estimate,
    verdict, p."""
    rows = [
        {
            "net": row["net"],
            "method": row["method"],
            "sparsities": row["sparsities"],
            "seeds": row["seeds"],
            "method − erk, points [90%]": _estimate(row),
            "verdict": row["verdict"],
            "p": min(row["p_better"], row["p_worse"]),
        }
        for _, row in found.iterrows()
    ]
    return pd.DataFrame(rows)


def allocation_claim_sentences(found: pd.DataFrame) -> str:
    lines = []
    for _, row in found.iterrows():
        said = {
            allocations.SHOWN_BETTER: "its fractions are shown better",
            claims_module.SHOWN_WORSE: "erk's fractions are shown better",
        }.get(row["verdict"], f"neither is shown better ({row['verdict']})")
        lines.append(
            f"- {row['net']}: {row['method']}'s masks against erk's at the same sparsity and seed, "
            f"pooled over {row['sparsities']}: {_estimate(row)} points "
            f"({_seeds_text(int(row['seeds']))}); {said}"
            + (f"; excluded: {row['excluded']}" if row["excluded"] else "")
            + ".\n"
        )
    return "".join(lines)


def side_by_side(effects: pd.DataFrame) -> pd.DataFrame:
    """Per net, sparsity and method: the method's own mask and its own fractions at random
    positions, each against the best allocation at that sparsity (points, 90% interval)."""
    best = effects[effects["best"]]
    rows = []
    for (net, sparsity, method), group in best.groupby(["net", "sparsity", "method"], sort=False):
        by_variant = {row["variant"]: row for _, row in group.iterrows()}
        first = group.iloc[0]
        rows.append(
            {
                "net": net,
                "sparsity": f"{sparsity:g}",
                "method": method,
                "best allocation": f"{first['allocation']} "
                f"({100 * first['allocation_accuracy']:.1f}%)",
                "own mask − best": _estimate(by_variant[allocations.OWN_MASK])
                if allocations.OWN_MASK in by_variant
                else numbers.MISSING,
                "own fractions, random positions − best": _estimate(
                    by_variant[allocations.OWN_FRACTIONS]
                )
                if allocations.OWN_FRACTIONS in by_variant
                else numbers.MISSING,
            }
        )
    return tables.sort_methods(pd.DataFrame(rows), ["net", "method"]) if rows else pd.DataFrame()


def allocation_sentences(effects: pd.DataFrame) -> str:
    """At which sparsities which method's fractions (its shuffle: random positions at its own
    per-layer fractions, else its own mask) beat which rule, and by how much."""
    lines = []
    for (net, method), group in effects.groupby(["net", "method"], sort=False):
        variant = (
            allocations.OWN_FRACTIONS
            if (group["variant"] == allocations.OWN_FRACTIONS).any()
            else allocations.OWN_MASK
        )
        chosen = group[group["variant"] == variant]
        above = chosen[chosen["ci_low"] > 0]
        below = chosen[chosen["ci_high"] < 0]
        what = "fractions (random positions)" if variant == allocations.OWN_FRACTIONS else "masks"
        parts = []
        for verb, found in (("beat", above), ("fall behind", below)):
            for sparsity, rows in found.groupby("sparsity"):
                listed = ", ".join(
                    f"{row['allocation']} by {_estimate(row)}" for _, row in rows.iterrows()
                )
                parts.append(f"{verb} {listed} at {sparsity:g}")
        if parts:
            said = "; ".join(parts)
        elif chosen["ci_low"].notna().any():
            said = "beat no rule and fall behind none (every 90% interval spans zero)"
        else:
            said = "have no interval to compare (fewer than two seeds)"
        lines.append(f"- {net}: {method}'s {what} {said}.\n")
    return "".join(lines)


def effective_gap(runs: pd.DataFrame) -> pd.DataFrame:
    """At each net's highest sparsity, per method and ablation: the mean density, effective
    density and their gap (weights kept on no input-to-output path), in percent of the net."""
    if runs.empty or "effective_density" not in runs:
        return pd.DataFrame()
    top = runs[runs["sparsity"] == runs.groupby("net")["sparsity"].transform("max")]
    table = (
        top.groupby(["net", "sparsity", "method", "ablation"], sort=False)[
            ["density", "effective_density"]
        ]
        .mean()
        .reset_index()
    )
    # at least 0 (effective weights are kept ones); float noise below that is 0
    table["gap"] = (table["density"] - table["effective_density"]).clip(lower=0.0)
    for column in ("density", "effective_density", "gap"):
        table[column] = table[column].map(
            lambda v: numbers.MISSING if not math.isfinite(v) else f"{100 * v:.2f}%"
        )
    table["sparsity"] = table["sparsity"].map(lambda v: f"{v:g}")
    return tables.sort_methods(table, ["net", "method"])


def allocation_section(found, effects, runs, table, heading) -> str:
    """Is a per-layer fraction all that matters? The methods against the data-free allocations,
    and where the effective density falls below the density."""
    out = []
    if effects is not None and len(effects):
        out += [
            heading("Data-free allocations: is a per-layer fraction all that matters?"),
            "MtM concluded that the methods' per-weight decisions can be replaced by a per-layer "
            "choice of the fraction to prune. Are a method's fractions better than a formula's "
            "that sees only the layers' shapes? Each allocation is random pruning at a rule's "
            "exact per-layer counts, trained from the same init as the method. Confirmatory, "
            "declared before training: one test per net and method against erk (Liu et al. "
            "2022's random baseline), per seed the mean over the declared sparsities of (method "
            "− erk), the exact sign-flip test in each direction, one-sided at "
            f"α = {stats.ALPHA:g} (allocation_claims.md).\n\n",
            table(allocation_claims_table(found)) if found is not None and len(found) else "",
            "\n",
            allocation_claim_sentences(found) if found is not None else "",
            "\n",
            "Side by side, estimates: the method, random positions at its own per-layer "
            "fractions (its shuffle), each minus the best allocation at that sparsity, in points "
            "with 90% intervals. Both above zero: its fractions carry the gain; only its own "
            "mask: its per-weight choice; neither: a formula does as well. Every allocation: "
            "allocation_effects.md.\n\n",
            table(side_by_side(effects)),
            "\n",
            "Where each method's fractions beat a rule (the 90% interval above zero), or fall "
            "behind one:\n\n",
            allocation_sentences(effects),
            "\n",
        ]
    gap = effective_gap(runs)
    if len(gap):
        out += [
            "Density against effective density at each net's highest sparsity (Vysogorets & "
            "Kempe): the share of weights kept and the share on an input-to-output path; the gap "
            "is kept weights that do nothing, what explains most collapses at extreme "
            "sparsity.\n\n",
            table(gap),
            "\n",
        ]
    return "".join(out)


def _margin(effects: pd.DataFrame) -> str:
    if effects.empty or "margin" not in effects:
        return numbers.MISSING
    return f"{100 * float(effects['margin'].max()):g}"
