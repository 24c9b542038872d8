# plot_<figure>: one figure per rule, PNG and PDF, drawn from one aggregated table. The figures
# are pai.config.registry.FIGURES; workflow/report/<figure>.rst is each one's caption in the report.

# every table a figure is drawn from, by name
TABLE_FILES = {
    **dict(rules.aggregate_results.output.items()),
    "ablation_effects": rules.compute_statistics.output.effects,
}


for figure in registry.FIGURES.values():

    rule:
        name:
            f"plot_{figure.name}"
        input:
            table=TABLE_FILES[figure.table],
        output:
            **figure_outputs(figure),
        log:
            f"logs/plot/{figure.name}.log",
        conda:
            ENV
        params:
            figure=figure.name,
            plots=config["plots"],
            sparsities=STUDY.analysis_sparsities(),
            methods=STUDY.grid_methods,
            # a plugin's group where it has one (a plugin allocation is drawn as one)
            groups={m: STUDY.methods[m].group for m in STUDY.grid_methods},
        script:
            "../scripts/plot_figure.py"
