"""What every MD run of a config shares beyond its own protocol block: the thermostat and
barostat damping times and the stability watch with the structure's chemistry, built
once per job (:meth:`RunSpec.read`) from the rule's ``md`` params."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .. import chemistry
from .protocol import BAROSTAT_DAMPING_FS, THERMOSTAT_DAMPING_FS
from .watch import with_chemistry


@dataclass(frozen=True)
class RunSpec:
    """Nosé-Hoover damping times (fs) of the config's ``md`` block, and the stability
    watch: a ``watch`` config block (close contacts, linker bonds, coordination,
    ``max_temperature_factor``) carrying the structure's chemistry, or None for a run
    that is not watched."""

    thermostat_damping_fs: float = THERMOSTAT_DAMPING_FS
    barostat_damping_fs: float = BAROSTAT_DAMPING_FS
    watch: Mapping | None = None

    @classmethod
    def read(
        cls,
        params: Mapping | None,
        chemistry_file: str | None = None,
        found: chemistry.Chemistry | None = None,
    ) -> RunSpec:
        """From a rule's ``md`` params (``md_settings()`` in workflow/rules/common.smk:
        the damping times and the watch block or None), the chemistry read once from
        ``chemistry_file``, or ``found`` where the job has read it already (neither: the
        watch reads it from the run's start)."""
        params = dict(params or {})
        watch = params.get("watch")
        if watch is not None and found is None and chemistry_file:
            found = chemistry.read(chemistry_file)
        if watch is not None:
            watch = with_chemistry(watch, found)
        return cls(
            thermostat_damping_fs=params.get("thermostat_damping_fs", THERMOSTAT_DAMPING_FS),
            barostat_damping_fs=params.get("barostat_damping_fs", BAROSTAT_DAMPING_FS),
            watch=watch,
        )

    @property
    def damping(self) -> dict[str, float]:
        """The damping times (fs) as the recipes and :class:`~.protocol.Protocol` take them."""
        return {
            "thermostat_damping_fs": self.thermostat_damping_fs,
            "barostat_damping_fs": self.barostat_damping_fs,
        }
