"""The self-contained HTML report: one page, figures as inline SVG, every string from files
autoescaped by jinja2 (sample names and comments are data, never markup)."""
from __future__ import annotations

import datetime
from itertools import groupby

from .collect import Contents
from .view import fit_view, frame_table


def environment():
    """The jinja2 environment of the report templates (autoescape on for every template)."""
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("spectra.report", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True)


def comparison_view(comparison, salt: str) -> dict:
    """A comparison's tidy table and figure (SVG) for the report; a figure that cannot be drawn is
    replaced by its reason, so the rest of the report is still written."""
    from ..plotting import style

    conclusions = comparison.conclusions() if callable(getattr(comparison, "conclusions", None)) else []
    view = {"table": frame_table(comparison.table()), "svg": "", "note": "", "conclusions": conclusions}
    try:
        view["svg"] = style.svg(style.figure_of_plot(comparison.plot), salt=salt)
    except Exception as exc:  # a report is still written without the figure; the reader is told why
        view["note"] = f"comparison figure not drawn: {type(exc).__name__}: {exc}"
    return view


def render(contents: Contents, *, title: str) -> str:
    """The report as one HTML string.

    Parameters
    ----------
    contents : Contents
        From :func:`spectra.report.collect.collect`.
    title : str

    Returns
    -------
    str
    """
    import spectra

    from ..fitting.dataset import versions

    fits = [fit_view(e, k + 1) for k, e in enumerate(contents.entries)]
    samples = [(sample, list(group)) for sample, group in groupby(sorted(fits, key=lambda f: f["sample"]),
                                                                   key=lambda f: f["sample"])]
    template = environment().get_template("report.html.j2")
    return template.render(
        title=title, created=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        version=spectra.__version__, n_fits=len(fits), fits=fits, samples=samples,
        flagged=[f for f in fits if f["flags"]], failures=contents.failures,
        comparisons=[comparison_view(c, f"comparison{k}") for k, c in enumerate(contents.comparisons)],
        versions=", ".join(f"{k} {v}" for k, v in versions().items()),
        inputs=contents.inputs)
