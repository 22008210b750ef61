"""X-ray wavelengths (Å) of laboratory anodes and the Kα2/Kα1 intensity ratio.

Kα1/Kα2 values: G. Hölzer et al., Phys. Rev. A 56 (1997) 4554 (Cu, Co), and R. D. Deslattes et al.,
Rev. Mod. Phys. 75 (2003) 35 (Mo, Ag), as tabulated in the International Tables for
Crystallography Vol. C, Table 4.2.2.1. I(Kα2)/I(Kα1) = 0.5 by default (configurable).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Radiation:
    """Wavelengths (Å) and Kα2/Kα1 intensity ratio; ``ka2`` None for monochromatic radiation."""

    name: str
    ka1: float
    ka2: float | None = None
    ka2_ratio: float = 0.0

    @property
    def energy_ev(self) -> float:
        """Photon energy of Kα1 (eV)."""
        return 12398.419843 / self.ka1


ANODES = {
    "Cu": Radiation("Cu", 1.540562, 1.544390, 0.5),
    "Co": Radiation("Co", 1.788965, 1.792850, 0.5),
    "Mo": Radiation("Mo", 0.709300, 0.713590, 0.5),
    "Ag": Radiation("Ag", 0.559407, 0.563798, 0.5),
}


def radiation(anode: str | None = None, *, wavelength: float | None = None, ka2_ratio: float | None = None
              ) -> Radiation:
    """A lab anode (``"Cu"``, ``"Co"``, ``"Mo"``, ``"Ag"``), optionally with another Kα2 ratio, or a
    monochromatic ``wavelength`` (Å; synchrotron or monochromated Kα1)."""
    if wavelength is not None:
        return Radiation(f"{wavelength:.6f} Å", float(wavelength))
    if anode not in ANODES:
        raise ValueError(f"unknown anode {anode!r}; known: {', '.join(ANODES)}")
    base = ANODES[anode]
    if ka2_ratio is None:
        return base
    return Radiation(base.name, base.ka1, base.ka2, float(ka2_ratio))
