# Input and params functions of rules/active_learning.smk: the active-learning loop: iteration k lives in al_dir(model, k).
# Functions live apart from rules (snakemake --lint); this file is included by it.


def al_loop(model):
    """A model's active-learning block, with its committee's trust window (eV/Å), which
    selection by committee uses."""
    block = config["models"][model]
    trust = (block.get("committee") or {}).get("trust")
    return {**block["active_learning"], "trust": trust}


def al_dir(model, iteration):
    return f"results/active_learning/{model}/iter{int(iteration):03d}"


def al_structure(model):
    return structure_file(al_loop(model)["structure"])


def al_runs(model, iteration):
    return range(alearn.runs_at(al_loop(model), int(iteration)))


def al_batches(model, iteration):
    loop = al_loop(model)
    return range(alearn.label_batches(loop, int(iteration), config["labels"]["batch_size"]))


def al_previous(wildcards):
    """The state and labelled set after the previous iteration (none at iteration 0)."""
    k = int(wildcards.iteration)
    if k == 0:
        return {}
    before = al_dir(wildcards.model, k - 1)
    return {"state": f"{before}/state.json", **split_files(f"{before}/dataset")}


def al_explore_inputs(wildcards):
    inputs = {
        "structure": al_structure(wildcards.model),
        "chemistry": chemistry_file(al_loop(wildcards.model)["structure"]),
    }
    if int(wildcards.iteration) > 0:
        inputs["state"] = al_previous(wildcards)["state"]
    return inputs


def al_explored(wildcards, kind="extxyz"):
    here = al_dir(wildcards.model, wildcards.iteration)
    return [
        f"{here}/explore/run{r:03d}.{kind}" for r in al_runs(wildcards.model, wildcards.iteration)
    ]


def al_select_inputs(wildcards):
    return {
        **al_previous(wildcards),
        "structure": al_structure(wildcards.model),
        "chemistry": chemistry_file(al_loop(wildcards.model)["structure"]),
        "explored": al_explored(wildcards),
    }


def al_start_files(model):
    """Iteration 0's labelled set with start dataset: the model's dataset."""
    directory = f"results/datasets/{config['models'][model]['dataset']}"
    return {**split_files(directory), "quarantine": f"{directory}/quarantine.extxyz"}


def al_train_inputs(wildcards):
    model, k = wildcards.model, int(wildcards.iteration)
    here = al_dir(model, k)
    inputs = {
        "structure": al_structure(model),
        "chemistry": chemistry_file(al_loop(model)["structure"]),
    }
    if k == 0 and al_loop(model)["start"] == "dataset":
        return {**inputs, **{f"previous_{n}": f for n, f in al_start_files(model).items()}}
    if k > 0:
        before = al_dir(model, k - 1)
        inputs["state"] = f"{before}/state.json"
        inputs.update({f"previous_{n}": f for n, f in split_files(f"{before}/dataset").items()})
        inputs["previous_quarantine"] = f"{before}/dataset/quarantine.extxyz"
    batches = al_batches(model, k)
    inputs["fresh"] = [f"{here}/labels/{b:04d}.extxyz" for b in batches]
    inputs["quarantined"] = [f"{here}/labels/{b:04d}.quarantine.extxyz" for b in batches]
    inputs["label_costs"] = [f"{here}/labels/{b:04d}.cost.csv" for b in batches]
    inputs["selection"] = f"{here}/selection.csv"
    inputs["coverage"] = f"{here}/coverage.json"
    inputs["explore_summaries"] = al_explored(wildcards, "csv")
    return inputs


def al_last(model):
    return al_dir(model, al_loop(model)["max_iterations"])


def active_learning_report():
    return {
        "al_records": expand("results/active_learning/{model}/records.csv", model=al_models()),
        "al_figures": expand("results/active_learning/{model}/records.png", model=al_models()),
    }
