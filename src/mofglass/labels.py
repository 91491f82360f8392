"""Labelling: CP2K single points (energy, forces, stress) behind a quality gate.

Each frame runs in its own directory ``<workdir>/<run>/stepNNNNNNNN``, named by the
frame rather than by its batch, so a frame keeps its result when the selection (and
with it the batching) changes. CP2K's
outcome (results, or CP2K's abort message) is written there atomically as
``outcome.extxyz``. A rerun of a killed batch reuses every finished outcome of the
identical input. The quality gate is applied to every outcome: a frame that fails it
goes to quarantine with its reason, never into the labelled set.

Within a batch, each frame's SCF starts from the converged wavefunction of the frame
before it when both have the same atoms in the same order (CP2K's ``SCF_GUESS
RESTART``): GFN1-xTB on ZIF-4 then takes 16 s instead of 37 s, with the same energy
to 1e-7 eV. A guessed SCF that fails is run again from CP2K's own guess before the
gate sees it, so the guess changes the cost, never whether a frame is accepted.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.units import GPa

from . import levels
from .atomicio import read_frames, write_frames
from .calculators import CalculatorLevel, compute_labels
from .cp2k.inputs import energy_force_input, render
from .cp2k.levels import LevelOfTheory
from .cp2k.outputs import (
    CP2KOutputError,
    force_evaluations,
    read_forces_file,
    read_stress_tensor_file,
)
from .cp2k.run import CP2KError, Launcher, finished, run_cp2k
from .frames import attach_results, frame_problem, plain
from .progress import Progress

log = logging.getLogger(__name__)

PROJECT = "sp"
OUTCOME = "outcome.extxyz"
WFN = f"{PROJECT}-RESTART.wfn"  # CP2K's converged wavefunction of a single point
GUESS = "guess.wfn"  # the previous frame's, copied in as this one's SCF guess


@dataclass(frozen=True)
class QualityGate:
    """Bounds a labelled frame must satisfy: max force norm (eV/Å), max |stress| (GPa),
    and an energy per atom not far from the other frames of its set (see
    :func:`energy_outliers`)."""

    max_force_eV_per_A: float = 20.0
    max_stress_GPa: float = 50.0
    energy_outlier_sigmas: float = 10.0
    energy_outlier_min_eV_per_atom: float = 0.5


#: Fewer frames of one composition than this: no distribution to judge an energy by.
ENERGY_CHECK_MIN_FRAMES = 5


def energy_outliers(
    frames: Sequence[Atoms], gate: QualityGate, reference: Sequence[Atoms] = ()
) -> dict[str, str]:
    """frame_id -> reason, for frames whose energy per atom lies far from the set's.

    The set is ``frames`` plus ``reference`` (frames already accepted at the same level),
    grouped by empirical formula; a frame is an outlier when it is more than
    ``energy_outlier_sigmas`` robust standard deviations (1.4826 x the median absolute
    deviation) *and* more than ``energy_outlier_min_eV_per_atom`` from the median: the
    first alone would reject the hot frames of a set sampled mostly cold, the second
    alone nothing that MD at any temperature makes. Such a frame is a wrong SCF state,
    a calculator in other units or another reference energy.
    """
    groups: dict[str, list[float]] = {}
    for atoms in [*frames, *reference]:
        formula = atoms.get_chemical_formula(empirical=True)
        groups.setdefault(formula, []).append(atoms.get_potential_energy() / len(atoms))
    out = {}
    for atoms in frames:
        values = np.array(groups[atoms.get_chemical_formula(empirical=True)])
        if len(values) < ENERGY_CHECK_MIN_FRAMES:
            continue
        median = float(np.median(values))
        sigma = 1.4826 * float(np.median(np.abs(values - median)))
        deviation = atoms.get_potential_energy() / len(atoms) - median
        if abs(deviation) > gate.energy_outlier_min_eV_per_atom and abs(deviation) > (
            gate.energy_outlier_sigmas * sigma
        ):
            out[atoms.info["frame_id"]] = (
                f"energy per atom {deviation:+.3f} eV from the median of {len(values)} frames "
                f"at this level ({abs(deviation) / sigma if sigma > 0 else np.inf:.0f} "
                "robust standard deviations)"
            )
    return out


def quarantine_outliers(
    accepted: Sequence[Atoms], gate: QualityGate, reference: Sequence[Atoms] = ()
) -> tuple[list[Atoms], list[Atoms]]:
    """(kept, quarantined): ``accepted`` frames split by :func:`energy_outliers`."""
    reasons = energy_outliers(accepted, gate, reference)
    kept, quarantined = [], []
    for atoms in accepted:
        reason = reasons.get(atoms.info["frame_id"])
        if reason is None:
            kept.append(atoms)
            continue
        out = plain(atoms, keep_results=False)
        out.info.update(label_status="quarantined", quarantine_reason=reason)
        log.warning("frame %s quarantined: %s", atoms.info["frame_id"], reason)
        quarantined.append(out)
    return kept, quarantined


def gate_problem(atoms: Atoms, gate: QualityGate, stress: bool) -> str | None:
    """The first quality-gate failure of a labelled frame, or None if it passes.

    On top of :func:`mofglass.frames.frame_problem` (SCF, results present and finite):
    an SCF status must be recorded, the stress must be there when asked for, and
    forces and stress must lie within the gate's bounds.
    """
    if not atoms.info.get("scf_converged", False):
        return "SCF not converged"
    problem = frame_problem(atoms)
    if problem is not None:
        return problem
    results = atoms.calc.results
    if stress and "stress" not in results:
        return "no stress in CP2K's output"
    fmax = float(np.linalg.norm(results["forces"], axis=1).max())
    if fmax > gate.max_force_eV_per_A:
        return f"max force {fmax:.2f} eV/Å above the gate's {gate.max_force_eV_per_A} eV/Å"
    if stress:
        smax = float(np.abs(results["stress"]).max() / GPa)
        if smax > gate.max_stress_GPa:
            return f"max |stress| {smax:.2f} GPa above the gate's {gate.max_stress_GPa} GPa"
    return None


def single_point_input(
    atoms: Atoms, level: LevelOfTheory, stress: bool, guess: bool = False
) -> str:
    """The CP2K input text of a single point; with ``guess``, its SCF starts from the
    wavefunction in ``guess.wfn``."""
    tree = energy_force_input(atoms, level, PROJECT, stress)
    if guess:
        tree["force_eval"]["dft"]["wfn_restart_file_name"] = GUESS
        tree["force_eval"]["dft"]["scf"]["scf_guess"] = "restart"
    return render(tree)


def single_point(
    atoms: Atoms,
    level: LevelOfTheory,
    launcher: Launcher,
    workdir: Path,
    stress: bool,
    guess: bool = False,
) -> Atoms:
    """Energy, forces and stress of ``atoms`` from CP2K; SCF status in ``info``."""
    out = run_cp2k(single_point_input(atoms, level, stress, guess), workdir, launcher)
    evaluations = force_evaluations(out.read_text(errors="replace"))
    if len(evaluations) != 1:
        raise CP2KOutputError(f"{out}: expected one force evaluation, found {len(evaluations)}")
    energy, converged = evaluations[0]
    symbols, forces = read_forces_file(workdir / f"{PROJECT}-forces-1_0.xyz")
    if symbols != atoms.get_chemical_symbols():
        raise CP2KOutputError(f"{workdir}: atoms in CP2K's force table differ from the frame")
    sigma = (
        read_stress_tensor_file(workdir / f"{PROJECT}-stress-1_0.stress_tensor") if stress else None
    )
    labelled = plain(atoms, keep_results=False)
    attach_results(labelled, energy, forces, sigma)
    labelled.info["scf_converged"] = converged
    return labelled


def compute_label(
    atoms: Atoms,
    level: LevelOfTheory,
    launcher: Launcher,
    workdir: Path,
    stress: bool,
    guess: Path | None = None,
) -> Atoms:
    """CP2K's raw outcome for one frame, before the quality gate.

    Either the frame with its results and ``info['scf_converged']``, or, when CP2K
    aborted because of the frame (:data:`mofglass.cp2k.run.PHYSICS_ABORTS`), the bare
    frame with ``info['cp2k_abort']``. Any other failure (a missing file, a full disk,
    a killed rank, no message at all) raises :class:`CP2KError`. ``guess``: a
    wavefunction file to start the SCF from; if that SCF fails, the frame runs again
    from CP2K's own guess.
    """
    if guess is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(guess, workdir / GUESS)
        try:
            result = _outcome(atoms, level, launcher, workdir, stress, guess=True)
        except CP2KError as exc:  # e.g. a wavefunction file CP2K cannot read
            result = plain(atoms, keep_results=False)
            result.info["cp2k_abort"] = str(exc)
        if result.info.get("scf_converged", False):
            return result
        log.warning(
            "%s: SCF from the previous frame's wavefunction failed (%s); again from "
            "CP2K's own guess",
            workdir,
            result.info.get("cp2k_abort", "not converged"),
        )
        shutil.rmtree(workdir)
    return _outcome(atoms, level, launcher, workdir, stress)


def _outcome(atoms, level, launcher, workdir, stress, guess=False) -> Atoms:
    try:
        result = single_point(atoms, level, launcher, workdir, stress, guess)
    except CP2KError as exc:
        if not exc.physical:  # the environment's fault: fail, nothing cached, rerun retries
            raise
        result = plain(atoms, keep_results=False)
        result.info["cp2k_abort"] = exc.reason
    result.info["sampling_level_of_theory"] = atoms.info.get("level_of_theory", "")
    result.info["level_of_theory"] = level.name
    return result


def judge(result: Atoms, gate: QualityGate, stress: bool) -> Atoms:
    """Apply the quality gate: ``info['label_status']`` becomes accepted or quarantined.

    A quarantined frame carries no results and gives its reason in
    ``info['quarantine_reason']``.
    """
    if "cp2k_abort" in result.info:
        problem = f"CP2K aborted: {result.info['cp2k_abort']}"
    else:
        problem = gate_problem(result, gate, stress)
    if problem is None:
        result.info["label_status"] = "accepted"
        return result
    quarantined = plain(result, keep_results=False)
    quarantined.info.update(label_status="quarantined", quarantine_reason=problem)
    return quarantined


def label_frame(
    atoms: Atoms,
    level: LevelOfTheory,
    launcher: Launcher,
    workdir: Path,
    gate: QualityGate,
    stress: bool = True,
) -> Atoms:
    """Label one frame and judge it (see :func:`compute_label` and :func:`judge`)."""
    return judge(compute_label(atoms, level, launcher, workdir, stress), gate, stress)


def label_batch(
    frames: Sequence[Atoms],
    level: LevelOfTheory,
    launcher: Launcher,
    workdir: str | Path,
    gate: QualityGate,
    stress: bool = True,
) -> tuple[list[Atoms], list[Atoms]]:
    """Label a batch; return (accepted, quarantined).

    A frame whose CP2K outcome is already on disk from the identical input (with or
    without a wavefunction guess) is not recomputed, so a killed batch resumes where it
    stopped; the gate is applied anew.
    """
    workdir = Path(workdir)
    accepted, quarantined = [], []
    previous = None  # (symbols, wavefunction file) of the last converged frame
    where = "" if workdir.name == level.name else f" {workdir.name}"
    pace = Progress(f"labels {level.name}{where}", len(frames), "frames", log)
    for k, atoms in enumerate(frames):
        framedir = workdir / frame_dir(atoms)
        outcome = framedir / OUTCOME
        symbols = atoms.get_chemical_symbols()
        if any(
            finished(framedir, OUTCOME, single_point_input(atoms, level, stress, guess))
            for guess in (False, True)
        ):
            (raw,) = read_frames(outcome)
            pace.skip()  # reused: done, but not part of the pace
        else:
            if framedir.exists():
                log.warning("%s: discarding partial output or output of another input", framedir)
                shutil.rmtree(framedir)
            guess = previous[1] if previous and previous[0] == symbols else None
            raw = compute_label(atoms, level, launcher, framedir, stress, guess)
            write_frames(outcome, [raw])
            pace.update(k + 1)
        if raw.info.get("scf_converged", False) and (framedir / WFN).exists():
            previous = (symbols, framedir / WFN)
        _sort(judge(_as_requested(raw, atoms, level.name), gate, stress), accepted, quarantined)
    return accepted, quarantined


#: What a CP2K outcome says about its own run; everything else in a label's ``info`` is
#: the request's.
OUTCOME_KEYS = ("scf_converged", "cp2k_abort")


def _as_requested(raw: Atoms, request: Atoms, level: str) -> Atoms:
    """An outcome with the request's provenance: an outcome reused from disk carries the
    ``info`` of the request it was computed for, which may differ (a frame renumbered,
    re-split or reselected) while the geometry and input did not."""
    info = dict(request.info)
    info.update({k: raw.info[k] for k in OUTCOME_KEYS if k in raw.info})
    info["sampling_level_of_theory"] = request.info.get("level_of_theory", "")
    info["level_of_theory"] = level
    raw.info = info
    return raw


def _sort(result: Atoms, accepted: list, quarantined: list) -> None:
    """File a judged frame under accepted or quarantined (with a warning)."""
    if result.info["label_status"] == "accepted":
        accepted.append(result)
        return
    log.warning(
        "frame %s quarantined: %s",
        result.info.get("frame_id", "?"),
        result.info["quarantine_reason"],
    )
    quarantined.append(result)


def label_batch_ase(
    frames: Sequence[Atoms],
    level: CalculatorLevel,
    workdir: str | Path,
    gate: QualityGate,
    stress: bool = True,
    threads: int = 1,
) -> tuple[list[Atoms], list[Atoms]]:
    """Label a batch with a calculator level (:class:`mofglass.calculators.CalculatorLevel`);
    return (accepted, quarantined) as :func:`label_batch`.

    Outcomes live in the same per-frame directories; one of the identical input is
    reused. An exception of the calculator fails the job (a rerun retries it); a
    non-finite or out-of-bounds result is quarantined by the gate.
    """
    workdir = Path(workdir)
    raws = compute_labels(level, frames, [workdir / frame_dir(a) for a in frames], stress, threads)
    accepted, quarantined = [], []
    for atoms, raw in zip(frames, raws, strict=True):
        raw.info["sampling_level_of_theory"] = atoms.info.get("level_of_theory", "")
        raw.info["level_of_theory"] = level.name
        _sort(judge(plain(raw), gate, stress), accepted, quarantined)
    return accepted, quarantined


def label_at_level(
    frames: Sequence[Atoms],
    level_name: str,
    level: Mapping,
    workdir: str | Path,
    gate: QualityGate,
    stress: bool,
    cp2k: Mapping,
    threads: int | None = None,
) -> tuple[list[Atoms], list[Atoms]]:
    """Label frames at a level given by its config block: CP2K single points, or an
    ASE calculator (:mod:`mofglass.levels`); (accepted, quarantined)."""
    if levels.is_calculator(level):
        return label_batch_ase(
            frames,
            levels.build(level_name, level),
            workdir,
            gate,
            stress,
            threads or 1,
        )
    return label_batch(
        frames,
        levels.build(level_name, level),
        Launcher.from_config(cp2k, threads),
        workdir,
        gate,
        stress=stress,
    )


def summary_table(accepted: Sequence[Atoms], quarantined: Sequence[Atoms]) -> str:
    """Tab-separated per-frame outcome in frame order: energy in eV/atom, largest
    force in eV/Å, pressure in GPa, and the reason of each quarantine."""
    lines = ["frame_id\tstatus\tenergy_eV_per_atom\tmax_force_eV_per_A\tpressure_GPa\treason"]
    rows = []
    for atoms in accepted:
        r = atoms.calc.results
        pressure = -np.mean(r["stress"][:3]) / GPa if "stress" in r else float("nan")
        rows.append(
            (
                frame_order(atoms),
                f"{atoms.info['frame_id']}\taccepted\t{r['energy'] / len(atoms):.6f}\t"
                f"{np.linalg.norm(r['forces'], axis=1).max():.4f}\t{pressure:.4f}\t",
            )
        )
    for atoms in quarantined:
        rows.append(
            (
                frame_order(atoms),
                f"{atoms.info['frame_id']}\tquarantined\t\t\t\t{atoms.info['quarantine_reason']}",
            )
        )
    lines += [row for _, row in sorted(rows)]
    return "\n".join(lines) + "\n"


def frame_order(atoms: Atoms) -> tuple[str, int]:
    """Sort key of a frame: its run, then its MD step."""
    return str(atoms.info["run"]), int(atoms.info["step"])


def frame_dir(atoms: Atoms) -> Path:
    """Working directory of a frame's single point, relative to the batch's workdir."""
    return Path(str(atoms.info["run"])) / f"step{int(atoms.info['step']):08d}"


@dataclass(frozen=True)
class Labelling:
    """How a stage labels frames: at a level of theory (its name and config block),
    with the config's ``labels`` block (batch size, quality gate, stress) and ``cp2k``
    block, in ``workdir``, on ``threads`` cores."""

    level_name: str
    level: Mapping
    labels: Mapping
    cp2k: Mapping
    workdir: str
    threads: int | None = None

    def batch(self, requests_file: str | Path, batch_index: int) -> tuple[list[Atoms], list[Atoms]]:
        """Batch ``batch_index`` of the frames requested in ``requests_file`` behind the
        quality gate; (accepted, quarantined). Batch k holds requests k * batch_size to
        (k + 1) * batch_size; a batch past the end of the requests is empty."""
        size = self.labels["batch_size"]
        return self.frames(
            read_frames(requests_file)[batch_index * size : (batch_index + 1) * size]
        )

    def frames(self, frames: Sequence[Atoms]) -> tuple[list[Atoms], list[Atoms]]:
        """``frames`` labelled behind the quality gate; (accepted, quarantined)."""
        gate = QualityGate(**self.labels["quality_gate"])
        stress = self.labels["stress"]
        where = (self.workdir, gate, stress, self.cp2k, self.threads)
        return label_at_level(frames, self.level_name, self.level, *where)
