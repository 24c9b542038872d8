# plot_<figure>: one figure per rule, PNG and PDF, drawn from one aggregated table
# (pai.plots.FIGURES draws it; workflow/report/<figure>.rst is its caption in the report).

FIGURE_TABLES = {
    "accuracy": "runs",
    "ablations": "runs",
    "distances": "distances",
    "layer_density": "layers",
    "training_curves": "histories",
    "topology": "topology",
    "channel_sparsity": "channels",
    "similarity_svcca": "similarity",
    "similarity_cka": "similarity",
    "ablation_effects": "ablation_effects",
}


for figure, table in FIGURE_TABLES.items():

    rule:
        name:
            f"plot_{figure}"
        input:
            table=f"results/tables/{table}.parquet",
        output:
            **figure_outputs(figure),
        log:
            f"logs/plot/{figure}.log",
        conda:
            "../../envs/pai.yaml"
        params:
            figure=figure,
            plots=config["plots"],
            sparsity=config["analysis"]["table1_sparsity"],
        script:
            "../scripts/plot_figure.py"
