"""X-ray wavelengths (Å) of laboratory anodes and the Kα2/Kα1 intensity ratio.

Kα1/Kα2 values: J. A. Bearden, Rev. Mod. Phys. 39 (1967) 78 (the values of ``shared/REFERENCE.md``,
pymatgen and most diffractometer software). The later determinations of G. Hölzer et al., Phys.
Rev. A 56 (1997) 4554 put Cu Kα1 at 1.5405929 Å, 20 ppm longer: a fit with a refined cell absorbs
the difference into the cell (≈ 1e-4 Å on Si), one with a fixed cell into the specimen displacement.
A recipe may give ``wavelength`` (Å) for monochromatic data. I(Kα2)/I(Kα1) = 0.5 by default
(configurable).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Radiation:
    """Wavelengths (Å) and Kα2/Kα1 intensity ratio; ``ka2`` None for monochromatic radiation.

    Attributes
    ----------
    name : str
        Anode symbol (``"Cu"``, ...) or, for monochromatic radiation, the wavelength as text.
    ka1 : float
        Kα1 (or the monochromatic) wavelength in Å.
    ka2 : float or None
        Kα2 wavelength in Å; ``None`` for monochromatic radiation.
    ka2_ratio : float
        Intensity ratio I(Kα2)/I(Kα1); 0 for monochromatic radiation.
    """

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
    """A lab anode's radiation, or a monochromatic wavelength.

    Parameters
    ----------
    anode : {"Cu", "Co", "Mo", "Ag"}, optional
        Laboratory anode; ignored when ``wavelength`` is given.
    wavelength : float, optional
        Monochromatic wavelength in Å (synchrotron or monochromated Kα1).
    ka2_ratio : float, optional
        I(Kα2)/I(Kα1) replacing the anode's default 0.5; ignored with ``wavelength``.

    Returns
    -------
    Radiation
        The anode's Kα1/Kα2 doublet, or a single line (``ka2=None``, ratio 0) for ``wavelength``.

    Raises
    ------
    ValueError
        No ``wavelength`` and ``anode`` is not one of :data:`ANODES`.
    """
    if wavelength is not None:
        return Radiation(f"{wavelength:.6f} Å", float(wavelength))
    if anode not in ANODES:
        raise ValueError(f"unknown anode {anode!r}; known: {', '.join(ANODES)}")
    base = ANODES[anode]
    if ka2_ratio is None:
        return base
    return Radiation(base.name, base.ka1, base.ka2, float(ka2_ratio))
