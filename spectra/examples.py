"""Example files shipped with the package (synthetic, written by spectra's own writers).

* ``S2p_carbon_anode.vms``: an S 2p region of a Li6PS5Cl | Si-C interface, PS4(3-) and Li2S
  doublets on a Shirley-type background with Poisson noise (truth in the file's metadata).
* ``Li2S_argyrodite_xrd.xy``: a Cu Kα powder pattern with argyrodite, Si and broad Li2S reflections.

They are made by ``tools/make_example_data.py``.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

NAMES = ("S2p_carbon_anode.vms", "Li2S_argyrodite_xrd.xy")


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
