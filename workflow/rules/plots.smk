# plot_*: one figure per rule, PNG and PDF, drawn from one aggregated table.


rule plot_accuracy:
    input:
        table="results/tables/runs.parquet",
    output:
        **figure_outputs("accuracy"),
    log:
        "logs/plot/accuracy.log",
    conda:
        "../../envs/pai.yaml"
    params:
        figure="accuracy",
        plots=config["plots"],
        sparsity=config["analysis"]["table1_sparsity"],
    script:
        "../scripts/plot_figure.py"


rule plot_ablations:
    input:
        table="results/tables/runs.parquet",
    output:
        **figure_outputs("ablations"),
    log:
        "logs/plot/ablations.log",
    conda:
        "../../envs/pai.yaml"
    params:
        figure="ablations",
        plots=config["plots"],
        sparsity=config["analysis"]["table1_sparsity"],
    script:
        "../scripts/plot_figure.py"


rule plot_distances:
    input:
        table="results/tables/distances.parquet",
    output:
        **figure_outputs("distances"),
    log:
        "logs/plot/distances.log",
    conda:
        "../../envs/pai.yaml"
    params:
        figure="distances",
        plots=config["plots"],
        sparsity=config["analysis"]["table1_sparsity"],
    script:
        "../scripts/plot_figure.py"


rule plot_layer_density:
    input:
        table="results/tables/layers.parquet",
    output:
        **figure_outputs("layer_density"),
    log:
        "logs/plot/layer_density.log",
    conda:
        "../../envs/pai.yaml"
    params:
        figure="layer_density",
        plots=config["plots"],
        sparsity=config["analysis"]["table1_sparsity"],
    script:
        "../scripts/plot_figure.py"


rule plot_training_curves:
    input:
        table="results/tables/histories.parquet",
    output:
        **figure_outputs("training_curves"),
    log:
        "logs/plot/training_curves.log",
    conda:
        "../../envs/pai.yaml"
    params:
        figure="training_curves",
        plots=config["plots"],
        sparsity=config["analysis"]["table1_sparsity"],
    script:
        "../scripts/plot_figure.py"
