"""Every mechanics job (rules/mechanics.smk): the rule's name picks the job."""

from mofglass.jobs import mechanics as jobs
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
rule, w, p = snakemake.rule, snakemake.wildcards, snakemake.params
outputs = dict(snakemake.output.items())
if rule == "mechanics_summary":
    jobs.summary_job(
        w.model,
        p.samples,
        snakemake.input.eos,
        snakemake.input.fluctuations,
        snakemake.input.expansion,
        snakemake.output[0],
    )
elif rule in ("mechanics_eos", "mechanics_expansion"):
    gather = jobs.eos_job if rule == "mechanics_eos" else jobs.expansion_job
    gather(list(snakemake.input), w.sample, p.block, outputs)
else:
    run = {
        "model_dir": str(snakemake.input.model).rsplit("/", 1)[0],
        "sample_file": snakemake.input.structure,
        "sample": w.sample,
        "block": p.block,
        "damping": p.damping,
        "watch_block": p.watch,
        "workdir": p.workdir,
        "outputs": outputs,
    }
    if rule == "mechanics_eos_point":
        jobs.eos_point_job(scale=float(w.volume), **run)
    elif rule == "mechanics_expansion_point":
        temperature, pressure = w.point[1:].split("_P")
        jobs.expansion_point_job(
            temperature_K=float(temperature), pressure_GPa=float(pressure), **run
        )
    elif rule == "mechanics_fluctuations":
        jobs.fluctuation_job(**run)
    else:
        jobs.vdos_job(**run)
