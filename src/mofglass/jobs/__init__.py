"""One job module per pipeline stage, named after its rule file in ``workflow/rules``.

A job reads files, calls science (the modules one level up), and writes files; the
scripts in ``workflow/scripts`` only unpack Snakemake's arguments and call a job, so
every job can also be run and tested without Snakemake. Jobs never import each other:
what two stages share is a science function both call.
"""
