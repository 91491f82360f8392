"""What a finished run measured: each benchmarked job's unit cost, next to the table's.

Snakemake writes every job's wall time and memory (``benchmarks/**.tsv``: wall s, max
RSS MB) under the benchmark path of its rule, which names the rule's wildcards. With
the job's work from its config (:func:`mofglass.cost.job_work`), the wall time becomes
the unit the cost table uses (core-s, or device-µs, per atom per evaluation). A
rehearsal (:mod:`mofglass.rehearsal`) run on the site's own nodes so measures the
site's unit costs, and ``mofglass cost --measured DIR`` prices the full config with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from . import cost

#: A job shorter than this (s) did too little of its work to measure it (a failed
#: exploration, a job that only read its inputs); its row is kept, not its unit cost.
MIN_WALL_S = 5.0
#: Rules whose work is a full batch of frames where a job may label fewer (a loop's
#: last batch): their rows are kept, not their unit costs.
BATCHED = ("label_batch", "al_label")


def benchmark_patterns(rules: Path) -> dict[str, re.Pattern]:
    """Each rule's benchmark path (``rules/*.smk``) as a regex whose named groups are
    its wildcards."""
    out = {}
    for path in sorted(rules.glob("*.smk")):
        text = path.read_text()
        for rule, body in re.findall(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", text, re.M | re.S):
            found = re.search(r"^    benchmark:\n\s+\"([^\"]+)\"", body, re.M)
            if found:
                pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+?)", re.escape(found.group(1)))
                out[rule] = re.compile(pattern + "$")
    return out


def jobs(directory: Path, config: Mapping, rules: Path, runs_on: str | None = None) -> pd.DataFrame:
    """One row per benchmarked job of the run in ``directory`` (its ``config``):
    rule, wildcards, wall (s), max RSS (MB), its work (unit-cost key, device, atoms,
    evaluations) and the unit cost it measured beside the table's. ``runs_on``: ``cpu``
    where the run's GPU jobs computed on the CPU."""
    patterns = benchmark_patterns(rules)
    rows = []
    for tsv in sorted((directory / "benchmarks").rglob("*.tsv")):
        relative = str(tsv.relative_to(directory))
        for rule, pattern in patterns.items():
            match = pattern.match(relative)
            if match:
                rows.append(_row(rule, match.groupdict(), tsv, config, runs_on))
                break
    return pd.DataFrame(rows)


def _row(rule: str, wildcards: dict, tsv: Path, config: Mapping, runs_on: str | None) -> dict:
    bench = pd.read_csv(tsv, sep="\t").iloc[-1]
    work = cost.job_work(config, rule, wildcards)
    if runs_on == "cpu" and work.device == "gpu":  # a dummy GPU: the job's one core did it
        work = replace(work, device="cpu")
    unit = cost.unit(work.key, work.device)
    parallel = max(1, work.gpus if work.device == "gpu" else work.cores)
    # the job's other terms (an AIMD run's first single point) at the table's figures;
    # the rest of its time is the main term's
    seconds = bench["s"] * parallel - work.extra_seconds()
    per_atom = seconds / (work.atoms * work.count) / unit.seconds
    return {
        "rule": rule,
        "job": ",".join(f"{k}={v}" for k, v in wildcards.items()),
        "wall_s": round(float(bench["s"]), 1),
        "max_rss_MB": round(float(bench["max_rss"]), 0),
        "key": work.key,
        "device": work.device,
        "atoms": work.atoms,
        "evaluations": work.count,
        "measured_per_atom": per_atom,
        "table_per_atom": unit.per_atom(work.atoms),
        "unit": unit.unit,
        "table_status": unit.status,
    }


def unit_costs(table: pd.DataFrame, where: str) -> dict[tuple[str, str], cost.Unit]:
    """The unit costs a run measured (:func:`jobs`), by (key, device): per key, the
    median over its jobs of at least :data:`MIN_WALL_S` (none of :data:`BATCHED`, and none
    of the rules that size themselves, :data:`mofglass.cost.SELF_SIZED`, whose job may
    have run some of its parts), at their most atoms, with the table's scaling;
    ``where`` names the run."""
    out = {}
    if len(table):
        skipped = table["rule"].isin(BATCHED + cost.SELF_SIZED)
        table = table[(table["wall_s"] >= MIN_WALL_S) & ~skipped]
    timed = table
    for (key, device), part in timed.groupby(["key", "device"]):
        known = cost.unit(key, device)
        atoms = int(part["atoms"].max())
        # each job's figure carried to the largest job's atoms by the table's scaling
        at_atoms = part["measured_per_atom"] * (atoms / part["atoms"]) ** (known.scaling - 1.0)
        out[key, device] = cost.Unit(
            key=key,
            device=device,
            value=float(at_atoms.median()),
            unit=known.unit,
            atoms=atoms,
            status=f"measured by {where} (median of {len(part)} jobs)",
            source=f"{where}: the benchmarks of {len(part)} jobs",
            scaling=known.scaling,
        )
    return out
