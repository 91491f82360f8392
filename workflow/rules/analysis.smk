# Stage 10, property analysis: the structure of every crystal, AIMD run and extra
# structure set (RDF and PMF, N-Zn-N angles, coordination, rings, pores, density), with
# the metal, donor and cutoff of the structure's chemistry.


include: "inputs/analysis.smk"


rule analyse:
    input:
        files=lambda wildcards: ANALYSIS_SOURCES[wildcards.source]["files"],
        reference=lambda wildcards: ANALYSIS_SOURCES[wildcards.source]["reference"] or [],
        chemistry=lambda wildcards: ANALYSIS_SOURCES[wildcards.source]["chemistry"] or [],
    output:
        summary=report(
            "results/analysis/{source}/summary.csv",
            caption="../report/analysis_summary.rst",
            category="10. Structure",
            subcategory="{source}",
        ),
        rdf="results/analysis/{source}/rdf.csv",
        pmf="results/analysis/{source}/pmf.csv",
        angles="results/analysis/{source}/angles.csv",
        rdf_figure=report(
            "results/analysis/{source}/rdf.png",
            caption="../report/rdf.rst",
            category="10. Structure",
            subcategory="{source}",
        ),
        angle_figure=report(
            "results/analysis/{source}/angles.png",
            caption="../report/angles.rst",
            category="10. Structure",
            subcategory="{source}",
        ),
    log:
        "logs/analysis/{source}.log",
    benchmark:
        "benchmarks/analysis/{source}.tsv"
    wildcard_constraints:
        source=names_alternation(ANALYSIS_SOURCES),
    conda:
        "../envs/mofglass.yaml"
    params:
        settings=config["analysis"],
        source=lambda wildcards: ANALYSIS_SOURCES[wildcards.source],
    script:
        "../scripts/analyse.py"


rule analysis:
    input:
        expand("results/analysis/{source}/summary.csv", source=ANALYSIS_SOURCES),
