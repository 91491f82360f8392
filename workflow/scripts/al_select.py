"""Active learning: CBAD selection of explored frames against everything labelled."""

from mofglass.jobs.active_learning import select_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
given = dict(snakemake.input.items())
previous = {s: given[s] for s in ("train", "validation", "test") if s in given}
select_job(
    name=snakemake.wildcards.model,
    settings=snakemake.params.settings,
    iteration=int(snakemake.wildcards.iteration),
    structure_file=snakemake.input.structure,
    chemistry_file=snakemake.input.chemistry,
    state_file=given.get("state"),
    dataset_files=previous or None,
    explore_files=list(snakemake.input.explored),
    outputs=dict(snakemake.output.items()),
)
