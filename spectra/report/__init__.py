"""Annotated reports of fits and comparisons: :func:`write_report` (HTML or PDF) and the notebook
views (:mod:`spectra.report.notebook`)."""
from __future__ import annotations

from pathlib import Path

__all__ = ["render_html", "write_report"]

#: report formats by file suffix
FORMATS = (".html", ".htm", ".pdf")


def render_html(inputs, *, title: str | None = None, comparison=None) -> str:
    """The HTML report as a string (see :func:`write_report`)."""
    from .collect import collect
    from .html import render

    return render(collect(inputs, comparison), title=title or "spectra report")


def write_report(inputs, path, *, title: str | None = None, comparison=None, overwrite: bool = False) -> Path:
    """Write an annotated report of fits and comparisons, as self-contained HTML or as PDF.

    Contents: a summary (one row per fit or failure, with its main numbers), the flags (fits not
    converged, parameters at a bound, poor χ²ᵣ, failed files), the comparison section (its figure and
    tidy table) when a comparison is given, per sample the annotated figure of each fit beside its
    component (XPS, CasaXPS-like columns) or phase (XRD) table and all parameters with σ, and the
    provenance (sources, hashes, recipes, engine, versions). Text from files (sample names,
    comments) is escaped, never interpreted as markup.

    Parameters
    ----------
    inputs : object or sequence
        Fit results (:func:`spectra.fit`), datasets of :func:`spectra.fit_many` (a failed spectrum is
        listed as a failure with its message), paths of results files, comparisons, or lists and dicts
        of these.
    path : str or PathLike
        ``.html`` (one file: inline SVG figures and CSS, no external resource) or ``.pdf`` (A4 pages
        drawn by matplotlib).
    title : str, optional
        Defaults to "spectra report".
    comparison : Comparison, optional
        A comparison whose section the report shows (also accepted among ``inputs``).
    overwrite : bool
        Replace an existing file (never done otherwise).

    Returns
    -------
    Path
        ``path``, written atomically.

    Raises
    ------
    ValueError
        A suffix that is not .html, .htm or .pdf.
    TypeError
        An input of a kind the report does not take.
    spectra.errors.SpectraError
        ``path`` exists and ``overwrite`` is False.
    """
    from ..io.write import atomic_write, atomic_write_text
    from .collect import collect

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"report {path}: the suffix says the format; use one of {', '.join(FORMATS)}")
    contents = collect(inputs, comparison)
    title = title or "spectra report"
    if suffix == ".pdf":
        from .pdf import write_pdf

        return atomic_write(path, lambda tmp: write_pdf(contents, tmp, title=title), overwrite=overwrite)
    from .html import render

    return atomic_write_text(path, render(contents, title=title), overwrite=overwrite)
