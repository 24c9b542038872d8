# check_method, check_architecture, check_dataset: a plugin run once on real inputs, in a job of
# its own, before any job that would replace a finished output with the plugin's work. Snakemake
# removes a job's old outputs just before it starts the job; when an edit breaks a plugin, its
# check fails first and none of those jobs starts, so nothing finished is removed. Each check's
# params are its plugin's (source digest included): an edit reruns the check, and its small,
# deterministic marker file reruns nothing after a revert (same checksum).


rule check_method:
    input:
        unpack(method_check_inputs),
    output:
        check="results/checks/net={net}/method={method}.json",
    log:
        "logs/check_method/net={net}/method={method}.log",
    conda:
        ENV
    params:
        method=method_settings,
        arch=arch_settings,
        dataset=scoring_dataset,
        seed=first_seed,
        sparsity=highest_sparsity,
        sparsities=net_sparsities,
        rankings=RANKINGS,
    script:
        "../scripts/check_method.py"


rule check_architecture:
    output:
        check="results/checks/net={net}/architecture.json",
    log:
        "logs/check_architecture/net={net}.log",
    conda:
        ENV
    params:
        arch=arch_settings,
        dataset=dataset_shape,
    script:
        "../scripts/check_architecture.py"


rule check_dataset:
    output:
        check="results/checks/dataset={dataset}.json",
    log:
        "logs/check_dataset/{dataset}.log",
    conda:
        ENV
    params:
        dataset=download_settings,
    script:
        "../scripts/check_dataset.py"
