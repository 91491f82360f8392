# Stage 11, mechanics: bulk modulus from a P(V) scan (one job per volume) and from strain
# fluctuations, elastic moduli, thermal expansion (one job per (T, P)) and the VDOS, for
# every model and sample (crystals, melt-quench glasses, the user's structures).


include: "inputs/mechanics.smk"


wildcard_constraints:
    sample=names_alternation(MECHANICS_SAMPLES),
    point=r"T[0-9.]+_P-?[0-9]+\.[0-9]{3}",


rule mechanics_eos_point:
    input:
        model="results/models/{model}/model.json",
        structure=mechanics_sample_file,
        chemistry=mechanics_chemistry_file,
    output:
        point="results/mechanics/{model}/{sample}/eos/V{volume}/point.csv",
        thermo="results/mechanics/{model}/{sample}/eos/V{volume}/thermo.tsv",
    log:
        "logs/mechanics/{model}/{sample}/eos_V{volume}.log",
    benchmark:
        "benchmarks/mechanics/{model}/{sample}/eos_V{volume}.tsv"
    conda:
        model_env
    threads: md_ranks()
    resources:
        **job_resources("mechanics_eos_point"),
    params:
        run=sample_run("eos", "eos/V{volume}"),
    script:
        "../scripts/mechanics_eos_point.py"


rule mechanics_eos:
    input:
        expand(
            "results/mechanics/{{model}}/{{sample}}/eos/V{volume}/point.csv",
            volume=mechanics_volumes(),
        ),
    output:
        points="results/mechanics/{model}/{sample}/eos.csv",
        fit="results/mechanics/{model}/{sample}/eos_fit.csv",
        figure=report(
            "results/mechanics/{model}/{sample}/eos.png",
            caption="../report/eos.rst",
            category="11. Mechanics",
            subcategory="{model}/{sample}",
        ),
    log:
        "logs/mechanics/{model}/{sample}/eos.log",
    conda:
        "../envs/mofglass.yaml"
    params:
        block=mechanics_block("eos"),
    script:
        "../scripts/mechanics_eos.py"


rule mechanics_fluctuations:
    input:
        model="results/models/{model}/model.json",
        structure=mechanics_sample_file,
        chemistry=mechanics_chemistry_file,
    output:
        moduli="results/mechanics/{model}/{sample}/fluctuations/moduli.csv",
        stiffness="results/mechanics/{model}/{sample}/fluctuations/stiffness.csv",
        running="results/mechanics/{model}/{sample}/fluctuations/running.csv",
        thermo="results/mechanics/{model}/{sample}/fluctuations/thermo.tsv",
        figure=report(
            "results/mechanics/{model}/{sample}/fluctuations/running.png",
            caption="../report/running.rst",
            category="11. Mechanics",
            subcategory="{model}/{sample}",
        ),
    log:
        "logs/mechanics/{model}/{sample}/fluctuations.log",
    benchmark:
        "benchmarks/mechanics/{model}/{sample}/fluctuations.tsv"
    conda:
        model_env
    threads: md_ranks()
    resources:
        **job_resources("mechanics_fluctuations"),
    params:
        run=sample_run("fluctuations", "fluctuations"),
    script:
        "../scripts/mechanics_fluctuations.py"


rule mechanics_expansion_point:
    input:
        model="results/models/{model}/model.json",
        structure=mechanics_sample_file,
        chemistry=mechanics_chemistry_file,
    output:
        point="results/mechanics/{model}/{sample}/expansion/{point}/point.csv",
        thermo="results/mechanics/{model}/{sample}/expansion/{point}/thermo.tsv",
    log:
        "logs/mechanics/{model}/{sample}/expansion_{point}.log",
    benchmark:
        "benchmarks/mechanics/{model}/{sample}/expansion_{point}.tsv"
    conda:
        model_env
    threads: md_ranks()
    resources:
        **job_resources("mechanics_expansion_point"),
    params:
        run=sample_run("expansion", "expansion/{point}"),
    script:
        "../scripts/mechanics_expansion_point.py"


rule mechanics_expansion:
    input:
        points=expand(
            "results/mechanics/{{model}}/{{sample}}/expansion/{point}/point.csv",
            point=mechanics_expansion_points(),
        ),
        structure=mechanics_sample_file,
    output:
        points="results/mechanics/{model}/{sample}/expansion.csv",
        coefficients="results/mechanics/{model}/{sample}/expansion_coefficients.csv",
        figure=report(
            "results/mechanics/{model}/{sample}/expansion.png",
            caption="../report/expansion.rst",
            category="11. Mechanics",
            subcategory="{model}/{sample}",
        ),
    log:
        "logs/mechanics/{model}/{sample}/expansion.log",
    conda:
        "../envs/mofglass.yaml"
    params:
        block=mechanics_block("expansion"),
    script:
        "../scripts/mechanics_expansion.py"


rule mechanics_vdos:
    input:
        model="results/models/{model}/model.json",
        structure=mechanics_sample_file,
        chemistry=mechanics_chemistry_file,
    output:
        vdos="results/mechanics/{model}/{sample}/vdos.csv",
        verdict="results/mechanics/{model}/{sample}/vdos_verdict.csv",
        figure=report(
            "results/mechanics/{model}/{sample}/vdos.png",
            caption="../report/vdos.rst",
            category="11. Mechanics",
            subcategory="{model}/{sample}",
        ),
    log:
        "logs/mechanics/{model}/{sample}/vdos.log",
    benchmark:
        "benchmarks/mechanics/{model}/{sample}/vdos.tsv"
    conda:
        model_env
    threads: md_ranks()
    resources:
        **job_resources("mechanics_vdos"),
    params:
        run=sample_run("vdos", "vdos"),
    script:
        "../scripts/mechanics_vdos.py"


rule mechanics_summary:
    input:
        eos=expand(
            "results/mechanics/{{model}}/{sample}/eos_fit.csv",
            sample=mechanics_part_samples("eos"),
        ),
        fluctuations=expand(
            "results/mechanics/{{model}}/{sample}/fluctuations/moduli.csv",
            sample=mechanics_part_samples("fluctuations"),
        ),
        expansion=expand(
            "results/mechanics/{{model}}/{sample}/expansion_coefficients.csv",
            sample=mechanics_part_samples("expansion"),
        ),
        vdos=expand(
            "results/mechanics/{{model}}/{sample}/vdos.csv",
            sample=mechanics_part_samples("vdos"),
        ),
    output:
        report(
            "results/mechanics/{model}/summary.csv",
            caption="../report/mechanics_summary.rst",
            category="11. Mechanics",
            subcategory="{model}",
        ),
    log:
        "logs/mechanics/{model}/summary.log",
    localrule: True
    conda:
        "../envs/mofglass.yaml"
    params:
        samples={name: s["group"] for name, s in MECHANICS_SAMPLES.items()},
    script:
        "../scripts/mechanics_summary.py"


rule mechanics:
    input:
        expand("results/mechanics/{model}/summary.csv", model=mechanics_models())
        if MECHANICS_SAMPLES
        else [],
