# Input and params functions of rules/md.smk: the MD check.
# Functions live apart from rules (snakemake --lint); this file is included by it.


def md_structure_file(part):
    """The structure an md block (check, cost) runs on."""
    return structure_file(config["md"][part]["structure"])
