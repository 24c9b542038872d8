# download_data: fetch (or build, or read from its folder) one dataset once and keep it as one
# tensor file that every later job loads.


rule download_data:
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
