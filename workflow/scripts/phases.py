"""Every phase-classifier job (rules/phases.smk): the rule's name picks the job."""

from mofglass.jobs import phases as jobs
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
outputs = dict(snakemake.output.items())
if snakemake.rule == "phases_md":
    jobs.class_md_job(
        model_dir=str(snakemake.input.model).rsplit("/", 1)[0],
        structure_file=snakemake.input.structure,
        temperature_K=float(snakemake.wildcards.temperature),
        block=snakemake.params.block,
        damping=snakemake.params.damping,
        watch_block=snakemake.params.watch,
        workdir=snakemake.params.workdir,
        outputs=outputs,
    )
elif snakemake.rule == "phases_train":
    classes = {name: list(files) for name, files in snakemake.input.items()}
    jobs.train_job(classes, snakemake.params.settings, outputs)
else:
    jobs.over_time_job(
        snakemake.input.model,
        snakemake.input.trajectory,
        snakemake.input.thermo,
        snakemake.params.settings,
        snakemake.params.cutoff,
        outputs,
    )
