"""Concatenate tab-separated tables with the same columns into one."""

import pandas as pd

from mofglass.atomicio import write_text
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
tables = [pd.read_csv(path, sep="\t") for path in snakemake.input]
write_text(snakemake.output[0], pd.concat(tables, ignore_index=True).to_csv(sep="\t", index=False))
