"""What a study ran and what it found, for the report's first page (results/tables/study.rst) and
for readers of the tables (study.md): the grid, Singh & Liu's Table 1 beside the paper, MtM's
matching sparsities, the verdicts of the claims' tests, and the similarity of pruned nets to
dense ones."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from pai.analysis import stats
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
        claim = (
            f"{net}, {entries_text.get(entries, entries)}, sparsity "
            f"{family['sparsity'].iloc[0]:g}: random pruning moves the trained weights farther "
            f"than shuffle and reinit (the mean over {family['methods'].iloc[0]})"
        )
        p = float(family["p_adjusted"].iloc[0])
        if verdict == stats.SHOWN:
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


def _claims(effects: pd.DataFrame):
    """(net, family, claim, its rows) of MtM's tested claims (descriptive rows left out): nets
    as they sort, families as the registry lists them, claims in the order of the ablations."""
    tested = effects[effects["expected"] != registry.DESCRIPTIVE] if len(effects) else effects
    if tested.empty:
        return
    families = {name: index for index, name in enumerate(registry.FAMILIES)}
    ablations = {name: index for index, name in enumerate(registry.ABLATIONS)}
    tested = tested.assign(
        _family=tested["family"].map(families), _ablation=tested["ablation"].map(ablations)
    ).sort_values(["net", "_family", "_ablation"], kind="stable")
    for (net, family, claim), rows in tested.groupby(["net", "family", "claim"], sort=False):
        yield net, family, claim, rows


def verdict_counts(effects: pd.DataFrame) -> pd.DataFrame:
    """MtM's claims per net, family and claim: how many (method, sparsity) tests showed it, did
    not, or could not with these seeds; seeds left out (unmodified at chance or collapsed); and
    the smallest corrected p the design could reach. Descriptive rows (no claim) are left out."""
    rows = []
    for net, family, claim, group in _claims(effects):
        counts = group["verdict"].value_counts()
        rows.append(
            {
                "net": net,
                "family": registry.FAMILY_TITLES.get(family, family),
                "claim": claim,
                "methods": ", ".join(registry.ordered_methods(group["method"].unique())),
                "tests": len(group),
                "shown": int(counts.get(stats.SHOWN, 0)),
                "not shown": int(counts.get(stats.NOT_SHOWN, 0)),
                "cannot be shown (seeds)": int(counts.get(stats.TOO_FEW, 0)),
                "no test": int(counts.get(stats.NO_TEST, 0) + counts.get(stats.NO_USABLE, 0)),
                "seeds left out": int((group["excluded"].fillna("") != "").sum()),
                "seeds": int(group["seeds"].max()),
                "smallest p": float(group["smallest_p"].min()),
            }
        )
    return pd.DataFrame(rows)


def method_checks(effects: pd.DataFrame) -> pd.DataFrame:
    """Each method against MtM's checks, one row per net and method: for every ablation, how
    many of its tests (one per sparsity) showed what its family claims, and its mean accuracy
    change in points (ablation − unmodified, over sparsities and seeds); a method's ablation
    with no claim (random pruning, GraSP's inversion) shows the change alone."""
    if effects.empty:
        return pd.DataFrame()
    rows = []
    ablations = [
        a for a in registry.ABLATIONS if a != "unmodified" and a in set(effects["ablation"])
    ]
    for net, by_net in effects.groupby("net", sort=True):
        for method in registry.ordered_methods(by_net["method"].unique()):
            own = by_net[by_net["method"] == method]
            row = {
                "net": net,
                "method": method,
                "tested as": registry.FAMILY_TITLES.get(
                    own["family"].iloc[0], own["family"].iloc[0]
                ),
            }
            for ablation in ablations:
                group = own[own["ablation"] == ablation]
                if group.empty:
                    row[ablation] = numbers.MISSING
                    continue
                change = f"{100 * float(group['difference'].mean()):+.1f} points"
                expected = group["expected"].iloc[0]
                if expected == registry.DESCRIPTIVE:
                    row[ablation] = f"no claim; {change}"
                else:
                    shown = int((group["verdict"] == stats.SHOWN).sum())
                    row[ablation] = f"{expected}: {shown} of {len(group)} shown; {change}"
            rows.append(row)
    return pd.DataFrame(rows)


def mtm_sentences(effects: pd.DataFrame) -> str:
    """One sentence a reader can quote per net and claim of MtM, saying why a claim is not
    shown where the design cannot show it."""
    lines = []
    for net, family, claim, group in _claims(effects):
        verdicts = group["verdict"]
        names = registry.ordered_methods(group["method"].unique())
        methods = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        text = (
            f"- {net}, {registry.FAMILY_TITLES.get(family, family)}, {methods}: {claim}, "
            f"shown in {int((verdicts == stats.SHOWN).sum())} of {len(group)} tests"
        )
        reasons = []
        too_few = group[verdicts == stats.TOO_FEW]
        if len(too_few):
            reasons.append(
                f"{len(too_few)} cannot be shown with {_seeds_text(int(too_few['seeds'].max()))}"
                f" (the smallest p this design can reach is "
                f"{float(too_few['smallest_p'].min()):.3g}, not below {stats.ALPHA:g})"
            )
        if (verdicts == stats.NOT_SHOWN).any():
            reasons.append(f"{int((verdicts == stats.NOT_SHOWN).sum())} not shown")
        if (verdicts == stats.NO_TEST).any():
            reasons.append(f"{int((verdicts == stats.NO_TEST).sum())} without a test (one seed)")
        if (verdicts == stats.NO_USABLE).any():
            reasons.append(
                f"{int((verdicts == stats.NO_USABLE).sum())} without a test (every unmodified run "
                "at chance or collapsed)"
            )
        lines.append(text + "".join(f"; {reason}" for reason in reasons) + ".\n")
    return "".join(lines)


def confirmatory(tests: pd.DataFrame) -> pd.DataFrame:
    """Singh & Liu's confirmatory tests, one family per net and entry set."""
    if tests.empty or "role" not in tests:
        return pd.DataFrame()
    rows = tests[tests["role"] == "confirmatory"]
    columns = [
        "net", "entries", "sparsity", "methods", "claim", "seeds", "random_w1", "ablation_w1",
        "difference", "ci_low", "ci_high", "p_value", "p_adjusted", "verdict",
    ]  # fmt: skip
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

    counts = verdict_counts(effects) if len(effects) else pd.DataFrame()
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
        "Each claim is one-sided at α = "
        f"{stats.ALPHA:g}; every interval is the two-sided {100 * stats.CONFIDENCE:g}% t "
        "interval, whose one end is the one-sided bound the test uses. Seeds are the unit of "
        "evidence: the exact sign-flip test's smallest p is 2^-n "
        f"({stats.smallest_exact_p(len(seeds)):.3g} with {len(seeds)} "
        f"seed{'s' if len(seeds) != 1 else ''}).\n\n",
        "**MtM**, per method family: a method pruned at initialization loses nothing to "
        f"shuffling or reinitialising (non-inferiority, margin {_margin(effects)} accuracy "
        "points) and loses to inversion (GraSP: no claim, MtM found inversion does not hurt "
        "it); MtM's benchmarks, pruned after training, lose to every ablation; random pruning "
        "is the reference and makes no claim. Sparsity 0 is left out, and so is every seed "
        "whose unmodified run is at chance, collapsed or diverged. Each claim on one net is a "
        "family over its methods and sparsities, Holm-corrected; *smallest p* is the smallest "
        "corrected p the design can reach with these seeds. Every test: ablation_effects.md."
        "\n\n",
        table(counts),
        "\n",
        mtm_sentences(effects),
        "\n",
        "Each method on its own: for every ablation, how many of its tests (one per sparsity, "
        "corrected as above) showed what its family claims, and its mean accuracy change "
        "(ablation − unmodified, over sparsities and seeds). A method whose per-weight choices "
        'matter would fail "no worse" for shuffle, with a negative change.\n\n',
        table(method_checks(effects)),
        "\n",
        "**Singh & Liu**, confirmatory, one test per net and entry set at its Table 1 "
        "sparsity: the per-seed mean over Table 1's methods of W1(random) − W1(shuffle) and of "
        "W1(random) − W1(reinit), each by the exact sign-flip test; random pruning moves the "
        "weights farther than both when both parts are shown (an intersection-union test: its "
        "p is the larger of the two, no correction). *all*: pruned zeros included, as Table 1; "
        "*unpruned*: each run's kept weights. Layers pruned to nothing in either run are left "
        "out. Every other method and sparsity is exploratory (p and effect, no verdict): "
        "distance_tests.md.\n\n",
        table(confirmatory(tests)),
        "\n",
        singh_liu_sentences(tests),
        "\n",
        heading("Pruned against dense representations"),
        "Mean SVCCA over layers and seeds of each method's trained runs to the dense net of the "
        "same seed (Blakeney et al.), measured after BatchNorm and ReLU, at each net's analysis "
        "sparsity; beside them the like-for-like baseline, the unmodified runs against the dense "
        "net of another seed, and two dense nets of different seeds.\n\n",
        table(similarity_to_dense(similarity, sparsities)),
    ]
    return "".join(out)


def _margin(effects: pd.DataFrame) -> str:
    if effects.empty or "margin" not in effects:
        return numbers.MISSING
    return f"{100 * float(effects['margin'].max()):g}"
