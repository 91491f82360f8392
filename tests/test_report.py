"""The report page: figures embedded, tables rendered, results next to published values."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pytest

from mofglass.cp2k.run import DEFAULT_COMMAND
from mofglass.plots import empty_figure
from mofglass.report import Section, compare, references, render

from .browser import assert_report_reads_well, is_unit


def test_report_is_self_contained_and_compares_with_the_papers(tmp_path):
    figure = tmp_path / "f.png"
    empty_figure(figure, "a figure")
    results = pd.DataFrame(
        [
            {
                "source": "meltquench/snap",
                "quantity": "zn_n_coordination",
                "value": 3.9,
                "error": 0.02,
                "unit": "",
            },
            {
                "source": "meltquench/snap",
                "quantity": "fraction_cn3",
                "value": 0.1,
                "error": 0.01,
                "unit": "",
            },
        ]
    )
    compared = compare(results, "meltquench")
    assert compared["published"].tolist() == [3.93]  # only quantities with a published value
    page = render("t", [Section("s", "text", [("c", compared)], [figure, tmp_path / "no.png"])])
    assert page.count("data:image/png;base64,") == 1
    assert "missing figure:" in page and "MLP glass (Castel et al. 2024)" in page
    assert set(references()["applies_to"]) >= {"structure", "meltquench", "set", "model"}


def test_a_number_that_is_not_a_result_shows_its_status_instead():
    table = pd.DataFrame(
        [
            {"quantity": "K_voigt", "value": 7.4, "error": 6927.0, "unit": "GPa"}
            | {"status": "not converged", "reason": "error 936 times the value"},
            {"quantity": "nu_hill", "value": 0.62, "error": 0.01, "unit": ""}
            | {"status": "unphysical", "reason": "nu_hill = 0.62 outside (-1, 0.5)"},
            {"quantity": "G_hill", "value": 4.25, "error": 0.5, "unit": "GPa"}
            | {"status": "ok", "reason": ""},
        ]
    )
    page = render("t", [Section("s", "text", [("moduli", table)], [])])
    assert "6927" not in page and ">7.4<" not in page and ">0.62<" not in page
    assert "not converged" in page and "unphysical" in page
    assert ">4.25<" in page and ">0.5<" in page  # an ok number is shown with its error
    compared = compare(
        table.assign(source="m", quantity=["K_hill", "nu_hill", "G_hill"]), "mechanics-glass"
    )
    assert "status" in compared


def test_every_stage_writes_its_section_from_the_files_it_is_handed(tmp_path):
    """The report job builds no path: each stage's section comes from the named files
    of its stage, in the order of the pipeline, each figure with its kind's caption."""
    import re

    from mofglass.evaluation import METRIC_COLUMNS
    from mofglass.jobs.report import report_job
    from mofglass.mechanics import SUMMARY_COLUMNS

    def table(name, rows, sep=","):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(path, sep=sep, index=False)
        return str(path)

    def figure(name):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        empty_figure(path, name)
        return str(path)

    metrics = [
        dict.fromkeys(METRIC_COLUMNS, 1.0) | {"model": "m", "split": s, "n_frames": 4}
        for s in ("train", "validation", "test")
    ]
    metrics[2]["energy_mae_meV_per_atom"] = 0.75
    summary_row = {"quantity": "zn_n_coordination", "value": 3.9, "error": 0.02, "unit": ""}
    summary_row |= {"n_samples": 2, "n_effective": 2, "status": "ok", "reason": ""}
    mechanics_row = dict.fromkeys(SUMMARY_COLUMNS, "")
    mechanics_row |= {"model": "m", "group": "glass", "sample": "g0", "quantity": "K_hill"}
    mechanics_row |= {"value": 3.1, "error": 0.2, "unit": "GPa", "n": 1, "status": "ok"}
    failed_replica = {"model": "m", "replica": 0, "verdict": "failed"}
    failed_replica |= {"reason": "Zn 7 has 1 N neighbour", "failed_at_ps": 1.2}
    benchmark = tmp_path / "benchmarks/train/m.tsv"
    benchmark.parent.mkdir(parents=True)
    benchmark.write_text("s\th:m:s\tmax_rss\n12.5\t0:00:12\t300.0\n")
    files = {
        "selection_tables": [table("sel/d/selection.csv", [{"split": "train", "selector": "r"}])],
        "selection_figures": [figure("sel/d/energy_distribution.png")],
        "models_metrics": [table("models/m/metrics.csv", metrics)],
        "models_cost": [table("models/m/cost.csv", [{"n_atoms": 17, "us_per_atom_step": 9.0}])],
        "models_md": [table("md/m/check/verdict.tsv", [{"verdict": "ok"}], sep="\t")],
        "models_figures": [figure("models/m/parity.png")],
        "al_records": [table("al/m/records.csv", [{"iteration": 0}])],
        "al_figures": [figure("al/m/records.png")],
        "meltquench_verdicts": [table("mq/verdicts.tsv", [failed_replica], sep="\t")],
        "meltquench_figures": [figure("mq/m/replica0/temperature.png")],
        "analysis_summaries": [table("analysis/meltquench/m/summary.csv", [summary_row])],
        "analysis_figures": [figure("analysis/meltquench/m/rdf.png")],
        "cross_check_levels": [table("cc/d/errors.csv", [{"dataset": "d"}])],
        "cross_check_glasses": [],
        "mechanics_summaries": [table("mech/m/summary.csv", [mechanics_row])],
        "mechanics_figures": [figure("mech/m/g0/eos.png")],
        "enhanced_barriers": [
            table("enh/m/b/barrier.csv", [{"barrier_eV": 0.3} | {"barrier_err_eV": 0.01}])
        ],
        "enhanced_figures": [figure("enh/m/b/fes.png")],
        "phases_metrics": [table("phases/metrics.csv", [{"accuracy": 0.9}])],
        "phases_figures": [figure("phases/confusion.png")],
    }
    captions = {
        stem: f"what {stem} shows"
        for stem in ("energy_distribution", "parity", "records", "temperature", "rdf")
        + ("eos", "fes", "confusion", "model_comparison")
    }
    settings = {
        "config_name": "c.yaml",
        "models": {"m": {"type": "snap", "dataset": "d"}},
        "sources": ["meltquench/m"],
        "mechanics_models": ["m"],
        "mechanics_kinds": {"glass": "glass"},
        "enhanced_runs": ["m/b"],
        "frameworks": {"m/b": "MOF-5"},  # its published barrier is MOF-5's
        "captions": captions,
        "config": {"models": {"m": {"type": "snap"}}},
        "root": str(Path(__file__).parents[1]),
        "environments": {"main": sys.executable},
        "cp2k_command": DEFAULT_COMMAND,
        "benchmarks": str(tmp_path / "benchmarks"),
    }
    output, comparison = tmp_path / "index.html", tmp_path / "model_comparison.png"
    report_job(files, settings, str(output), str(comparison))
    page = output.read_text()
    titles = re.findall(r"<section id='[a-z-]+'><h2>([^<]+)</h2>", page)
    assert titles == [
        "Summary",
        "Selection",
        "Models",
        "Active learning",
        "Melt-quench",
        "Structure",
        "Cross-checks",
        "Mechanics",
        "Enhanced sampling",
        "Phase classification",
        "Provenance",
    ]
    given = [f for key, paths in files.items() if key.endswith("_figures") for f in paths]
    assert page.count("data:image/png;base64,") == len(given) + 1  # and the comparison
    for stem, caption in captions.items():  # its kind's caption, then which run it is
        assert re.search(f"<figcaption>{caption} — [^<]*</figcaption>", page), stem
    # each number next to its published value, under a unit that is one
    assert ">0.75<" in page and ">0.6<" in page  # test energy MAE against Castel's 0.60
    assert "per/atom" not in page and ">meV/atom<" in page
    assert ">3.93<" in page  # the MLP glass's Zn-N coordination (Castel et al.)
    assert ">0.46<" in page and ">0.49<" in page  # MOF-5's rotation barrier, SNAP and experiment
    assert comparison.stat().st_size > 0
    # the answer first: no glass, the failed replica with its reason, linked to its
    # section; the glass's numbers are not shown as a glass's
    summary = page[page.index("<section id='summary'>") : page.index("<section id='selection'>")]
    assert "No glass was made" in summary and "all 1 melt-quench replicas failed" in summary
    assert "Zn 7 has 1 N neighbour" in summary and "href='#melt-quench'" in summary
    assert ">no glass<" in summary and ">3.9<" not in summary
    # the barrier is answered in the summary too, beside MOF-5's published value
    assert ">0.3<" in summary and ">0.46<" in summary and ">Enhanced sampling<" in summary
    # provenance: this checkout's commit, this Python's packages, the stage's runtime
    commit = subprocess.run(
        ["git", "-C", str(Path(__file__).parents[1]), "rev-parse", "HEAD"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    provenance = page[page.index("<section id='provenance'>") :]
    assert commit and commit in provenance
    assert f">{version('pandas')}<" in provenance and ">12.5<" in provenance
    assert_report_reads_well(output)


def test_the_browser_check_fails_on_what_a_reader_would_trip_over(tmp_path):
    """The headless-browser check can fail: a unit that is not one, a link to nothing, a
    summary that is not first; and it passes the same page without them."""
    figure = tmp_path / "results/models/m/parity.png"
    figure.parent.mkdir(parents=True)
    empty_figure(figure, "parity")
    captions = {"parity": "Parity plots: the model against its labels."}

    def page(unit: str, link: str, first: str) -> Path:
        table = pd.DataFrame([{"quantity": "energy_mae", "value": 1.0, "unit": unit}])
        sections = [Section(first, tables=[("t", table)], figures=[figure], captions=captions)]
        sections.append(Section("Summary" if first != "Summary" else "Models"))
        sections[0].html = f"<a href='#{link}'>see</a>"
        path = tmp_path / f"{unit.replace('/', '_')}-{link}-{first}.html"
        path.write_text(render("t", sections))
        return path

    assert_report_reads_well(page("meV/atom", "models", "Summary"))
    for unit, link, first in [
        ("per/atom", "models", "Summary"),
        ("nan", "models", "Summary"),
        ("meV/atom", "nowhere", "Summary"),
        ("meV/atom", "summary", "Models"),
    ]:
        with pytest.raises(AssertionError):
            assert_report_reads_well(page(unit, link, first))
    assert is_unit("µs/atom/step") and is_unit("g/cm³") and not is_unit("per/A")


def test_replicas_that_kept_the_crystal_are_not_counted_as_glasses():
    """A melt-quench that ran to the end but left its metals on the crystal's sites is
    no glass in the answer; the same replicas without that judgement are."""
    import pandas as pd

    from mofglass.report.summary import _headline

    verdicts = pd.DataFrame({"model": ["m", "m"], "replica": [0, 1], "verdict": ["ok", "ok"]})
    models = pd.DataFrame(columns=["model", "dataset", "forces_mae_meV_per_A"])
    reason = "the Zn sit 0.87 Å from the crystal's sites: a distorted crystal, not a glass"
    kept = _headline(verdicts, models, 0, {"m": reason})
    assert "No glass was made" in kept and "m: 2 of 2 replicas ran to the end" in kept
    assert "m's replicas are not glasses" in kept and "0.87 Å" in kept
    glass = _headline(verdicts, models, 0)
    assert "<b>2 of 2</b> melt-quench replicas made a glass" in glass
