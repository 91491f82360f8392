"""Label a dataset's test split at a second level and compare the two levels."""

from mofglass.jobs.cross_check import level_check_job
from mofglass.labels import Labelling
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
level_check_job(
    Labelling(**snakemake.params.labelling, threads=snakemake.threads),
    test_file=snakemake.input[0],
    dataset=snakemake.wildcards.dataset,
    outputs=dict(snakemake.output.items()),
)
