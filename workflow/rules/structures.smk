# Stage 1, structures: the cell as used (supercell applied), its chemistry (metal,
# donors, linkers, atom types: what later stages watch and analyse) and its scaled volumes.


include: "inputs/structures.smk"


rule structure:
    input:
        structure_source,
    output:
        structure="results/structures/{structure}.extxyz",
        chemistry="results/structures/{structure}.chemistry.json",
    log:
        "logs/structures/{structure}.log",
    localrule: True
    conda:
        "../envs/mofglass.yaml"
    params:
        block=lambda wildcards: config["structures"][wildcards.structure],
        levels=used_levels(),
        data_dir=config["cp2k"]["data_dir"],
    script:
        "../scripts/build_structure.py"


rule scale_volume:
    input:
        "results/structures/{structure}.extxyz",
    output:
        "results/structures/{structure}/V{volume}.extxyz",
    log:
        "logs/structures/{structure}_V{volume}.log",
    localrule: True
    conda:
        "../envs/mofglass.yaml"
    script:
        "../scripts/scale_volume.py"


rule structures:
    input:
        structure_files(),
        scaled_structure_files(),
