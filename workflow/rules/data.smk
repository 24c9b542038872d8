# download_data: fetch (or build, or read from its folder) one dataset once and keep it as one
# tensor file that every later job loads.
# dataset_identity: what decides those tensors, in a small file beside them (see data_inputs).


rule download_data:
    input:
        unpack(plugin_dataset_check),
    output:
        manifest="resources/data/{dataset}/manifest.json",
        tensors="resources/data/{dataset}/tensors.pt",
    log:
        "logs/download_data/{dataset}.log",
    conda:
        ENV
    params:
        dataset=download_settings,
    script:
        "../scripts/download_data.py"


rule dataset_identity:
    input:
        unpack(plugin_dataset_check),
    output:
        identity="resources/identity/{dataset}.json",
    log:
        "logs/dataset_identity/{dataset}.log",
    localrule: True
    conda:
        ENV
    params:
        identity=identity_of_dataset,
    script:
        "../scripts/write_dataset_identity.py"
