# compute_statistics: the papers' claims as tests over seeds (MtM: ablation effects on accuracy;
# Singh & Liu: W1 of random pruning against shuffle and reinit). compare_with_paper: Singh & Liu's
# published Table 1 beside ours. summarise_study: what was run and what it found, the report's
# first page (workflow/report/workflow.rst shows results/tables/study.rst).


rule compute_statistics:
    input:
        runs=rules.aggregate_results.output.runs,
        distances=rules.aggregate_results.output.distances,
        topology=rules.aggregate_results.output.topology,
    output:
        claims="results/tables/mtm_claims.parquet",
        claims_md="results/tables/mtm_claims.md",
        claims_html=report(
            "results/tables/mtm_claims.html",
            caption="../report/mtm_claims.rst",
            category=registry.PAPERS[0],
            labels=report_labels(
                "table",
                "MtM's claims, confirmatory",
                "shuffle and reinit no worse at initialization, worse after training",
            ),
        ),
        effects="results/tables/ablation_effects.parquet",
        effects_md="results/tables/ablation_effects.md",
        # the report shows the HTML renderings in the page, formatted for people
        effects_html=report(
            "results/tables/ablation_effects.html",
            caption="../report/ablation_effects_table.rst",
            category=registry.PAPERS[0],
            labels=report_labels(
                "table",
                "ablation effects, estimated",
                "every cell's effect with its interval (no verdict)",
            ),
        ),
        allocation_claims="results/tables/allocation_claims.parquet",
        allocation_claims_md="results/tables/allocation_claims.md",
        allocation_claims_html=report(
            "results/tables/allocation_claims.html",
            caption="../report/allocation_claims.rst",
            category=registry.PAPERS[0],
            labels=report_labels(
                "table",
                "per-layer fractions against erk, confirmatory",
                "a method's fractions beat a data-free formula",
            ),
        ),
        allocation_effects="results/tables/allocation_effects.parquet",
        allocation_effects_md="results/tables/allocation_effects.md",
        allocation_effects_html=report(
            "results/tables/allocation_effects.html",
            caption="../report/allocation_effects.rst",
            category=registry.PAPERS[0],
            labels=report_labels(
                "table",
                "methods against every data-free allocation, estimated",
                "the method, random at its fractions, the best formula",
            ),
        ),
        tests="results/tables/distance_tests.parquet",
        tests_md="results/tables/distance_tests.md",
        tests_html=report(
            "results/tables/distance_tests.html",
            caption="../report/distance_tests.rst",
            category=registry.PAPERS[1],
            labels=report_labels(
                "table",
                "W1 tests over seeds",
                "random pruning moves the weights farther than shuffle and reinit",
            ),
        ),
    log:
        "logs/compute_statistics.log",
    conda:
        ENV
    params:
        # accuracy points -> a difference of accuracies (fractions)
        margin=config["analysis"]["noninferiority_margin"] / 100,
        claims=method_claims(),
        chance=chance_accuracies(),
        sparsities=STUDY.analysis_sparsities(),
        declared=STUDY.confirmatory_sparsities(),
        primary=singh_liu_primary(),
        table1_methods=table1_methods(),
    script:
        "../scripts/compute_statistics.py"


rule compare_with_paper:
    input:
        table1=rules.aggregate_results.output.table1,
    output:
        comparison="results/tables/table1_vs_paper.md",
        comparison_html=report(
            "results/tables/table1_vs_paper.html",
            caption="../report/table1_vs_paper.rst",
            category=registry.PAPERS[1],
            labels=report_labels(
                "table",
                "Table 1 beside the paper",
                "our values match the published ones",
            ),
        ),
    log:
        "logs/compare_with_paper.log",
    conda:
        ENV
    params:
        nets=paper_nets(),
        sparsities=STUDY.analysis_sparsities(),
    script:
        "../scripts/compare_with_paper.py"


rule summarise_study:
    input:
        runs=rules.aggregate_results.output.runs,
        table1=rules.aggregate_results.output.table1,
        matching=rules.aggregate_results.output.matching,
        similarity=rules.aggregate_results.output.similarity,
        effects=rules.compute_statistics.output.effects,
        claims=rules.compute_statistics.output.claims,
        allocation_claims=rules.compute_statistics.output.allocation_claims,
        allocation_effects=rules.compute_statistics.output.allocation_effects,
        tests=rules.compute_statistics.output.tests,
    output:
        rst=report(
            "results/tables/study.rst",
            caption="../report/study.rst",
            category="Study",
        ),
        md="results/tables/study.md",
    log:
        "logs/summarise_study.log",
    conda:
        ENV
    params:
        nets=paper_nets(),
        sparsities=STUDY.analysis_sparsities(),
    script:
        "../scripts/summarise_study.py"
