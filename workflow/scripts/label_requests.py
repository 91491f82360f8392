"""Gather the frames to label at one level: every relabelled dataset's chosen frames."""

from mofglass.jobs.labels import label_requests_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
label_requests_job(selection_files=snakemake.input.selections, requests_file=snakemake.output[0])
