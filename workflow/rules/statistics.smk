# compute_statistics: the papers' claims as tests over seeds (MtM: ablation effects on accuracy;
# Singh & Liu: W1 of random pruning against shuffle and reinit). compare_with_paper: Singh & Liu's
# published Table 1 beside ours.


rule compute_statistics:
    input:
        runs=rules.aggregate_results.output.runs,
        distances=rules.aggregate_results.output.distances,
    output:
        effects="results/tables/ablation_effects.parquet",
        effects_md=report(
            "results/tables/ablation_effects.md",
            caption="../report/ablation_effects_table.rst",
            category=registry.PAPERS[0],
        ),
        tests="results/tables/distance_tests.parquet",
        tests_md=report(
            "results/tables/distance_tests.md",
            caption="../report/distance_tests.rst",
            category=registry.PAPERS[1],
        ),
    log:
        "logs/compute_statistics.log",
    conda:
        ENV
    script:
        "../scripts/compute_statistics.py"


rule compare_with_paper:
    input:
        table1=rules.aggregate_results.output.table1,
    output:
        comparison=report(
            "results/tables/table1_vs_paper.md",
            caption="../report/table1_vs_paper.rst",
            category=registry.PAPERS[1],
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
