# compute_similarity: SVCCA and CKA of the trained nets of one (net, sparsity, seed) (Blakeney et
# al.), one job per group like analyse_weights, on the GPU; dense_similarity: its baseline,
# two dense nets of different seeds.


rule compute_similarity:
    input:
        unpack(similarity_inputs),
    output:
        similarity=f"{GROUP}/similarity.parquet",
    log:
        "logs/compute_similarity/net={net}/sparsity={sparsity}/seed={seed}.log",
    conda:
        ENV
    resources:
        gpu=config["training"]["gpus"],
    params:
        arch=arch_settings,
        dataset=dataset_identity,
        examples=config["analysis"]["similarity_examples"],
        runs=group_run_list,
        device=config["training"]["device"],
    script:
        "../scripts/compute_similarity.py"


rule dense_similarity:
    input:
        unpack(dense_similarity_inputs),
    output:
        similarity="results/dense/net={net}/similarity.parquet",
    log:
        "logs/dense_similarity/net={net}.log",
    conda:
        ENV
    resources:
        gpu=config["training"]["gpus"],
    params:
        arch=arch_settings,
        dataset=dataset_identity,
        examples=config["analysis"]["similarity_examples"],
        seeds=dense_seeds,
        device=config["training"]["device"],
    script:
        "../scripts/dense_similarity.py"
