# download_data: fetch and verify a dataset once; consumers depend on its manifest.


rule download_data:
    output:
        manifest="resources/data/{dataset}/manifest.json",
        tensors="resources/data/{dataset}/tensors.pt",
    log:
        "logs/download_data/{dataset}.log",
    conda:
        "../../envs/pai.yaml"
    params:
        dataset=lambda wildcards: dataset_params(wildcards.dataset),
    script:
        "../scripts/download_data.py"
