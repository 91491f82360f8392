#!/usr/bin/env bash
# Snakemake runs this inside the new environment, from the workflow's working
# directory (the repository): install mofglass itself, editable, so the environment
# follows the checked-out code.
set -euo pipefail
python -m pip install --no-deps --no-build-isolation -e .
