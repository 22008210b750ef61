"""XRD as a technique: recipes (:mod:`.recipe`), the pattern model (:mod:`.pattern_model`) and its
batched form (:mod:`.batched`), the engine's problem (:mod:`.problem`, registered as ``xrd``) and
result (:mod:`.result`); phases from ``reference_patterns`` (structures, reflection lists),
wavelengths, profiles, size and strain, phase identification, and instrument calibration on a
standard (:func:`calibrate` → an :class:`Instrument` saved as TOML that recipes name)."""
from .calibrate import calibrate
from .cif import load_phase, write_cif
from .instrument import Instrument

__all__ = ["Instrument", "calibrate", "load_phase", "write_cif"]
