"""Published NequIP/Allegro 0.5.x archives (``nequip-deploy`` TorchScript, such as
Castel et al.'s): their metadata and an ASE calculator that needs only torch. Runs in a
family's own Python (no mofglass)."""

from __future__ import annotations

import numpy as np
from ase.calculators.calculator import Calculator, all_changes

#: What a TorchScript archive of NequIP/Allegro 0.5.x (``nequip-deploy``) carries beside
#: the model: its species in type order, cutoff (Å) and the versions it was built with.
DEPLOYED_METADATA = ("type_names", "r_max", "n_species", "nequip_version", "torch_version")


def load_deployed(path: str, device: str = "cpu"):
    """A 0.5.x deployed archive and its metadata (strings)."""
    import torch

    extra = dict.fromkeys(DEPLOYED_METADATA, "")
    model = torch.jit.load(path, map_location=device, _extra_files=extra)
    return model, {k: v.decode() if isinstance(v, bytes) else v for k, v in extra.items()}


class DeployedNequIP(Calculator):
    """ASE calculator of a NequIP/Allegro 0.5.x archive, as ``pair_style nequip`` feeds
    it: a full neighbour list within r_max (matscipy), each edge i -> j with its integer
    cell shift S (r_j - r_i + S cell), positions and cell in the model's float32.
    Written here because NequIP 0.19's calculator reads only its own compiled format.
    Energies eV, forces eV/Å, stress eV/Å³ (ASE's sign and Voigt order)."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, path: str, device: str = "cpu"):
        super().__init__()
        self.model, self.metadata = load_deployed(path, device)
        self.device = device
        self.types = {s: k for k, s in enumerate(self.metadata["type_names"].split())}
        self.r_max = float(self.metadata["r_max"])

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        import torch
        from matscipy.neighbours import neighbour_list

        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        unknown = sorted(set(atoms.get_chemical_symbols()) - set(self.types))
        if unknown:
            raise ValueError(f"the archive knows {sorted(self.types)}, not {unknown}")
        i, j, shift = neighbour_list("ijS", atoms, self.r_max)
        f32 = {"dtype": torch.float32, "device": self.device}
        types = [self.types[s] for s in atoms.get_chemical_symbols()]
        data = {
            "pos": torch.tensor(atoms.positions, **f32),
            "edge_index": torch.tensor(np.vstack([i, j]), dtype=torch.long, device=self.device),
            "edge_cell_shift": torch.tensor(shift, **f32),
            "cell": torch.tensor(np.asarray(atoms.cell), **f32),
            "pbc": torch.tensor(atoms.pbc, dtype=torch.bool, device=self.device),
            "atom_types": torch.tensor(types, dtype=torch.long, device=self.device),
        }
        out = self.model(data)
        energy = float(out["total_energy"].detach().cpu().reshape(-1)[0])
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "forces": out["forces"].detach().cpu().double().numpy(),
        }
        if "stress" in out and atoms.cell.rank == 3:
            sigma = out["stress"].detach().cpu().double().numpy().reshape(3, 3)
            self.results["stress"] = sigma[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
