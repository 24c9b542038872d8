# init_weights: the dense initialisation of a net for one seed (open_lth's, or a plugin's own).


rule init_weights:
    input:
        unpack(plugin_architecture_check),
    output:
        weights=layout.INIT,
    log:
        "logs/init_weights/net={net}/seed={seed}.log",
    conda:
        ENV
    params:
        arch=arch_settings,
        dataset=dataset_shape,
    script:
        "../scripts/init_weights.py"
