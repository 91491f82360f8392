# Stage 3, AIMD sampling: CP2K NVT-CSVR MD, one job per (structure, temperature, volume),
# run in restartable chunks under results/aimd/<run>/cp2k/.


include: "inputs/aimd.smk"


rule aimd_run:
    input:
        "results/structures/{structure}/V{volume}.extxyz",
        repair=level_files(config["aimd"]["level_of_theory"]),
    output:
        trajectory="results/aimd/{structure}/T{temperature}_V{volume}/trajectory.extxyz",
        thermo="results/aimd/{structure}/T{temperature}_V{volume}/thermo.tsv",
    log:
        "logs/aimd/{structure}/T{temperature}_V{volume}.log",
    benchmark:
        "benchmarks/aimd/{structure}/T{temperature}_V{volume}.tsv"
    conda:
        level_env(config["aimd"]["level_of_theory"])
    threads: cp2k_threads()
    resources:
        **job_resources("aimd_run", cp2k=True),
    params:
        aimd=config["aimd"],
        level_name=config["aimd"]["level_of_theory"],
        level=level_block(config["aimd"]["level_of_theory"]),
        cp2k=config["cp2k"],
        workdir=lambda wildcards, output: str(Path(output.trajectory).parent / "cp2k"),
    script:
        "../scripts/aimd.py"


rule aimd:
    input:
        aimd_trajectories(),
