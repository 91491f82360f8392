"""Job-level entry points: what one Snakemake job does, from files and config blocks.

The scripts in ``workflow/scripts`` only unpack Snakemake's arguments and call these,
so every job can also be run and tested without Snakemake.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import ase.io
import numpy as np
import pandas as pd
from ase import Atoms

from . import analysis, calculators, plots
from .aimd import RunawayWatch, run_aimd, thermo_table
from .atomicio import read_frames, read_table, write_frames, write_table, write_text
from .calculators import CalculatorLevel, is_calculator
from .cbad import Coverage, Resolution, pool_keys, select_frames
from .cp2k.inputs import MDSettings, check_overrides
from .cp2k.levels import LevelOfTheory
from .cp2k.run import Launcher
from .datasets import assemble, label_requests, load_frames
from .datasets import summary as dataset_summary
from .labelling import QualityGate, frame_order, label_at_level, summary_table
from .md import Protocol, meltquench_protocol, run_md
from .models import load_model
from .plan import AIMDRun
from .pool import build_pool, restrict
from .report import Section, compare, render
from .selection import select, split_counts
from .structures import load_structure, supercell

log = logging.getLogger(__name__)


def structure_job(
    output_file: str,
    name: str,
    block: Mapping,
    levels: Mapping[str, Mapping],
    data_dir: str | None,
) -> Atoms:
    """Build a structure and check that every level of theory in use can describe it.

    Loads the source, applies the supercell, checks each level's elements (basis sets,
    pseudopotentials, parameters) and its CP2K overrides, then writes the cell as used.
    """
    atoms = supercell(load_structure(block["source"]), block["supercell"])
    for level_name, level_block in levels.items():
        if is_calculator(level_block):
            continue  # checked before any job (mofglass.calculators.missing)
        level = LevelOfTheory.from_config(level_name, level_block)
        level.check_elements(atoms.get_chemical_symbols(), data_dir)
        check_overrides(level)
    write_structure(output_file, atoms, name, block["source"])
    log.info(
        "%s: %s, %d atoms, cell %s Å",
        name,
        atoms.get_chemical_formula(),
        len(atoms),
        atoms.cell.cellpar().round(4).tolist(),
    )
    return atoms


def write_structure(path: str | Path, atoms: Atoms, name: str, source: str | None = None) -> None:
    """Write a structure (positions Å, cell Å) with its name and source in ``info``."""
    atoms = atoms.copy()
    atoms.info["structure"] = name
    if source is not None:
        atoms.info["structure_source"] = source
    write_frames(path, [atoms])


def aimd_job(
    structure_file: str,
    trajectory_file: str,
    thermo_file: str,
    workdir: str,
    structure: str,
    temperature_K: float,
    volume_scale: float,
    aimd: Mapping,
    level_name: str,
    level: Mapping,
    cp2k: Mapping,
    threads: int | None = None,
) -> list[Atoms]:
    """One AIMD run: chunked CP2K MD, then the trajectory (extxyz) and thermo table (TSV)."""
    (atoms,) = read_frames(structure_file)
    run = AIMDRun(structure, temperature_K, volume_scale)
    md = MDSettings(
        temperature_K=temperature_K,
        timestep_fs=aimd["timestep_fs"],
        thermostat_timecon_fs=aimd["thermostat_timecon_fs"],
        print_every=aimd["print_every"],
        stress=aimd["stress"],
        seed=run.seed(aimd["seed"]),
        masses=dict(aimd["masses"]),
    )
    watch = RunawayWatch.from_config(temperature_K, aimd["watch"])
    provenance = {
        "source": "aimd",
        "structure": structure,
        "run": run.name,
        "temperature_K": temperature_K,
        "volume_scale": volume_scale,
    }
    start = time.perf_counter()
    if is_calculator(level):
        frames = calculators.run_md(
            atoms,
            CalculatorLevel.from_config(level_name, level),
            md,
            steps=aimd["steps"],
            chunk_steps=aimd["chunk_steps"],
            workdir=workdir,
            provenance=provenance,
            threads=threads or 1,
            watch=watch,
        )
    else:
        frames = run_aimd(
            atoms,
            LevelOfTheory.from_config(level_name, level),
            md,
            steps=aimd["steps"],
            chunk_steps=aimd["chunk_steps"],
            launcher=Launcher.from_config(cp2k, threads),
            workdir=workdir,
            provenance=provenance,
            watch=watch,
        )
    write_text(thermo_file, thermo_table(frames))
    write_frames(trajectory_file, frames)
    n_bad = sum(not f.info["scf_converged"] for f in frames)
    log.info(
        "%s (seed %d): %d frames (steps 0-%d) in %.1f s; %d with unconverged SCF",
        run.name,
        md.seed,
        len(frames),
        frames[-1].info["step"] if frames else 0,
        time.perf_counter() - start,
        n_bad,
    )
    if frames and frames[-1].info.get("runaway"):
        log.warning("%s stopped: %s", run.name, frames[-1].info["runaway"])
    return frames


def label_batch_job(
    requests_file: str,
    labelled_file: str,
    quarantine_file: str,
    batch_index: int,
    workdir: str,
    labels: Mapping,
    level_name: str,
    level: Mapping,
    cp2k: Mapping,
    threads: int | None = None,
) -> tuple[list[Atoms], list[Atoms]]:
    """One labelling batch: single points of requested frames, split by the quality gate.

    Batch ``k`` holds requests ``k * batch_size`` to ``(k + 1) * batch_size``; batches
    past the end of the requests are empty.
    """
    size = labels["batch_size"]
    frames = read_frames(requests_file)[batch_index * size : (batch_index + 1) * size]
    gate = QualityGate(**labels["quality_gate"])
    start = time.perf_counter()
    accepted, quarantined = label_at_level(
        frames, level_name, level, workdir, gate, labels["stress"], cp2k, threads
    )
    write_frames(quarantine_file, quarantined)
    write_frames(labelled_file, accepted)
    log.info(
        "batch %d: %d frames, %d accepted, %d quarantined, %.1f s",
        batch_index,
        len(frames),
        len(accepted),
        len(quarantined),
        time.perf_counter() - start,
    )
    return accepted, quarantined


def merge_label_batches(
    batch_files: Sequence[str],
    quarantine_files: Sequence[str],
    labelled_file: str,
    quarantine_file: str,
    summary_file: str,
) -> None:
    """Concatenate batches in frame order; write the labelled set, quarantine and summary."""
    accepted = [a for path in batch_files for a in read_frames(path)]
    quarantined = [a for path in quarantine_files for a in read_frames(path)]
    accepted.sort(key=frame_order)
    quarantined.sort(key=frame_order)
    write_text(summary_file, summary_table(accepted, quarantined))
    write_frames(quarantine_file, quarantined)
    write_frames(labelled_file, accepted)
    log.info("%d frames labelled, %d quarantined", len(accepted), len(quarantined))


def pool_job(
    runs: Sequence[AIMDRun],
    thermo_files: Sequence[str],
    trajectory_files: Sequence[str],
    equilibration_steps: int,
    pool_file: str,
) -> pd.DataFrame:
    """The pool table (CSV) of every usable AIMD frame after equilibration."""
    pool = build_pool(zip(runs, thermo_files, trajectory_files, strict=True), equilibration_steps)
    write_table(pool_file, pool)
    log.info("pool: %d frames from %d runs", len(pool), len(runs))
    return pool


def select_job(
    pool_file: str,
    dataset: str,
    block: Mapping,
    selection_file: str,
    figure_file: str,
    coverage_file: str | None = None,
    coverage_figure: str | None = None,
    threads: int = 1,
) -> pd.DataFrame:
    """Select a dataset's frames: lineage table (CSV), energy figure, and for CBAD the
    coverage table (CSV) and figure."""
    pool = read_table(pool_file)
    candidates = restrict(pool, block["stride"], block["temperatures_K"])
    if candidates.empty:
        raise ValueError(f"dataset {dataset}: no candidate frames in the pool")
    train_positions = added = None
    start = time.perf_counter()
    if block["selector"] == "cbad":
        coverage, train_positions, added = cbad_job_selection(candidates, block, threads)
        coverage_table = pd.DataFrame(coverage.table())
        write_table(coverage_file, coverage_table)
        plots.cbad_coverage(coverage_table, coverage_figure)
    lineage = select(candidates, dataset, dict(block), train_positions, added)
    write_table(selection_file, lineage)
    plots.energy_distribution(candidates, lineage, figure_file)
    log.info(
        "dataset %s (%s, seed %d): %d candidates -> %s in %.2f s",
        dataset,
        block["selector"],
        block["seed"],
        len(candidates),
        split_counts(lineage),
        time.perf_counter() - start,
    )
    return lineage


def cbad_job_selection(
    candidates: pd.DataFrame, block: Mapping, threads: int = 1
) -> tuple[Coverage, list[int], list[str]]:
    """Apply CBAD to the candidates in pool order (or shuffled with the dataset's seed).

    Returns the coverage, the accepted candidate positions (ascending) and, per
    candidate, the bins it added.
    """
    resolution, bond_scale = Resolution.from_config(block["cbad"])
    order = block["cbad"]["order"]
    requests = [
        (path, group["frame"].tolist())
        for path, group in candidates.groupby("trajectory", sort=False)
    ]
    keyed = pool_keys(requests, resolution, bond_scale, processes=threads)
    coverage = Coverage(resolution)
    per_frame: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
    for result in keyed:
        type_ids = coverage.register(result)
        for frame, keys in zip(result.frames, result.keys, strict=True):
            per_frame[(result.path, frame)] = (keys, type_ids)
    sequence = np.arange(len(candidates))
    if order == "shuffled":
        sequence = np.random.default_rng([block["seed"], 1]).permutation(len(candidates))
    paths, frames = candidates["trajectory"].to_numpy(), candidates["frame"].to_numpy()
    offered = [per_frame[(paths[i], int(frames[i]))] for i in sequence]
    accepted, added_in_order = select_frames(coverage, offered, block.get("train"))
    added = [""] * len(candidates)
    for position, text in zip(sequence, added_in_order, strict=True):
        added[position] = text
    return coverage, sorted(int(sequence[a]) for a in accepted), added


def label_requests_job(selection_files: Sequence[str], requests_file: str) -> list[Atoms]:
    """The frames to label at one level: every dataset's chosen frames, once each."""
    rows = label_requests(read_table(path) for path in selection_files)
    frames = list(load_frames(rows, keep_results=False))
    frames.sort(key=frame_order)
    write_frames(requests_file, frames)
    log.info("%d frames to label from %d dataset(s)", len(frames), len(selection_files))
    return frames


def dataset_job(
    selection_file: str,
    dataset: str,
    block: Mapping,
    labels: Mapping,
    aimd_stress: bool,
    split_files: Mapping[str, str],
    quarantine_file: str,
    lineage_file: str,
    labelled_file: str | None = None,
    label_quarantine_file: str | None = None,
) -> pd.DataFrame:
    """A dataset's labelled splits (extxyz), its quarantine and its lineage (CSV)."""
    lineage = read_table(selection_file)
    splits, quarantine, lineage = assemble(
        lineage,
        block["level_of_theory"],
        block["labels_from"],
        labelled=read_frames(labelled_file) if labelled_file else (),
        quarantined=read_frames(label_quarantine_file) if label_quarantine_file else (),
        gate=QualityGate(**labels["quality_gate"]),
        stress=aimd_stress if block["labels_from"] == "aimd" else labels["stress"],
    )
    for name, frames in splits.items():
        write_frames(split_files[name], frames)
    write_frames(quarantine_file, quarantine)
    write_table(lineage_file, lineage)
    log.info(
        "dataset %s: labelled %s at %s (from %s); %d quarantined",
        dataset,
        dataset_summary(lineage),
        block["level_of_theory"],
        block["labels_from"],
        len(quarantine),
    )
    return lineage


def md_job(
    model_dir: str,
    structure_file: str,
    protocol_block: Mapping,
    damping: Mapping,
    workdir: str,
    thermo_file: str,
    trajectory_file: str,
    figure_file: str,
    verdict_file: str,
    repeat: Sequence[int] = (1, 1, 1),
) -> pd.DataFrame:
    """MD of a structure with a trained model: thermo table (TSV), trajectory (extxyz),
    temperature figure, and the run's verdict (TSV: ok, or failed with reason and time).

    A run that fails (runaway, lost atoms) is a result, not a job failure: its outputs
    are written and the verdict says what happened.
    """
    model = load_model(model_dir)
    (atoms,) = read_frames(structure_file)
    atoms = supercell(atoms, repeat)
    protocol = Protocol.from_config(protocol_block, damping)
    start = time.perf_counter()
    result = run_md(atoms, model, protocol, workdir)
    seconds = time.perf_counter() - start
    for frame in result.frames:
        frame.info.update(model=model.name, source="md")
    write_text(thermo_file, result.thermo.to_csv(sep="\t", index=False))
    write_frames(trajectory_file, result.frames)
    title = f"{model.name}: {len(atoms)} atoms, {result.verdict}"
    plots.thermo_plot(result.thermo, figure_file, title)
    nothing = pd.Series({"time_ps": 0.0, "temperature_K": np.nan, "pressure_GPa": np.nan})
    last = result.thermo.iloc[-1] if len(result.thermo) else nothing  # failed at set-up
    verdict = pd.DataFrame(
        [
            {
                "model": model.name,
                "n_atoms": len(atoms),
                "verdict": result.verdict,
                "reason": result.reason,
                "failed_at_ps": result.failed_at_ps,
                "final_time_ps": last["time_ps"],
                "final_temperature_K": last["temperature_K"],
                "wall_s": seconds,
            }
        ]
    )
    write_text(verdict_file, verdict.to_csv(sep="\t", index=False))
    log.info(
        "%s: %s after %.3f ps in %.1f s; final T %.1f K, P %.3f GPa %s",
        model.name,
        result.verdict,
        last["time_ps"],
        seconds,
        last["temperature_K"],
        last["pressure_GPa"],
        result.reason,
    )
    return result.thermo


def analysis_job(
    files: Sequence[str],
    name: str,
    settings: Mapping,
    outdir: str,
    temperature_K: float,
    temperature_from: str,
    independent: bool = False,
    last_frames: int | None = None,
    reference_file: str | None = None,
) -> pd.DataFrame:
    """Structural analysis of structures or trajectory frames: tables (CSV) and figures.

    ``reference_file``: the structure the frames started from (a glass's crystal),
    whose density judges theirs.

    The PMFs are taken at ``temperature_K`` (K), the frames' own temperature;
    ``temperature_from`` says where it comes from (shown in the figure).

    ``last_frames`` keeps the last frames of each file (a trajectory's equilibrated
    end); ``independent`` says the frames are separate samples (replicas, a set of
    structures) rather than one trajectory.
    """
    frames = []
    for path in files:
        read = read_frames(path) if str(path).endswith(".extxyz") else ase.io.read(path, ":")
        if not read:
            log.warning("%s: nothing to analyse in %s (a failed run)", name, path)
        frames.extend(read[-last_frames:] if last_frames else read)
    out = Path(outdir)
    if not frames:
        log.warning("%s: no frames at all; the tables are empty", name)
        for table in ("rdf", "pmf", "angles", "summary"):
            write_text(out / f"{table}.csv", "")
        for figure in ("rdf.png", "angles.png"):
            plots.empty_figure(out / figure, f"{name}: no frames (every run failed)")
        return pd.DataFrame()
    start = time.perf_counter()
    reference = None
    if reference_file:
        reference = analysis.density(read_frames(reference_file)[0])
    result = analysis.analyse(
        frames, dict(settings), temperature_K, independent, reference_density=reference
    )
    for table in ("rdf", "pmf", "angles", "summary"):
        write_table(out / f"{table}.csv", result[table])
    plots.rdf_plot(
        result["rdf"],
        result["pmf"],
        out / "rdf.png",
        f"{name} ({len(frames)} frames); PMF at {temperature_K:g} K ({temperature_from})",
    )
    plots.angle_plot(result["angles"], out / "angles.png", f"{name} ({len(frames)} frames)")
    log.info(
        "%s: %d frames analysed in %.1f s\n%s",
        name,
        len(frames),
        time.perf_counter() - start,
        result["summary"].to_string(index=False),
    )
    return result["summary"]


def meltquench_job(
    model_dir: str,
    structure_file: str,
    block: Mapping,
    damping: Mapping,
    replica: int,
    workdir: str,
    outputs: Mapping[str, str],
) -> str:
    """One melt-quench replica with the stability watch; returns the verdict.

    Writes the thermo table (TSV), the trajectory and the final stage's frames (extxyz),
    the T(t) figure with the stages coloured, and the verdict (TSV). A replica that
    trips the watch is a result: ``failed``, why, and when.
    """
    model = load_model(model_dir)
    (atoms,) = read_frames(structure_file)
    atoms = supercell(atoms, block["supercell"])
    watch = analysis.StabilityWatch.from_config(atoms, block["watch"])
    protocol = meltquench_protocol(block, block["seed"] + replica, damping)
    start = time.perf_counter()
    result = run_md(atoms, model, protocol, workdir, watch=watch.problems)
    seconds = time.perf_counter() - start
    for frame in result.frames:
        frame.info.update(model=model.name, replica=replica, source="meltquench")
    final_rows = result.thermo[result.thermo["stage"] == "final"]
    final = []
    if len(final_rows):  # frames after the final stage's first step (that one ends the quench)
        first = final_rows["step"].min()
        final = [f for f in result.frames if f.info["step"] > first]
    write_text(outputs["thermo"], result.thermo.to_csv(sep="\t", index=False))
    write_frames(outputs["trajectory"], result.frames)
    write_frames(outputs["final"], final if result.verdict == "ok" else [])
    title = f"{model.name} melt-quench, replica {replica}: {result.verdict}"
    plots.thermo_plot(result.thermo, outputs["figure"], title)
    verdict = pd.DataFrame(
        [
            {
                "model": model.name,
                "replica": replica,
                "n_atoms": len(atoms),
                "verdict": result.verdict,
                "reason": result.reason,
                "failed_at_ps": result.failed_at_ps,
                "simulated_ps": float(result.thermo["time_ps"].iloc[-1])
                if len(result.thermo)
                else 0.0,
                "final_frames": len(final),
                "wall_s": seconds,
            }
        ]
    )
    write_text(outputs["verdict"], verdict.to_csv(sep="\t", index=False))
    log.info(
        "%s replica %d: %s %s (%.1f s)", model.name, replica, result.verdict, result.reason, seconds
    )
    return result.verdict


def report_job(
    config_name: str,
    datasets: Sequence[str],
    models: Sequence[str],
    analysis_sources: Sequence[str],
    meltquench: bool,
    output: str,
    comparison_figure: str | None = None,
    model_blocks: Mapping | None = None,
    active_learning: Sequence[str] = (),
    mechanics: Mapping[str, Sequence[str]] | None = None,
    mechanics_kinds: Mapping[str, str] | None = None,
    enhanced: Sequence[str] = (),
    phases: bool = False,
    cross_check: Sequence[str] = (),
) -> None:
    """Write the self-contained HTML report of a run from the files under results/;
    ``comparison_figure``: where the model comparison figure goes."""

    results = Path("results")
    sections = []
    selection = Section("Selection", "Potential energy per atom of the pool and of each split.")
    for name in datasets:
        table = read_table(results / f"selection/{name}/selection.csv")
        counts = table["split"].value_counts().rename_axis("split").reset_index(name="frames")
        selection.tables.append((f"dataset {name} ({table['selector'].iloc[0]})", counts))
        selection.figures.append(results / f"selection/{name}/energy_distribution.png")
        coverage = results / f"selection/{name}/cbad_coverage.png"
        if coverage.exists():
            selection.figures.append(coverage)
    sections.append(selection)

    model_section = Section(
        "Models",
        "Errors of every model on its splits (LAMMPS with the written files), "
        "measured MD cost on this machine, and published values.",
    )
    model_rows = []
    for name in models:
        metrics = read_table(results / f"models/{name}/metrics.csv")
        cost = read_table(results / f"models/{name}/cost.csv")
        model_section.tables.append((f"{name}: errors", metrics))
        model_section.tables.append((f"{name}: MD cost", cost))
        test = metrics[metrics["split"] == "test"].iloc[0]
        for column in metrics.columns[3:-1]:
            unit = column.rsplit("_", 2)[-2:] if "per" in column else column.rsplit("_", 1)[-1:]
            model_rows.append(
                {
                    "source": f"{name} (test)",
                    "quantity": column,
                    "value": test[column],
                    "error": float("nan"),
                    "unit": "/".join(unit),
                }
            )
        model_rows.append(
            {
                "source": f"{name} ({cost['n_atoms'].iloc[-1]} atoms)",
                "quantity": "us_per_atom_step",
                "value": cost["us_per_atom_step"].iloc[-1],
                "error": float("nan"),
                "unit": "µs/atom/step",
            }
        )
        for figure in ("parity.png", "learning_curve.png", "cost.png"):
            model_section.figures.append(results / f"models/{name}/{figure}")
        model_section.figures.append(results / f"md/{name}/check/temperature.png")
        verdict = pd.read_csv(results / f"md/{name}/check/verdict.tsv", sep="\t")
        model_section.tables.append((f"{name}: MD check", verdict))
    if comparison_figure is not None and not models:
        plots.empty_figure(comparison_figure, "no models in this run")
    if models and comparison_figure is not None:
        from .evaluation import comparison_plot, model_comparison

        blocks = model_blocks or {}
        table = model_comparison(
            {
                name: {
                    "type": blocks.get(name, {}).get("type", ""),
                    "dataset": blocks.get(name, {}).get("dataset", ""),
                    "metrics": read_table(results / f"models/{name}/metrics.csv"),
                    "cost": read_table(results / f"models/{name}/cost.csv"),
                    "md_check": pd.read_csv(results / f"md/{name}/check/verdict.tsv", sep="\t")[
                        "verdict"
                    ].iloc[0],
                }
                for name in models
            }
        )
        comparison_plot(table, comparison_figure)
        model_section.tables.insert(0, ("comparison (test MAE; Table 1 layout)", table))
        model_section.figures.insert(0, Path(comparison_figure))
    if model_rows:
        model_section.tables.insert(
            0, ("next to published values", compare(pd.DataFrame(model_rows), "model"))
        )
    sections.append(model_section)
    if active_learning:
        loops = Section(
            "Active learning",
            "Per iteration: frames explored by MD with the current model at T_k, new CBAD "
            "bins, frames selected, labelled and quarantined; the force RMSE of model k-1 "
            "on the fresh frames (before they join the training set) and of the current "
            "model on the fixed test set; core-seconds per stage.",
        )
        for name in active_learning:
            records = read_table(results / f"active_learning/{name}/records.csv")
            loops.tables.append((f"{name}: records", records))
            loops.figures.append(results / f"active_learning/{name}/records.png")
        sections.append(loops)

    if meltquench:
        melt = Section(
            "Melt-quench",
            "Every run's verdict from the stability watch, and T(t) with the stages "
            "coloured (Castel et al., Fig. 5).",
        )
        melt.tables.append(("verdicts", pd.read_csv(results / "meltquench/verdicts.tsv", sep="\t")))
        melt.figures += sorted(results.glob("meltquench/*/replica*/temperature.png"))
        sections.append(melt)

    structure = Section(
        "Structure",
        "Averages with their errors (block averages for one trajectory, standard errors "
        "across replicas or structures), and published values. Each PMF is taken at its "
        "source's own temperature, named in its figure: an AIMD run's thermostat, the "
        "melt-quench's final stage for glasses, analysis.pmf_temperature_K for static "
        "structures.",
    )
    for kind in ("structure", "aimd", "meltquench", "set"):
        rows = []
        for source in (s for s in analysis_sources if s.startswith(kind + "/")):
            path = results / f"analysis/{source}/summary.csv"
            if path.stat().st_size == 0:
                continue
            summary = read_table(path)
            for column in ("value", "error"):
                summary[column] = pd.to_numeric(summary[column], errors="coerce")
            summary.insert(0, "source", source)
            rows.append(summary)
        if not rows:
            continue
        table = pd.concat(rows, ignore_index=True)
        structure.tables.append((f"{kind}: all quantities", table.drop(columns=["n_samples"])))
        compared = compare(table, kind)
        if len(compared):
            structure.tables.append((f"{kind}: next to published values", compared))
    for source in analysis_sources:
        for figure in ("rdf.png", "angles.png"):
            structure.figures.append(results / f"analysis/{source}/{figure}")
    sections.append(structure)

    if cross_check:
        sections.append(cross_check_section(results, cross_check))
    if mechanics:
        sections.append(mechanics_section(results, mechanics, mechanics_kinds or {}))
    if enhanced:
        sections.append(enhanced_section(results, enhanced))
    if phases:
        sections.append(phases_section(results))

    text = render(
        "mofglass report",
        sections,
        f"Config: {html.escape(config_name)}. Units: energies meV/atom, forces meV/Å, stress "
        "MPa, density g/cm³, pore volume cm³/kg, angles degrees, PMFs kJ/mol.",
    )
    write_text(output, text)
    log.info("report: %s (%d sections, %.1f MB)", output, len(sections), len(text) / 1e6)


def cross_check_section(results: Path, files: Sequence[str]) -> Section:
    """The cross-check tables: levels against each other, glasses at their teacher's level."""
    section = Section(
        "Cross-checks",
        "The reference level against a second level on each checked dataset's test split "
        "(energies after removing the mean offset between the two levels, meV/atom; "
        "forces meV/Å; stress GPa), and each glass's final frame at the level its model "
        "learnt from: its energy above the model's 300 K crystal frame (meV/atom, and "
        "kJ/mol per metal atom), the RMS force there against the crystal's (eV/Å), and "
        "the model's own force error on the glass (meV/Å).",
    )
    levels = [read_table(f) for f in files if "/glasses/" not in str(f)]
    glasses = [read_table(f) for f in files if "/glasses/" in str(f)]
    if levels:
        section.tables.append(("levels", pd.concat(levels, ignore_index=True)))
    if glasses:
        section.tables.append(("glasses", pd.concat(glasses, ignore_index=True)))
    return section


def mechanics_section(
    results: Path, samples: Mapping[str, Sequence[str]], kinds: Mapping[str, str]
) -> Section:
    """The mechanics results of every model (``samples``: model -> its samples), the
    crystals', glasses' and sets' next to the published values (``kinds``: sample
    group -> crystal, glass or set), and each sample's figures."""

    section = Section(
        "Mechanics",
        "Bulk modulus from the P(V) scan (Birch-Murnaghan, K_PV, rho0) and from strain and "
        "volume fluctuations (Voigt, Reuss, Hill), Young's and shear moduli and Poisson's "
        "ratio, thermal expansion coefficients (1/K) at the scan's temperature, and the "
        "VDOS. Errors: fit standard errors, block averages of one run, standard errors "
        "over replicas. A sample without numbers says why in its figures.",
    )
    for model, names in samples.items():
        table = read_table(results / f"mechanics/{model}/summary.csv")
        section.tables.append((f"{model}: every sample", table))
        table = table.assign(source=model + "/" + table["sample"].astype(str))
        for group, kind in kinds.items():
            part = table[table["group"] == group]
            if (part["n"] > 1).any():  # a group of samples: its mean over them
                part = part[part["n"] > 1]
            compared = compare(part, f"mechanics-{kind}")
            if len(compared):
                section.tables.append((f"{model}, {group}: next to published values", compared))
        for sample in names:
            base = results / f"mechanics/{model}/{sample}"
            section.figures += [
                base / "eos.png",
                base / "fluctuations/running.png",
                base / "expansion.png",
                base / "vdos.png",
            ]
    return section


def enhanced_section(results: Path, runs: Sequence[str]) -> Section:
    """Barrier of every (model, bias) run (``runs``: ``<model>/<bias>``) next to the
    published one, with the FES and its convergence."""
    section = Section(
        "Enhanced sampling",
        "Well-tempered metadynamics: the FES rebuilt from the deposited hills, "
        "F = -γ/(γ-1) V; the barrier is the highest F in the bias's top interval minus the "
        "lowest in its basin, along its barrier CV (a two-CV FES projected on it first), "
        "its error the spread over the last half of the run. Regions no hill reached sit "
        "flat at the top of the FES.",
    )
    rows = []
    for run in runs:
        table = read_table(results / f"enhanced/{run}/barrier.csv")
        table.insert(0, "source", run)
        rows.append(table)
        section.figures += [
            results / f"enhanced/{run}/fes.png",
            results / f"enhanced/{run}/convergence.png",
        ]
    table = pd.concat(rows, ignore_index=True)
    section.tables.append(("barriers", table))
    if "barrier_eV" in table:
        values = table.assign(
            quantity="barrier_eV",
            value=table["barrier_eV"],
            error=table["barrier_err_eV"],
            unit="eV",
        )
        compared = compare(values, "enhanced")
        if len(compared):
            section.tables.append(("next to published values", compared))
    return section


def phases_section(results: Path) -> Section:
    """The classifier's held-out accuracy and confusion matrix, and the phase fractions
    along every melt-quench."""
    section = Section(
        "Phase classification",
        "Per Zn: symmetry functions over Zn-Zn pairs and a small network (Méndez & "
        "Semino; about 90 % accuracy over four phases, 95 % on crystals). Accuracy on the "
        "held-out 20 % of the Zn; phases whose MD failed have no frames and are left out. "
        "Then the fraction of Zn in each phase, and of 3-coordinated Zn, along every "
        "melt-quench, with its temperature.",
    )
    section.tables.append(("classifier", read_table(results / "phases/metrics.csv")))
    section.figures.append(results / "phases/confusion.png")
    section.figures += sorted(results.glob("phases/meltquench/*/replica*/fractions.png"))
    return section
