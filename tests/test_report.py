"""The report page: figures embedded, tables rendered, results next to published values."""

from __future__ import annotations

import pandas as pd

from mofglass.plots import empty_figure
from mofglass.report import Section, compare, references, render


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
    assert "missing:" in page and "MLP glass (Castel et al. 2024)" in page
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
