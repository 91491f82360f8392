# Stage 12, enhanced sampling: well-tempered metadynamics with every model and bias
# (one description, written for Colvars and for PLUMED), its FES and barrier.


include: "inputs/enhanced.smk"


wildcard_constraints:
    bias=names_alternation(config["enhanced_sampling"]["biases"]),


rule enhanced_run:
    input:
        model="results/models/{model}/model.json",
        structure=lambda wildcards: structure_file(
            config["enhanced_sampling"]["biases"][wildcards.bias]["structure"]
        ),
        chemistry=lambda wildcards: chemistry_file(
            config["enhanced_sampling"]["biases"][wildcards.bias]["structure"]
        ),
    output:
        fes="results/enhanced/{model}/{bias}/fes.csv",
        convergence="results/enhanced/{model}/{bias}/convergence.csv",
        barrier=report(
            "results/enhanced/{model}/{bias}/barrier.csv",
            caption="../report/barrier_table.rst",
            category="12. Enhanced sampling",
            subcategory="{model}/{bias}",
        ),
        fes_figure=report(
            "results/enhanced/{model}/{bias}/fes.png",
            caption="../report/fes.rst",
            category="12. Enhanced sampling",
            subcategory="{model}/{bias}",
        ),
        convergence_figure=report(
            "results/enhanced/{model}/{bias}/convergence.png",
            caption="../report/convergence.rst",
            category="12. Enhanced sampling",
            subcategory="{model}/{bias}",
        ),
    log:
        "logs/enhanced/{model}/{bias}.log",
    benchmark:
        "benchmarks/enhanced/{model}/{bias}.tsv"
    conda:
        model_env
    resources:
        **job_resources("enhanced_run"),
    params:
        block=lambda wildcards: config["enhanced_sampling"]["biases"][wildcards.bias],
        backend=config["enhanced_sampling"]["backend"],
        md=md_settings(),
        workdir=lambda wildcards: f"results/enhanced/{wildcards.model}/{wildcards.bias}/lammps",
    script:
        "../scripts/enhanced.py"


rule enhanced:
    input:
        enhanced_files("barrier.csv"),
