"""The report's last section: what made these results. mofglass's version and commit,
the versions of CP2K, LAMMPS (with its packages) and of every Python package in each
environment the run used, the resolved config, the machine, and each stage's runtime
from Snakemake's benchmark files. Read when the report is written."""

from __future__ import annotations

import html
import json
import os
import platform
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import yaml

from .. import __version__
from .page import Section, table_html

#: Lists an environment's distributions as JSON, run by that environment's Python.
_LIST_PACKAGES = (
    "import importlib.metadata as m, json, sys;"
    "print(json.dumps({'python': sys.version.split()[0], 'packages': sorted("
    "{(d.metadata['Name'] or '?').lower(): d.version for d in m.distributions()}.items())}))"
)


def _run(command: Sequence[str], cwd: str | Path | None = None, timeout: float = 60) -> str:
    """A command's stdout, or "" when it cannot run."""
    try:
        proc = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout if proc.returncode == 0 else ""


def git_state(root: str | Path) -> dict:
    """The commit of the checkout at ``root`` and whether tracked files differ from it
    (``dirty``); ``commit`` is "" outside a git checkout (an installed release)."""
    commit = _run(["git", "-C", str(root), "rev-parse", "HEAD"]).strip()
    changed = _run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"])
    return {"commit": commit, "dirty": bool(changed.strip()) if commit else False}


def packages(python: str) -> dict:
    """{python: version, packages: [(name, version), ...]} of the environment whose
    interpreter is ``python``; empty packages when it cannot be run."""
    out = _run([python, "-c", _LIST_PACKAGES], timeout=120)
    return json.loads(out) if out else {"python": "?", "packages": []}


def cp2k_version(command: str) -> str:
    """The first line CP2K prints for ``--version`` (``CP2K version 2023.1``), or ""."""
    cp2k = next((w for w in shlex.split(command) if "cp2k" in Path(w).name), "")
    if not cp2k or not shutil.which(cp2k):
        return ""
    text = _run([cp2k, "--version"], timeout=120)
    return next((line.strip() for line in text.splitlines() if "CP2K version" in line), "")


def lammps_info() -> dict:
    """The LAMMPS Python module's version and installed packages (empty if absent)."""
    from ..lammps import new_lammps

    try:
        lmp = new_lammps("-nocite")
    except (ImportError, OSError):
        return {}
    try:
        return {"version": str(lmp.version()), "packages": list(lmp.installed_packages)}
    finally:
        lmp.close()


def machine() -> dict:
    """Host, OS, CPU model, cores, memory (GiB) and GPUs (nvidia-smi, where present)."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines()
                 if ln.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    memory = float("nan")
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total = next(ln for ln in meminfo.read_text().splitlines() if ln.startswith("MemTotal"))
        memory = int(total.split()[1]) / 2**20
    os_name = platform.platform()
    release = Path("/etc/os-release")
    if release.exists():
        fields = dict(ln.split("=", 1) for ln in release.read_text().splitlines() if "=" in ln)
        os_name = fields.get("PRETTY_NAME", os_name).strip('"')
    gpus = _run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"]).strip()
    return {
        "host": platform.node(),
        "os": os_name,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_GiB": round(memory, 1),
        "gpus": gpus.replace("\n", ", ") or "none",
    }


def runtimes(benchmarks: Sequence[str | Path], root: str | Path = "benchmarks") -> pd.DataFrame:
    """Per stage (the folder under ``benchmarks/``): jobs, their summed and longest
    wall time (s) and largest resident memory (MB), from Snakemake's benchmark files."""
    rows = []
    for path in benchmarks:
        path = Path(path)
        try:
            table = pd.read_csv(path, sep="\t")
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
            continue
        if not len(table) or "s" not in table:
            continue
        parts = path.relative_to(root).parts if path.is_relative_to(root) else path.parts
        rows.append(
            {"stage": parts[0] if len(parts) > 1 else path.stem}
            | {"s": float(table["s"].iloc[-1])}
            | {"max_rss": pd.to_numeric(table.get("max_rss"), errors="coerce").iloc[-1]}
        )
    if not rows:
        return pd.DataFrame(columns=["stage", "jobs", "wall_s_sum", "wall_s_max", "max_rss_MB"])
    table = pd.DataFrame(rows).groupby("stage", sort=False)
    return pd.DataFrame(
        {
            "jobs": table["s"].size(),
            "wall_s_sum": table["s"].sum(),
            "wall_s_max": table["s"].max(),
            "max_rss_MB": table["max_rss"].max(),
        }
    ).reset_index()


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{html.escape(summary)}</summary>{body}</details>"


def section(
    config: Mapping,
    root: str | Path,
    environments: Mapping[str, str],
    cp2k_command: str,
    benchmarks: Sequence[str | Path],
) -> Section:
    """The provenance section: ``config`` (resolved), ``root`` (mofglass's checkout),
    ``environments`` (name -> Python of each environment used), the CP2K command and
    the run's benchmark files."""
    git = git_state(root)
    commit = git["commit"] or "not a git checkout"
    dirty = " (with uncommitted changes)" if git["dirty"] else ""
    lmp = lammps_info()
    tools = pd.DataFrame(
        [
            {"software": "mofglass", "version": __version__, "detail": commit + dirty},
            {"software": "CP2K", "version": cp2k_version(cp2k_command) or "not found"}
            | {"detail": cp2k_command},
            {"software": "LAMMPS", "version": lmp.get("version", "not found")}
            | {"detail": " ".join(lmp.get("packages", []))},
        ]
    )
    result = Section("Provenance", "What made these results, read when this report was written.")
    result.tables.append(("software", tools))
    result.tables.append(("machine", pd.DataFrame([machine()])))
    times = runtimes(benchmarks)
    if len(times):
        result.tables.append(("runtime per stage (benchmarks/; wall s, MB)", times))
    # the tables first, then the long listings folded
    result.html = "".join(f"<h3>{html.escape(c)}</h3>{table_html(t)}" for c, t in result.tables)
    result.tables = []
    for name, python in environments.items():
        env = packages(python)
        listing = pd.DataFrame(env["packages"], columns=["package", "version"])
        result.html += _details(
            f"environment {name}: Python {env['python']}, {len(listing)} packages ({python})",
            table_html(listing),
        )
    text = yaml.safe_dump(dict(config), sort_keys=False, allow_unicode=True)
    result.html += _details("the resolved config", f"<pre>{html.escape(text)}</pre>")
    return result
