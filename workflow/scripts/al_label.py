"""Active learning: one batch of an iteration's requests labelled behind the gate, with
its cost (the labels stage's own job)."""

from mofglass.jobs.labels import label_batch_job
from mofglass.labels import Labelling
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
label_batch_job(
    Labelling(**snakemake.params.labelling, threads=snakemake.threads),
    requests_file=snakemake.input[0],
    batch_index=int(snakemake.wildcards.batch),
    outputs=dict(snakemake.output.items()),
)
