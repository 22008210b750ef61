"""Compare groups of samples on named metrics from XPS and XRD, with uncertainties and significance.

::

    from spectra.comparison import compare, study_groups

    groups, reference = study_groups()          # the bundled example study
    c = compare(groups, reference=reference)
    c.table()                                   # group, metric, unit, value, stderr, n, difference, p_value, ...
    c.plot()                                    # XRD stack, S 2p / Li 1s / Si 2p panels, metric plot

Metric definitions, how group errors combine fit errors and replicate scatter, the test and Holm's
correction: ``docs/comparison.md`` and :mod:`spectra.comparison.statistics`.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from .compare import compare, run
from .result import Comparison

#: the reference group of the bundled study
STUDY_REFERENCE = "pristine"
#: the bundled study's groups, in order
STUDY_GROUPS = ("pristine", "lithiated_carbon_free", "lithiated_carbon")


def study_path() -> Path:
    """The folder of the bundled example study (one subfolder per group, ``truth.csv`` and ``README.md``)."""
    return Path(str(resources.files("spectra") / "data" / "study"))


def study_groups() -> tuple[dict[str, Path], str]:
    """The bundled study's groups and its reference group.

    Returns
    -------
    groups : dict
        Label → folder, for :func:`compare` / :func:`run`.
    reference : str
        ``"pristine"``.
    """
    root = study_path()
    return {label: root / label for label in STUDY_GROUPS}, STUDY_REFERENCE


__all__ = ["Comparison", "compare", "run", "study_groups", "study_path", "STUDY_GROUPS", "STUDY_REFERENCE"]
