"""Choosing which sampled frames go on to labelling.

For now: every ``stride``-th printed frame after equilibration. Each chosen frame gets
``info['pool_index']``, its position in the pool, which names it from then on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ase import Atoms

from .frames import usable_frames


def stride_pool(
    trajectories: Iterable[Sequence[Atoms]], stride: int, equilibration_steps: int = 0
) -> list[Atoms]:
    """Every ``stride``-th frame with step > ``equilibration_steps`` of each trajectory.

    Frames that cannot be data (SCF not converged, non-finite values) are dropped and
    logged; the rest are numbered with ``pool_index`` in order.
    """
    if stride < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
    pool: list[Atoms] = []
    for frames in trajectories:
        after = [f for f in frames if int(f.info["step"]) > equilibration_steps]
        pool.extend(usable_frames(after[stride - 1 :: stride], what="label pool"))
    for index, atoms in enumerate(pool):
        atoms.info["pool_index"] = index
    return pool


def batch(frames: Sequence[Atoms], index: int, batch_size: int) -> list[Atoms]:
    """Frames ``index * batch_size`` up to ``(index + 1) * batch_size`` (may be empty)."""
    return list(frames[index * batch_size : (index + 1) * batch_size])
