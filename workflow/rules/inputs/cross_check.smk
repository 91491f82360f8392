# Input and params functions of rules/cross_check.smk: the cross-checks.
# Functions live apart from rules (snakemake --lint); this file is included by it.


def cross_check_datasets():
    """Datasets whose test split is labelled at the second level."""
    block = config["cross_check"]
    level = block["level_of_theory"]
    if not block["enabled"] or level is None:
        return []
    names = block["datasets"] if block["datasets"] is not None else list(config["datasets"])
    return [n for n in names if config["datasets"][n]["level_of_theory"] != level]


def cross_check_files():
    block = config["cross_check"]
    if not block["enabled"]:
        return []
    files = expand("results/cross_check/{dataset}/errors.csv", dataset=cross_check_datasets())
    if block["glasses"]:
        files += expand("results/cross_check/glasses/{model}.csv", model=meltquench_models())
    return files


def cross_check_report():
    files = cross_check_files()
    return {
        "cross_check_levels": [f for f in files if "/glasses/" not in f],
        "cross_check_glasses": [f for f in files if "/glasses/" in f],
    }
