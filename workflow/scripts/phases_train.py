"""Train the local phase classifier on the frames of every class."""

from mofglass.jobs.phases import train_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
train_job(
    {name: list(files) for name, files in snakemake.input.items() if name != "chemistry"},
    snakemake.params.settings,
    dict(snakemake.output.items()),
    chemistry_file=snakemake.input.chemistry,
)
