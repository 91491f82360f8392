"""Local phase classifier after Méndez & Semino: each metal atom (Zn in a ZIF) described by
Behler-Parrinello symmetry functions over metal-metal pairs only (radial G2 and angular
G4, from dscribe), and
a small neural network (scikit-learn, one hidden layer: 12-6-4 for 12 functions and 4
phases) that gives the probability of each phase (e.g. ZIF-4, ZIF-zni, amorphous,
liquid).

Units: distances Å, η in 1/Å². The features are standardised before the network
(scikit-learn's StandardScaler, fitted on the training frames).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
from ase import Atoms


def descriptor(settings: Mapping, metal: str = "Zn"):
    """dscribe's ACSF over the metal only: ``radial`` [[η, R_s], ...] (G2) and
    ``angular`` [[η, ζ, λ], ...] (G4), cut at ``r_cut_A``."""
    from dscribe.descriptors import ACSF

    return ACSF(
        species=[metal],
        r_cut=settings["r_cut_A"],
        g2_params=[list(p) for p in settings["radial"]],
        g4_params=[list(p) for p in settings["angular"]],
        periodic=True,
    )


def symmetry_functions(frames: Sequence[Atoms], settings: Mapping, metal: str = "Zn") -> np.ndarray:
    """Per metal atom of every frame (rows in frame order, then atom order): the G2 and
    G4 symmetry functions over the other metal atoms (dscribe's G1, the plain cutoff
    sum, is left out: Méndez & Semino use 4 radial and 8 angular functions)."""
    acsf = descriptor(settings, metal)
    rows = []
    for atoms in frames:
        zinc = atoms[np.array(atoms.get_chemical_symbols()) == metal]
        if len(zinc) == 0:
            raise ValueError(
                f"a frame without {metal}: the classifier describes {metal} environments"
            )
        rows.append(acsf.create(zinc)[:, 1:])
    return np.vstack(rows)


def train(features: np.ndarray, labels: Sequence[str], settings: Mapping) -> dict:
    """Fit the network on a stratified ``1 - test_fraction`` of the Zn and score it on
    the rest. Returns the fitted pipeline, the classes, the held-out accuracy (overall
    and per class) and the confusion matrix (rows: true, columns: predicted)."""
    from sklearn.metrics import accuracy_score, confusion_matrix
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    labels = np.asarray(labels)
    x_train, x_test, y_train, y_test = train_test_split(
        features,
        labels,
        test_size=settings["test_fraction"],
        stratify=labels,
        random_state=settings["seed"],
    )
    network = MLPClassifier(
        hidden_layer_sizes=tuple(settings["hidden"]),
        activation="tanh",
        alpha=settings["alpha"],
        max_iter=settings["max_iter"],
        random_state=settings["seed"],
    )
    model = make_pipeline(StandardScaler(), network).fit(x_train, y_train)
    predicted = model.predict(x_test)
    classes = list(model.classes_)
    matrix = confusion_matrix(y_test, predicted, labels=classes)
    per_class = {c: float(np.mean(predicted[y_test == c] == c)) for c in classes}
    return {
        "model": model,
        "classes": classes,
        "accuracy": float(accuracy_score(y_test, predicted)),
        "per_class": per_class,
        "confusion": pd.DataFrame(matrix, index=classes, columns=classes),
        "n_train": len(y_train),
        "n_test": len(y_test),
    }


def fractions(model, frames: Sequence[Atoms], settings: Mapping, metal: str = "Zn") -> pd.DataFrame:
    """Per frame: the fraction of metal atoms classed in each phase (the most probable
    one) and the mean probability of each phase; columns ``fraction_<phase>``,
    ``p_<phase>``."""
    classes = list(model.classes_)
    counts = [atoms.get_chemical_symbols().count(metal) for atoms in frames]
    probabilities = model.predict_proba(symmetry_functions(frames, settings, metal))
    rows = []
    for part in np.split(probabilities, np.cumsum(counts)[:-1]):
        winners = np.asarray(classes)[np.argmax(part, axis=1)]
        row = {f"fraction_{c}": float(np.mean(winners == c)) for c in classes}
        row.update({f"p_{c}": float(p) for c, p in zip(classes, part.mean(0), strict=True)})
        rows.append(row)
    return pd.DataFrame(rows)


def config_errors(config: dict) -> Iterator[str]:
    """A classifier whose model or class sources the config does not define."""
    block = config.get("phases", {})
    if not block.get("enabled", False):
        return
    if block.get("model") not in config.get("models", {}):
        yield f"phases.model: no model {block.get('model')!r}"
    if len(block.get("classes", {})) < 2:
        yield "phases.classes: at least two phases"
    for name, source in block.get("classes", {}).items():
        if source.get("meltquench_final"):
            if not config.get("meltquench", {}).get("enabled", True):
                yield f"phases.classes.{name}: meltquench_final, but meltquench is off"
        elif "structure" not in source or "temperatures_K" not in source:
            yield f"phases.classes.{name}: give structure and temperatures_K, or meltquench_final"
        elif source["structure"] not in config.get("structures", {}):
            yield f"phases.classes.{name}.structure: no structure {source['structure']!r}"
