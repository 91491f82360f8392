"""Active learning: close an iteration (fresh-frame errors, retraining, stop rule)."""

from mofglass.jobs.active_learning import Harvest, Loop, train_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
names = ("train", "validation", "test", "quarantine", "lineage")
given = dict(snakemake.input.items())
train_job(
    Loop(
        name=snakemake.wildcards.model,
        model_block=snakemake.params.block,
        settings=snakemake.params.settings,
        level=snakemake.params.level,
        structure_file=snakemake.input.structure,
        chemistry_file=snakemake.input.chemistry,
        quality_gate=snakemake.params.quality_gate,
    ),
    iteration=int(snakemake.wildcards.iteration),
    state_file=given.get("state"),
    previous={n: given[f"previous_{n}"] for n in names if f"previous_{n}" in given},
    harvest=Harvest(
        fresh_files=list(given.get("fresh", [])),
        quarantine_files=list(given.get("quarantined", [])),
        selection_file=given.get("selection"),
        coverage_file=given.get("coverage"),
        explore_summaries=list(given.get("explore_summaries", [])),
        label_costs=list(given.get("label_costs", [])),
    ),
    outputs={n: snakemake.output[n] for n in (*names, "state", "model")},
)
