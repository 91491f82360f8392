"""Gather the frames to label at one level: every relabelled dataset's chosen frames."""

from mofglass.logs import setup_logging
from mofglass.workflow import label_requests_job

setup_logging(snakemake.log[0])
label_requests_job(selection_files=snakemake.input.selections, requests_file=snakemake.output[0])
