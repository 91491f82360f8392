"""Castel et al.'s PBE-D3 NequIP as a calculator level (``module:Class``), for the
decision experiment of issue 33 (bench/teacher_dag.py): the default DAG with this
model as its teacher. The class is mofglass's own reader of NequIP 0.5.x archives
(``mofglass/families/_deployed.py``, which imports nothing from mofglass), loaded by file
so that the level's Python (the nequip environment) needs no mofglass.
"""

import importlib.util
from pathlib import Path

_FILE = Path(__file__).resolve().parents[2] / "src/mofglass/families/_deployed.py"
_spec = importlib.util.spec_from_file_location("mofglass_deployed", _FILE)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

CastelNequIP = _module.DeployedNequIP
