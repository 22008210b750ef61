"""Example files shipped with the package (synthetic, written by spectra's own writers).

* ``S2p_carbon_anode.vms``: an S 2p region of a Li6PS5Cl | Si-C interface: PS4(3-) and Li2S
  doublets in GL(30) on an active-Shirley background (``constant + k·∫ peaks``) with Poisson noise.
* ``Li2S_argyrodite_xrd.xy``: a Cu Kα powder pattern of argyrodite, Si and nanocrystalline Li2S with
  carbon black, made from the package's own reflection lists (``reference_patterns/``).

Each is made by ``tools/make_example_data.py`` with exactly the model of its documented recipe,
:data:`RECIPES` (the recipes the README shows), so that recipe fits it to χ²ᵣ ≈ 1 and recovers the
truth stored in the file (``json.loads(da.attrs["metadata"])["truth"]``)::

    import spectra
    from spectra import examples

    name = "S2p_carbon_anode.vms"
    result = spectra.fit(spectra.load(examples.path(name)), examples.RECIPES[name])
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

NAMES = ("S2p_carbon_anode.vms", "Li2S_argyrodite_xrd.xy")

#: the documented recipe of each example (the README's "Fitting XPS regions" and "Fitting XRD
#: patterns" recipes); the example was simulated with exactly the model it names
RECIPES = {
    "S2p_carbon_anode.vms": {
        "region": "S 2p",
        "components": ["PS4", "Li2S"],
        "background": "active-shirley",
        "lineshape": "GL(30)",
        "overrides": {"Li2S": {"center": {"value": 160.0, "min": 159.5, "max": 160.6}}},
    },
    "Li2S_argyrodite_xrd.xy": {
        "technique": "xrd",
        "phases": ["Li6PS5Cl", "Li2S", "Si"],
        "amorphous": ["carbon_black"],
        "background": {"kind": "chebyshev", "order": 3},
        "instrument": {"u": 0.004, "v": -0.002, "w": 0.002, "x": 0.0, "y": 0.02},
        "phase_options": {"Li2S": {"size": {"value": 10, "min": 1, "max": 300}}},
    },
}


def path(name: str) -> Path:
    """Path of a shipped example file.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.

    Returns
    -------
    Path
        The file inside the installed package.

    Raises
    ------
    KeyError
        ``name`` is not in :data:`NAMES`.
    """
    if name not in NAMES:
        raise KeyError(f"no example {name!r}; examples: {', '.join(NAMES)}")
    return Path(str(resources.files("spectra") / "data" / name))
