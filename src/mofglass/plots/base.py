"""What every figure shares: matplotlib without a display, atomic PNG writes, the
figure that says why there is nothing to draw."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from ..atomicio import write_with  # noqa: E402


def save_figure(fig, path: str | Path) -> None:
    """Write a figure as PNG atomically and close it."""
    write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    plt.close(fig)


def empty_figure(path: str | Path, message: str) -> None:
    """A placeholder figure that says why there is nothing to show."""
    fig, ax = plt.subplots(figsize=(6, 2))
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.set_axis_off()
    save_figure(fig, path)
