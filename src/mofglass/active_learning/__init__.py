"""Temperature-driven active learning (Sharma & Sanvito): the loop's science, as data.

Iteration 0 trains model 0 on a start set: an AIMD-selected dataset, or random
perturbations (positions and cell) of the crystal, CBAD-selected and labelled.
Iteration k runs many short MD runs with model k-1 at the schedule's temperature T_k
from randomly displaced starts, keeps at most a few frames per run that bring new CBAD
bins against everything labelled so far, labels them, evaluates model k-1 on them
(the honest error on fresh frames) and retrains model k.

From ``metadynamics.from_iteration`` on, each iteration also runs ``metadynamics.runs``
explorations under a metadynamics bias of the ``enhanced_sampling`` block
(:func:`explore_biased`): the bias drives the model over the barrier it is learning, so
CBAD (or the committee) sees the states that only the bias visits, and each biased run's
hills give the exploring model's barrier (``barrier_eV`` in the records).

After every iteration the stop rule (:func:`stop_decision`) says whether the loop goes
on. The iterations are unrolled in a static DAG; an iteration after the stop does no
work and the loop's model is the last one trained.

The package: :mod:`.schedule` (what each job of iteration k is given), :mod:`.explore`
(the runs), :mod:`.select` (CBAD keys, picks per run, the committee), :mod:`.loop` (the
records, the labelled set's growth, the state and the stop rule), :mod:`.checks` (the
config's loop blocks). Jobs (:mod:`mofglass.jobs.active_learning`) read files, call
these and write files.

Units: Å, fs, ps, K, eV; errors as in :mod:`mofglass.evaluation` (meV/atom, meV/Å).
"""

from __future__ import annotations

from .checks import (
    config_errors,
)
from .explore import (
    barrier_of_runs,
    before_failure,
    displaced,
    explore,
    explore_biased,
    perturbations,
    start_displacement,
)
from .loop import (
    COST_COLUMNS,
    COUNT_COLUMNS,
    RECORD_COLUMNS,
    SPLITS,
    LabelledSet,
    after_stop,
    barrier_settled,
    closed,
    grow,
    is_stopped,
    new_lineage,
    new_record,
    split_start,
    stop_decision,
)
from .schedule import (
    EXPLORE_KEYS,
    biased_runs,
    biased_settings,
    explores_meltquench,
    is_biased,
    job_settings,
    label_batches,
    max_requests,
    plain_runs,
    run_seed,
    runs_at,
    temperature_at,
)
from .select import (
    SELECTION_COLUMNS,
    Keys,
    new_bins,
    pick,
    pick_by_committee,
    pick_per_run,
    selection_rows,
    with_failures,
)

__all__ = [
    "EXPLORE_KEYS",
    "COST_COLUMNS",
    "COUNT_COLUMNS",
    "Keys",
    "LabelledSet",
    "RECORD_COLUMNS",
    "SELECTION_COLUMNS",
    "SPLITS",
    "after_stop",
    "barrier_of_runs",
    "barrier_settled",
    "before_failure",
    "biased_runs",
    "biased_settings",
    "closed",
    "config_errors",
    "displaced",
    "explore",
    "explore_biased",
    "explores_meltquench",
    "grow",
    "is_biased",
    "is_stopped",
    "job_settings",
    "label_batches",
    "max_requests",
    "new_bins",
    "new_lineage",
    "new_record",
    "perturbations",
    "pick",
    "pick_by_committee",
    "pick_per_run",
    "plain_runs",
    "run_seed",
    "runs_at",
    "selection_rows",
    "split_start",
    "start_displacement",
    "stop_decision",
    "temperature_at",
    "with_failures",
]
