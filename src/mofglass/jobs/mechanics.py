"""Stage 11, mechanics: one MD run of a sample (a crystal, a melt-quench glass, a
user's structure) per job, and the jobs that gather them.

Every run goes through the MD engine (:func:`mofglass.md.run_md`) under the stability
watch; a run that trips it, or a sample that does not exist (a glass whose melt-quench
failed), gives a row with ``verdict`` failed or skipped and the reason, and is left out
of every fit. Units: Å, Å³, GPa, K, ps, g/cm³; expansion coefficients 1/K; frequencies
THz.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from ase import Atoms
from ase.geometry import cell_to_cellpar

from .. import mechanics, plots, statistics
from ..atomicio import read_frames, read_table, write_table, write_text
from ..md import MDResult, Protocol, RunSpec, Stage, recipes, run_watched
from ..models import load_model

log = logging.getLogger(__name__)


def load_sample(path: str | Path) -> Atoms | None:
    """The last frame of a sample file (a structure, or a glass's final trajectory);
    None when the file is empty (the melt-quench that should have made it failed)."""
    frames = read_frames(path)
    if not frames:
        return None
    atoms = frames[-1].copy()
    atoms.calc = None
    return atoms


@dataclass(frozen=True)
class SampleRun:
    """What every MD job of the stage is given: the model file, the sample (its name and
    file), the scan's config block, the rule's MD settings (damping times and the
    stability-watch block: :class:`~mofglass.md.RunSpec`), the work directory of the
    engine, and the chemistry of the sample's structure (a user's structure set has
    none: read from the sample)."""

    model_file: str
    sample: str
    sample_file: str
    block: Mapping
    md: Mapping
    workdir: str
    chemistry_file: str | None = None

    @cached_property
    def settings(self) -> RunSpec:
        """The MD settings with the sample's chemistry in the watch, read once."""
        return RunSpec.read(self.md, self.chemistry_file)

    @property
    def missing(self) -> str:
        """Why a sample that does not exist was not run."""
        return (
            f"no structure in {self.sample_file} (a melt-quench that made no glass: "
            "see its verdict)"
        )

    def run(
        self, atoms: Atoms, ensemble: str, temperature_K: float, seed: int, **protocol
    ) -> MDResult:
        """Equilibration then production (:func:`mofglass.md.recipes.
        equilibrate_then_produce`) under the stability watch."""
        recipe = recipes.equilibrate_then_produce(
            self.block,
            ensemble,
            temperature_K,
            self.settings.damping,
            seed,
            self.settings.watch["max_temperature_factor"],
            **protocol,
        )
        return self._watched(atoms, recipe)

    def relax(self, atoms: Atoms) -> MDResult:
        """Positions relaxed in the fixed cell (LAMMPS minimize, to 1e-4 eV/Å or the
        block's ``max_iterations``) under the stability watch."""
        stage = Stage(
            "relax",
            "minimize",
            max_iterations=self.block["max_iterations"],
            thermo_every=self.block["thermo_every"],
            dump_every=self.block["max_iterations"],
        )
        return self._watched(atoms, Protocol((stage,), max_temperature_factor=None))

    def _watched(self, atoms: Atoms, protocol: Protocol) -> MDResult:
        model = load_model(self.model_file)
        result, _ = run_watched(model, atoms, protocol, self.workdir, self.settings.watch)
        return result


def _production(result: MDResult) -> pd.DataFrame:
    return result.thermo[result.thermo["stage"] == "production"]


def _write_point(outputs: Mapping[str, str], row: dict, thermo: pd.DataFrame) -> dict:
    write_table(outputs["point"], pd.DataFrame([row]))
    write_text(outputs["thermo"], thermo.to_csv(sep="\t", index=False))
    return row


def _not_run(sample: str, reason: str) -> dict:
    return {"sample": sample, "verdict": "skipped", "reason": reason}


def eos_point_job(run: SampleRun, scale: float, outputs: Mapping[str, str]) -> dict:
    """One volume of the finite-strain scan: the sample's cell scaled isotropically to
    ``scale`` times its volume, NVT at ``block['temperature_K']``; the production's mean
    pressure (GPa) with its block-average standard error."""
    sample, block = run.sample, run.block
    atoms = load_sample(run.sample_file)
    if atoms is None:
        return _write_point(outputs, _not_run(sample, run.missing), pd.DataFrame())
    atoms.set_cell(atoms.cell * scale ** (1.0 / 3.0), scale_atoms=True)
    if block["method"] == "relaxed":
        result = run.relax(atoms)
        production = result.thermo
        pressure = relaxed_pressure(production, block["pressure_tolerance_GPa"])
    else:
        index = int(round(scale * 1000))
        result = run.run(atoms, "nvt", block["temperature_K"], block["seed"] + index)
        production = _production(result)
        pressure = statistics.trajectory_mean(production["pressure_GPa"].to_numpy(float))
    row = {
        "sample": sample,
        "scale": scale,
        "volume_A3": atoms.get_volume(),
        "density_g_cm3": mechanics.density_g_cm3(atoms.get_masses().sum(), atoms.get_volume()),
        "temperature_K": float(production["temperature_K"].mean()) if len(production) else np.nan,
        "pressure_GPa": pressure.value,
        "pressure_err_GPa": pressure.error,
        "pressure_n_effective": pressure.n_effective,
        "pressure_status": pressure.status,
        "verdict": result.verdict,
        "reason": result.reason,
    }
    log.info("%s V x %.3f: %.4f GPa (%s)", sample, scale, row["pressure_GPa"], result.verdict)
    return _write_point(outputs, row, result.thermo)


def relaxed_pressure(thermo: pd.DataFrame, tolerance_GPa: float) -> statistics.Estimate:
    """The pressure (GPa) at the end of a relaxation, its change over the last thermo
    interval as its error; not converged when that change exceeds ``tolerance_GPa``."""
    p = thermo["pressure_GPa"].to_numpy(float)
    if len(p) < 2:
        return statistics.Estimate(
            float(p[-1]) if len(p) else np.nan, np.nan, len(p), np.nan,
            statistics.NOT_CONVERGED, "fewer than two thermo rows",
        )  # fmt: skip
    change = abs(float(p[-1] - p[-2]))
    estimate = statistics.Estimate(float(p[-1]), change, 1, 1.0)
    if change > tolerance_GPa:
        return estimate.failing(
            statistics.NOT_CONVERGED,
            f"P still moved by {change:.2g} GPa over the relaxation's last interval",
        )
    return estimate


def _gather(point_files: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """The point tables of a scan, with the numeric ``columns`` present even if no point
    ran, and numbers where the tables held an empty cell (a pressure with no error:
    too few blocks in a short run) or none."""
    points = pd.concat([read_table(p) for p in point_files], ignore_index=True)
    for column in columns:
        if column not in points:
            points[column] = np.nan
        points[column] = pd.to_numeric(points[column].replace("", np.nan))
    return points


def _failed_points(points: pd.DataFrame, label) -> str:
    """Each run of a scan that failed (not one skipped for want of a sample),
    ``label(row): reason``, joined by ``; ``."""
    failed = points[points["verdict"] == "failed"]
    return "; ".join(f"{label(row)}: {row['reason']}" for _, row in failed.iterrows())


def _fit_eos(ok: pd.DataFrame, order: int, weighted: bool = True) -> dict:
    """The Birch-Murnaghan fit of the points that ran, or why there is none: a P(V)
    that rises with V (a mechanically unstable model) has no K0 (failed), nor one whose
    fall is within twice its error (not converged: the pressure's noise hides it)."""
    errors = ok["pressure_err_GPa"].fillna(0.0).to_numpy()
    if not weighted:
        errors = np.zeros_like(errors)  # relaxed points: errors from the fit's scatter
    slope, slope_err = mechanics.pressure_slope(ok["volume_A3"], ok["pressure_GPa"], errors)
    said = f"dP/dV = {slope:.2e} ± {slope_err:.1e} GPa/A3"
    if slope > 2 * slope_err:
        return {"verdict": "failed", "reason": f"P rises with V ({said})"}
    if slope > -2 * slope_err:
        return {
            "verdict": statistics.NOT_CONVERGED,
            "reason": f"P falls with V by less than twice its error ({said}): "
            "the pressure's noise hides the compression; longer runs or wider volumes",
        }
    try:
        result = mechanics.fit_birch_murnaghan(ok["volume_A3"], ok["pressure_GPa"], errors, order)
    except RuntimeError as exc:  # curve_fit found no minimum
        return {"verdict": "failed", "reason": f"Birch-Murnaghan fit: {exc}"}
    if not (result["k0_GPa"] > 0 and np.isfinite(result["k0_err_GPa"])):
        return {
            "verdict": "failed",
            "reason": f"Birch-Murnaghan fit: K0 = {result['k0_GPa']:.3g} GPa",
        }
    mass_amu = ok["density_g_cm3"].iloc[0] * ok["volume_A3"].iloc[0] / mechanics.AMU_A3_TO_G_CM3
    rho0 = mechanics.density_g_cm3(mass_amu, result["v0_A3"])
    return {
        **result,
        "rho0_g_cm3": rho0,
        "rho0_err_g_cm3": rho0 * result["v0_err_A3"] / result["v0_A3"],
        "verdict": "ok",
        "reason": "",
    }


def eos_job(point_files: Sequence[str], sample: str, block: Mapping, outputs: Mapping) -> dict:
    """Birch-Murnaghan fit of the sample's P(V) points that ran to the end: V0 (Å³),
    K0 (GPa), K0', ρ0 (g/cm³) with their standard errors; the P-V figure with the fit."""
    points = _gather(point_files, ("volume_A3", "pressure_GPa", "pressure_err_GPa"))
    ok = points[points["verdict"] == "ok"].sort_values("volume_A3")
    fit = {"sample": sample, "points": len(points), "points_ok": len(ok)}
    fit["failed_points"] = _failed_points(points, lambda r: f"V x {r['scale']:g}")
    if len(points) and "scale" in points and points["density_g_cm3"].notna().any():
        # the sample's own density (the unscaled volume), which judges the fitted one
        nearest = (points["scale"] - 1.0).abs().idxmin()
        fit["start_density_g_cm3"] = float(
            points.loc[nearest, "density_g_cm3"] * points.loc[nearest, "scale"]
        )
    needed = 3 if block["order"] == 2 else 4
    if len(ok) < needed:
        fit.update(
            verdict="failed", reason=f"{len(ok)} of {len(points)} volumes ran; {needed} needed"
        )
    else:
        fit.update(_fit_eos(ok, block["order"], weighted=block["method"] != "relaxed"))
    fit["method"] = block["method"]
    write_table(outputs["points"], points)
    write_table(outputs["fit"], pd.DataFrame([fit]))
    at = "relaxed, 0 K" if block["method"] == "relaxed" else f"at {block['temperature_K']} K"
    plots.eos_plot(ok, fit, outputs["figure"], f"{sample}: P(V) {at}")
    return fit


def fluctuation_job(run: SampleRun, outputs: Mapping[str, str]) -> pd.DataFrame:
    """NPT with a fully flexible cell: the stiffness tensor (6x6 Voigt, GPa) from the
    strain fluctuations of the production, Voigt/Reuss/Hill K, E, G, ν and the
    volume-fluctuation K with block errors, and their running convergence."""
    sample, block = run.sample, run.block
    atoms = load_sample(run.sample_file)
    columns = ["sample", *mechanics.MODULI_COLUMNS, "verdict"]
    verdict, reason, thermo, running = "skipped", run.missing, None, None
    if atoms is not None:
        temperature = block["temperature_K"]
        result = run.run(
            atoms,
            "npt",
            temperature,
            block["seed"],
            pressure_GPa=block["pressure_GPa"],
            cell=block["cell"],
        )
        verdict, reason, thermo = result.verdict, result.reason, result.thermo
        production = _production(result)
        if verdict == "ok" and len(production) < statistics.MIN_SAMPLES:
            verdict, reason = "failed", f"{len(production)} thermo rows: too few for errors"
    if verdict == "ok":
        cells = mechanics.cells_from_thermo(production)
        table = mechanics.fluctuation_moduli(cells, temperature)
        table.insert(0, "sample", sample)
        table["verdict"] = "ok"
        stiffness = pd.DataFrame(
            mechanics.fluctuation_stiffness(cells, temperature),
            columns=[f"C{k}_GPa" for k in range(1, 7)],
        )
        running = mechanics.running_moduli(cells, temperature)
        running.insert(
            0,
            "time_ps",
            np.interp(
                running["frames"] - 1,
                np.arange(len(production)),
                production["time_ps"] - production["time_ps"].iloc[0],
            ),
        )
        plots.running_moduli_plot(running, outputs["figure"], f"{sample}: NPT strain fluctuations")
    else:
        table = pd.DataFrame(
            [{"sample": sample, "quantity": "", "status": "failed", "reason": reason}],
            columns=columns,
        )
        table["verdict"] = verdict
        stiffness = pd.DataFrame(columns=[f"C{k}_GPa" for k in range(1, 7)])
        running = pd.DataFrame(columns=["time_ps", "frames", "K_hill_GPa", "G_hill_GPa"])
        plots.empty_figure(outputs["figure"], f"{sample}: {verdict} ({reason})")
    write_table(outputs["moduli"], table[columns])
    write_table(outputs["stiffness"], stiffness)
    write_table(outputs["running"], running)
    write_text(outputs["thermo"], "" if thermo is None else thermo.to_csv(sep="\t", index=False))
    log.info("%s fluctuations: %s %s", sample, verdict, reason)
    return table


def cell_parameters(thermo: pd.DataFrame) -> pd.DataFrame:
    """a, b, c (Å), α, β, γ (deg) and V (Å³) of every thermo row."""
    cells = mechanics.cells_from_thermo(thermo)
    table = pd.DataFrame(
        [cell_to_cellpar(c) for c in cells], columns=["a_A", "b_A", "c_A", "alpha", "beta", "gamma"]
    )
    table["volume_A3"] = np.abs(np.linalg.det(cells))
    return table.rename(columns={"alpha": "alpha_deg", "beta": "beta_deg", "gamma": "gamma_deg"})


def expansion_point_job(
    run: SampleRun, temperature_K: float, pressure_GPa: float, outputs: Mapping[str, str]
) -> dict:
    """NPT at (T, P): the production's mean lattice parameters, angles, volume and
    density with block-average standard errors (``<name>_err``)."""
    sample, block = run.sample, run.block
    atoms = load_sample(run.sample_file)
    if atoms is None:
        return _write_point(outputs, _not_run(sample, run.missing), pd.DataFrame())
    seed = block["seed"] + int(round(temperature_K)) + int(round(1000 * pressure_GPa))
    result = run.run(
        atoms, "npt", temperature_K, seed, pressure_GPa=pressure_GPa, cell=block["cell"]
    )
    production = _production(result)
    row = {"sample": sample, "target_temperature_K": temperature_K, "pressure_GPa": pressure_GPa}
    if len(production):
        row["temperature_K"] = float(production["temperature_K"].mean())
        row["density_g_cm3"] = float(production["density_g_cm3"].mean())
        for name, values in cell_parameters(production).items():
            estimate = statistics.trajectory_mean(values.to_numpy())
            row[name], row[f"{name}_err"] = estimate.value, estimate.error
            row[f"{name}_n_effective"] = estimate.n_effective
    row.update(verdict=result.verdict, reason=result.reason)
    log.info("%s at %g K, %g GPa: %s", sample, temperature_K, pressure_GPa, result.verdict)
    return _write_point(outputs, row, result.thermo)


def _cubic_row(t_scan: pd.DataFrame, at_k: float, structure_file: str | None) -> list[dict]:
    """The cubic lattice parameter at ``at_k`` from that point's mean volume, for a
    sample whose structure is cubic (any cell of it: primitive, conventional, supercell)."""
    atoms = load_sample(structure_file) if structure_file else None
    ratio = mechanics.conventional_volume_ratio(atoms) if atoms is not None else None
    at = t_scan[np.isclose(t_scan["target_temperature_K"], at_k)]
    if ratio is None or not len(at):
        return []
    volume = at["volume_A3"].iloc[0]
    error = at["volume_A3_err"].iloc[0] if "volume_A3_err" in at else np.nan
    a, a_error = mechanics.cubic_lattice_parameter(volume, error, ratio)
    return [{"quantity": "a_cubic_A", "value": a, "error": a_error, "unit": "A"}]


def _expansion_rows(t_scan: pd.DataFrame, at_k: float) -> list[dict]:
    """Linear (a, b, c), volumetric and mean linear (alpha_V / 3: a cubic crystal's in
    any cell) expansion coefficients at ``at_k`` (1/K) from a temperature scan."""
    rows = []
    for name, quantity in (
        ("a_A", "alpha_a"),
        ("b_A", "alpha_b"),
        ("c_A", "alpha_c"),
        ("volume_A3", "alpha_V"),
    ):
        errors = t_scan.get(f"{name}_err")
        value, error = mechanics.expansion_estimate(
            t_scan["temperature_K"], t_scan[name], errors, at_k
        )
        rows.append({"quantity": quantity, "value": value, "error": error, "unit": "1/K"})
    volumetric = rows[-1]
    mean = {"value": volumetric["value"] / 3, "error": volumetric["error"] / 3}
    return [*rows, {"quantity": "alpha_L", **mean, "unit": "1/K"}]


def expansion_job(
    point_files: Sequence[str],
    sample: str,
    block: Mapping,
    outputs: Mapping,
    structure_file: str | None = None,
) -> pd.DataFrame:
    """Cell against T (at the first pressure) and against P (at ``block['at_K']``):
    linear (a, b, c) and volumetric expansion coefficients at ``at_K`` (1/K), the cubic
    lattice parameter at ``at_K`` (Å) when the sample (``structure_file``) is cubic, and
    the isothermal bulk modulus -V dP/dV from the pressure scan (GPa)."""
    columns = ("target_temperature_K", "temperature_K", "pressure_GPa", "volume_A3")
    points = _gather(point_files, columns)
    ok = points[points["verdict"] == "ok"]
    at_k, p0 = block["at_K"], min(block["pressures_GPa"])
    t_scan = ok[np.isclose(ok["pressure_GPa"], p0)].sort_values("target_temperature_K")
    p_scan = ok[np.isclose(ok["target_temperature_K"], at_k)].sort_values("pressure_GPa")
    rows = _expansion_rows(t_scan, at_k) if len(t_scan) >= 2 else []
    rows += _cubic_row(t_scan, at_k, structure_file)
    if len(p_scan) >= 2:
        slope = np.polyfit(p_scan["volume_A3"], p_scan["pressure_GPa"], 1)[0]
        rows.append(
            {
                "quantity": "K_pressure_scan",
                "value": -slope * p_scan["volume_A3"].iloc[0],
                "error": np.nan,
                "unit": "GPa",
            }
        )
    failed = _failed_points(
        points, lambda r: f"{r['target_temperature_K']:g} K, {r['pressure_GPa']:g} GPa"
    )
    if failed:  # a run that failed is a result: it reaches the summary with its reason
        rows.append({"quantity": "npt_runs", "value": np.nan, "error": np.nan, "unit": ""})
    table = pd.DataFrame(rows, columns=["quantity", "value", "error", "unit"])
    table.insert(0, "sample", sample)
    table["points_ok"] = f"{len(ok)} of {len(points)}"
    table["failed"] = np.where(table["quantity"] == "npt_runs", failed, "")
    write_table(outputs["points"], points)
    write_table(outputs["coefficients"], table)
    plots.expansion_plot(t_scan, p_scan, outputs["figure"], f"{sample}: NPT cell scans")
    return table


def vdos_job(run: SampleRun, outputs: Mapping[str, str]) -> pd.DataFrame:
    """NVT equilibration, then NVE with velocities every ``sample_every`` steps: the VDOS,
    total and per element (columns frequency_THz, wavenumber_cm-1, total, elements)."""
    sample, block = run.sample, run.block
    atoms = load_sample(run.sample_file)
    verdict, reason = "skipped", run.missing
    table = pd.DataFrame(columns=["frequency_THz", "wavenumber_cm-1", "total"])
    if atoms is not None:
        result = run.run(
            atoms,
            "nve",
            block["temperature_K"],
            block["seed"],
            dump_every=block["sample_every"],
            equilibration_ensemble="nvt",
        )
        verdict, reason = result.verdict, result.reason
        production = _production(result)
        if verdict == "ok":
            start = production["step"].min()
            frames = [f for f in result.frames if f.info["step"] >= start]
            velocities = np.array([f.get_velocities() for f in frames])
            table = mechanics.vdos(
                velocities,
                atoms.get_masses(),
                atoms.get_chemical_symbols(),
                block["sample_every"] * block["timestep_fs"],
            )
    if verdict == "ok":
        plots.vdos_plot(
            table, outputs["figure"], f"{sample}: VDOS (NVE, {block['temperature_K']} K)"
        )
    else:
        plots.empty_figure(outputs["figure"], f"{sample}: {verdict} ({reason})")
    write_table(outputs["vdos"], table)
    write_table(
        outputs["verdict"], pd.DataFrame([{"sample": sample, "verdict": verdict, "reason": reason}])
    )
    return table


def summary_job(
    model: str,
    samples: Mapping[str, str],
    eos_files: Sequence[str],
    fluctuation_files: Sequence[str],
    expansion_files: Sequence[str],
    output: str,
    reference_densities: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Every scalar of every sample of one model, and each group of samples (``samples``:
    sample -> group) averaged over its samples, each with its status and reason
    (:func:`mofglass.mechanics.sample_rows`, :func:`mofglass.mechanics.group_means`)."""
    per_sample = mechanics.sample_rows(
        [read_table(p).iloc[0] for p in eos_files],
        [read_table(p) for p in fluctuation_files],
        [read_table(p) for p in expansion_files],
        reference_densities,
    )
    per_sample.insert(0, "group", per_sample["sample"].map(samples))
    groups = mechanics.group_means(per_sample)
    table = pd.concat([per_sample, groups], ignore_index=True)
    table.insert(0, "model", model)
    table = table.reindex(columns=mechanics.SUMMARY_COLUMNS)
    write_table(output, table)
    return table
