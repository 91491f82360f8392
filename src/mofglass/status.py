"""Where a run stands, per stage: jobs done, running (with their ETA), failed (with
the reason) and still to do; for a local run and a Slurm run alike.

It reads what Snakemake and the jobs leave in the run's directory, and writes nothing:
Snakemake's summary of every output (``snakemake --summary``: which files exist and
whether they are up to date), its markers of outputs being made
(``.snakemake/incomplete/``), its lock (a run in progress), the errors of its latest
run's log (``.snakemake/log/``), and the progress lines the jobs write to their own
logs (:mod:`mofglass.progress`). A job is one log file of the summary (every rule
names one), or one output where a rule names none."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from .progress import LINE

STATES = ("done", "running", "failed", "to do")


def rule_stages(rules_dir: str | Path) -> dict[str, str]:
    """rule -> stage, from the rule files: a rule belongs to the stage whose file
    (``workflow/rules/<stage>.smk``) defines it."""
    out = {}
    for path in sorted(Path(rules_dir).glob("*.smk")):
        for name in re.findall(r"^(?:local)?rule (\w+):", path.read_text(), re.MULTILINE):
            out[name] = path.stem
    return out


def parse_summary(text: str) -> pd.DataFrame:
    """``snakemake --summary`` output as a table (output_file, date, rule, log-file(s),
    status, plan); the lines Snakemake prints before its header are dropped."""
    lines = text.splitlines()
    start = next((k for k, ln in enumerate(lines) if ln.startswith("output_file\t")), None)
    if start is None:
        raise ValueError("no summary table in Snakemake's output")
    return pd.read_csv(io.StringIO("\n".join(lines[start:])), sep="\t", dtype=str).fillna("")


def being_made(directory: str | Path) -> set[str]:
    """Outputs Snakemake marked incomplete: being made now, or left by a killed run."""
    folder = Path(directory) / ".snakemake" / "incomplete"
    out = set()
    for marker in folder.glob("*") if folder.is_dir() else []:
        try:
            out.add(base64.b64decode(marker.name).decode())
        except (ValueError, UnicodeDecodeError):
            continue
    return out


def run_in_progress(directory: str | Path) -> bool:
    """Whether a Snakemake holds the run's lock (a run in progress)."""
    locks = Path(directory) / ".snakemake" / "locks"
    return locks.is_dir() and any(locks.iterdir())


def failed_jobs(directory: str | Path) -> dict[str, str]:
    """Output -> rule of every job that failed in the latest Snakemake run (its log is
    the newest one of ``.snakemake/log/`` that ran jobs)."""
    logs = sorted((Path(directory) / ".snakemake" / "log").glob("*.snakemake.log"))
    for path in reversed(logs):
        text = path.read_text(errors="replace")
        if "Select jobs to execute" not in text and "Error in rule" not in text:
            continue  # a dry run or a summary, not a run
        out = {}
        for block in re.findall(r"Error in rule (\w+):\n((?:    .*\n?)+)", text):
            rule, body = block
            found = re.search(r"^\s+output: (.+)$", body, re.MULTILINE)
            for output in found.group(1).split(", ") if found else []:
                out[output.strip()] = rule
        return out
    return {}


def last_progress(log_file: str | Path) -> str:
    """The job's last progress line (what, how far, pace, ETA), or ""."""
    path = Path(log_file)
    if not path.is_file():
        return ""
    lines = [ln for ln in path.read_text(errors="replace").splitlines() if LINE.search(ln)]
    return LINE.search(lines[-1]).group(0).removeprefix("progress ") if lines else ""


def reason(log_file: str | Path) -> str:
    """Why a job failed: the last error-looking line of its log, else its last line."""
    path = Path(log_file)
    if not path.is_file():
        return "no log"
    lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    errors = [ln for ln in lines if re.search(r"Error|error:|failed|Traceback", ln)]
    said = (errors or lines or ["empty log"])[-1]
    return said[-300:]


def parse_dry_run(text: str) -> list[dict]:
    """The jobs ``snakemake --dry-run`` would run: {rule, outputs, log, wildcards} each."""
    out = []
    for rule, body in re.findall(r"^(?:local)?rule (\w+):\n((?:    .*\n?)+)", text, re.MULTILINE):
        fields = dict(re.findall(r"^    (\w+): (.*)$", body, re.MULTILINE))
        outputs = [f.strip() for f in fields.get("output", "").split(", ") if f.strip()]
        log = fields.get("log", "").split(" (check")[0].split(", ")[0].strip()
        pairs = [p.split("=", 1) for p in fields.get("wildcards", "").split(", ") if "=" in p]
        out.append({"rule": rule, "outputs": outputs, "log": log, "wildcards": dict(pairs)})
    return out


def jobs(
    summary: pd.DataFrame,
    pending: Sequence[Mapping],
    stages: Mapping[str, str],
    making: set[str],
    failed: Mapping[str, str],
    running: bool,
    directory: str | Path = ".",
) -> pd.DataFrame:
    """One row per job (stage, rule, job, state, detail). Done: every output of a job
    the summary lists is there and up to date (a job is its log file). The jobs still
    to run (``pending``, from the dry run) are running when one of their outputs is
    being made during a run (detail: the last progress line), failed when the latest
    run reported them or a killed run left them incomplete (detail: the reason), else
    to do."""
    rows = []
    ok = summary[(summary["status"] == "ok") & (summary["plan"] == "no update")]
    ok = ok.assign(job=ok["log-file(s)"].where(~ok["log-file(s)"].isin(["", "-"])))
    ok["job"] = ok["job"].fillna(ok["output_file"])
    pending_outputs = {f for job in pending for f in job["outputs"]}
    for job, outputs in ok.groupby("job", sort=False):
        if outputs["rule"].iloc[0] == "all" or set(outputs["output_file"]) & pending_outputs:
            continue  # part of a job that runs again
        rule = outputs["rule"].iloc[0]
        rows.append({"stage": stages.get(rule, "other"), "rule": rule, "job": job} | {
            "state": "done", "detail": ""})  # fmt: skip
    for job in pending:
        if job["rule"] == "all":  # the target, not a job that makes anything
            continue
        files, log = set(job["outputs"]), Path(directory) / job["log"] if job["log"] else None
        if files & making and running:
            state, detail = "running", last_progress(log) if log else ""
        elif files & set(failed):
            state, detail = "failed", reason(log) if log else "failed"
        elif files & making:
            state, detail = "failed", "interrupted: a killed run left it incomplete"
        else:
            state, detail = "to do", ""
        name = job["log"] or (job["outputs"] or ["?"])[0]
        rows.append({"stage": stages.get(job["rule"], "other"), "rule": job["rule"]} | {
            "job": name, "state": state, "detail": detail})  # fmt: skip
    return pd.DataFrame(rows, columns=["stage", "rule", "job", "state", "detail"])


def per_stage(table: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Jobs per stage and state, stages in pipeline ``order`` (others after)."""
    counts = pd.crosstab(table["stage"], table["state"]).reindex(columns=list(STATES))
    counts = counts.fillna(0).astype(int)
    known = [s for s in order if s in counts.index]
    return counts.loc[known + [s for s in counts.index if s not in known]]


def render(table: pd.DataFrame, order: Sequence[str], running: bool) -> str:
    """The status as text: a headline, jobs per stage, then every running job with its
    progress and every failed job with its reason."""
    done = int((table["state"] == "done").sum())
    head = "run in progress" if running else "no run in progress"
    lines = [f"mofglass status: {head}; {done} of {len(table)} jobs done", ""]
    counts = per_stage(table, order)
    lines += counts.to_string().splitlines()
    for state in ("running", "failed"):
        part = table[table["state"] == state]
        if len(part):
            lines += ["", f"{state}:"]
            lines += [f"  {r.stage}/{r.rule} {r.job}: {r.detail or '-'}" for r in part.itertuples()]
    return "\n".join(lines)
