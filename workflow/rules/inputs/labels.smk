# Input and params functions of rules/labels.smk: labelling and the datasets.
# Functions live apart from rules (snakemake --lint); this file is included by it.


def labelling(level, workdir):
    """The fields of a stage's Labelling (mofglass.labels) at ``level``, in ``workdir``."""
    return {
        "level_name": level,
        "level": level_block(level),
        "labels": config["labels"],
        "cp2k": config["cp2k"],
        "workdir": workdir,
    }


def label_batch_files(level, kind=""):
    """Batch outputs of a level: labelled (kind "") or quarantined (kind "quarantine.")."""
    return expand(
        "results/labels/{level}/batches/{batch:04d}.{kind}extxyz",
        level=level,
        batch=range(plan.label_batches(config, level)),
        kind=kind,
    )


def dataset_inputs(wildcards):
    """A dataset's selection plus its labels: the level's labelling output, or the
    AIMD trajectories it takes its labels from."""
    block = config["datasets"][wildcards.dataset]
    inputs = {"selection": f"results/selection/{wildcards.dataset}/selection.csv"}
    if block["labels_from"] == "single_point":
        level = block["level_of_theory"]
        inputs["labelled"] = f"results/labels/{level}/labelled.extxyz"
        inputs["label_quarantine"] = f"results/labels/{level}/quarantine.extxyz"
    else:
        inputs["trajectories"] = aimd_trajectories()
    return inputs


def dataset_files():
    return expand(
        "results/datasets/{dataset}/{name}",
        dataset=config["datasets"],
        name=["train.extxyz", "test.extxyz", "validation.extxyz", "lineage.csv"],
    )
