# Stage 14, coexistence: a crystal slab against a disordered slab made by the model,
# NPT at a ladder of temperatures, the crystalline fraction from the phase classifier,
# and the transition temperature bracketed between them (Méndez & Semino).


include: "inputs/coexistence.smk"


wildcard_constraints:
    system=names_alternation(config["coexistence"]["systems"]),


rule coexistence_build:
    input:
        model=coexistence_model_file,
        structure=lambda wildcards: structure_file(coexistence_system(wildcards)["structure"]),
        chemistry=lambda wildcards: chemistry_file(coexistence_system(wildcards)["structure"]),
    output:
        cell="results/coexistence/{system}/cell.extxyz",
        verdict="results/coexistence/{system}/slab_verdict.csv",
    log:
        "logs/coexistence/{system}/build.log",
    benchmark:
        "benchmarks/coexistence/{system}/build.tsv"
    conda:
        coexistence_env
    threads: md_ranks()
    resources:
        **job_resources("coexistence_build"),
    params:
        block=coexistence_system,
        md=md_settings(),
        workdir=lambda wildcards: f"results/coexistence/{wildcards.system}/slab",
    script:
        "../scripts/coexistence_build.py"


rule coexistence_run:
    input:
        model=coexistence_model_file,
        cell="results/coexistence/{system}/cell.extxyz",
        classifier="results/phases/classifier.joblib",
        chemistry=lambda wildcards: chemistry_file(coexistence_system(wildcards)["structure"]),
    output:
        fractions="results/coexistence/{system}/T{temperature}/fractions.csv",
        growth="results/coexistence/{system}/T{temperature}/growth.csv",
    log:
        "logs/coexistence/{system}/T{temperature}.log",
    benchmark:
        "benchmarks/coexistence/{system}/T{temperature}.tsv"
    conda:
        coexistence_env
    threads: md_ranks()
    resources:
        **job_resources("coexistence_run"),
    params:
        block=coexistence_settings,
        md=md_settings(watched=False),
        workdir=lambda wildcards: f"results/coexistence/{wildcards.system}/T{wildcards.temperature}/lammps",
    script:
        "../scripts/coexistence_run.py"


rule coexistence_bracket:
    input:
        growths=lambda wildcards: coexistence_ladder(wildcards, "growth.csv"),
        fractions=lambda wildcards: coexistence_ladder(wildcards, "fractions.csv"),
    output:
        table=report(
            "results/coexistence/{system}/transition.csv",
            caption="../report/transition.rst",
            category="14. Coexistence",
        ),
        growths="results/coexistence/{system}/growths.csv",
        figure=report(
            "results/coexistence/{system}/fractions.png",
            caption="../report/coexistence.rst",
            category="14. Coexistence",
        ),
    log:
        "logs/coexistence/{system}/bracket.log",
    localrule: True
    conda:
        "../envs/mofglass.yaml"
    script:
        "../scripts/coexistence_bracket.py"


rule coexistence:
    input:
        coexistence_files(),
