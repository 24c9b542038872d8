# init_weights: the dense initialisation of a net for one seed (open_lth initialisers).


rule init_weights:
    output:
        "results/init/net={net}/seed={seed}/weights.pt",
    log:
        "logs/init_weights/net={net}/seed={seed}.log",
    conda:
        "../../envs/pai.yaml"
    params:
        arch=lambda wildcards: net_spec(wildcards)["arch"],
        dataset=lambda wildcards: dataset_spec(net_spec(wildcards)["dataset"]),
    script:
        "../scripts/init_weights.py"
