"""The report opened in a real headless Chromium (Debian's chromium and chromium-driver,
driven by Selenium): what a reader's browser shows, not what the HTML text says."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

#: Units a reader may meet in a unit column, written independently of the report's
#: own table of glyphs: a label is a unit when each of its "/"-separated parts is one.
UNIT_WORDS = {
    "1", "meV", "eV", "Å", "Å³", "MPa", "GPa", "K", "g", "cm³", "kg", "kJ", "mol", "°",
    "ps", "fs", "s", "µs", "atom", "step", "THz", "%",
}  # fmt: skip


def is_unit(label: str) -> bool:
    """Whether ``label`` reads as a unit (empty: dimensionless; ``–``: none given)."""
    if label in ("", "–"):
        return True
    return all(part in UNIT_WORDS for part in label.split("/"))


def needs_chromium() -> None:
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.skip(
            "needs Debian's chromium and chromium-driver (./install.sh --tests installs them)"
        )


# Runs in the page: every section in order, each image's load state, each internal
# link's target, every cell of a column headed "unit" or "*_unit", each figure's caption.
_INSPECT = """
const sections = [...document.querySelectorAll('section')].map(s => s.id);
const images = [...document.images].map(i => ({
    alt: i.alt, loaded: i.complete && i.naturalWidth > 0 && i.naturalHeight > 0}));
const links = [...document.querySelectorAll('a[href^="#"]')].map(a => ({
    href: a.getAttribute('href'),
    found: document.getElementById(a.getAttribute('href').slice(1)) !== null}));
const units = [];
for (const table of document.querySelectorAll('table')) {
    const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
    heads.forEach((h, k) => {
        if (h !== 'unit' && !h.endsWith('_unit')) return;
        for (const row of table.querySelectorAll('tbody tr')) {
            const cell = row.children[k];
            if (cell) units.push(cell.textContent.trim());
        }
    });
}
const captions = [...document.querySelectorAll('figcaption')].map(c => c.textContent.trim());
return {sections, images, links, units, captions, title: document.title};
"""


def inspect_page(path: str | Path) -> dict:
    """Open ``path`` in headless Chromium and return what it shows: section ids in
    order, images (loaded or not), internal links (target found or not), unit cells,
    figure captions and the page title."""
    needs_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        driver.set_page_load_timeout(120)
        driver.get(Path(path).resolve().as_uri())
        driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "Promise.all([...document.images].map(i => i.decode().catch(() => null)))"
            ".then(() => done(true));"
        )
        return driver.execute_script(_INSPECT)
    finally:
        driver.quit()


def assert_report_reads_well(path: str | Path) -> dict:
    """The report as a reader sees it: the summary before any other section, every image
    loaded, every internal link resolved, every unit a unit, every figure captioned in
    words (not a file path). Returns what :func:`inspect_page` found."""
    page = inspect_page(path)
    assert page["sections"] and page["sections"][0] == "summary", page["sections"]
    broken = [i["alt"] for i in page["images"] if not i["loaded"]]
    assert page["images"] and not broken, f"images that did not load: {broken}"
    dangling = [link["href"] for link in page["links"] if not link["found"]]
    assert page["links"] and not dangling, f"links to nothing: {dangling}"
    bad = sorted({u for u in page["units"] if not is_unit(u)})
    assert not bad, f"unit labels that are not units: {bad}"
    for caption in page["captions"]:
        assert re.search(r"[A-Za-z]+ [A-Za-z]+", caption), f"caption without words: {caption}"
        assert not caption.startswith(("results/", "/")), f"a path as caption: {caption}"
    return page
