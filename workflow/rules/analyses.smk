# Analyses beyond the distances, one job per (net, sparsity, seed) like compute_distances:
# measure_topology: effective paths and nodes of each start mask (Pham et al.), and MtM's
# per-channel sparsity; compute_similarity: SVCCA and CKA of the trained nets (Blakeney et al.),
# with dense_similarity's two-seed baseline.


rule measure_topology:
    input:
        unpack(group_files(["start"])),
    output:
        topology=f"{GROUP}/topology.parquet",
        channels=f"{GROUP}/channels.parquet",
    log:
        "logs/measure_topology/net={net}/sparsity={sparsity}/seed={seed}.log",
    conda:
        ENV
    params:
        arch=arch_settings,
        dataset=dataset_shape,
        runs=group_run_list,
    script:
        "../scripts/measure_topology.py"


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
