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
