"""How the package's figures look, and how they are drawn without pyplot when they are to be embedded.

One palette (Okabe–Ito, readable by colour-blind readers and in grey print) gives every component or
phase the same colour in every panel; :func:`publication` is the rc context of every figure;
:func:`new_figure` makes a figure that pyplot does not track (for reports and notebook reprs, so a
figure is never displayed twice) and :func:`svg` / :func:`png` serialise one.
"""
from __future__ import annotations

import io
import re
import uuid

#: Okabe & Ito (2008) colour-blind-safe palette, without black (kept for data and envelopes)
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#999999")

#: rc settings of every figure: small serif-free fonts, inward ticks on all sides, no top/right clutter
RC = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "xtick.minor.visible": True,
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.0,
    "svg.fonttype": "none",      # text stays text in SVG: searchable, escaped by matplotlib
    "figure.dpi": 100,
}


def colour(index: int) -> str:
    """The palette's colour for the ``index``-th component or phase (cycling)."""
    return PALETTE[index % len(PALETTE)]


def publication():
    """Context manager applying :data:`RC` (``with publication(): ...``).

    Never create a pyplot figure inside it: a notebook's first pyplot figure activates the inline
    backend, which turns matplotlib's ``interactive`` on; made inside, leaving the context would
    turn it off again and no later figure of the session would be shown (:func:`user_axes` creates
    its figure outside).
    """
    import matplotlib

    return matplotlib.rc_context(RC)


def new_figure(width: float = 6.4, height: float = 4.8, *, margins: dict | None = None):
    """A figure that pyplot does not track (never shown by a notebook backend, never left open).

    Parameters
    ----------
    width, height : float
        Inches.
    margins : dict, optional
        Fixed ``subplots_adjust`` margins (``left``, ``right``, ``top``, ``bottom``): half the drawing
        time of the default constrained layout, for figures whose content is known (reports).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    if margins is None:
        return Figure(figsize=(width, height), layout="constrained")
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(**margins)
    return fig


def user_axes(ax=None, *, width: float = 6.4, height: float = 4.8):
    """``ax`` itself, or the Axes of a new pyplot figure (what a user calling ``plot()`` expects to see).

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
    width, height : float
        Size of a new figure (inches).
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(width, height), layout="constrained")  # outside the rc context (see publication)
    with publication():
        return fig.add_subplot()


def svg(fig, *, salt: str | None = None) -> str:
    """The figure as an inline ``<svg>`` element: no XML prolog, no metadata block, no external
    reference, and every element id prefixed by ``salt`` so figures inlined in one page never share
    an id (their clip paths and markers would collide).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    salt : str, optional
        The id prefix (letters, digits, ``-``, ``_``); a random one when None.

    Returns
    -------
    str
    """
    import matplotlib

    buffer = io.StringIO()
    with publication(), matplotlib.rc_context({"svg.hashsalt": "spectra"}):  # ids reproducible within a figure
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)  # RDF creator block: not needed inline
    prefix = f"{salt or 's' + uuid.uuid4().hex[:10]}-"
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r'(href="#|url\(#)([^")]+)', lambda m: f"{m.group(1)}{prefix}{m.group(2)}", text)
    return text[text.index("<svg"):]


def png(fig, *, dpi: int = 150) -> bytes:
    """The figure as PNG bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : int
    """
    buffer = io.BytesIO()
    with publication():
        fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def figure_of_plot(plot, *, width: float = 8.0, height: float = 7.0):
    """The figure another object's ``plot`` draws, kept out of pyplot's state (call it outside
    :func:`publication`: ``plot`` may make a pyplot figure).

    ``plot`` is called with ``fig=`` (a pyplot-free figure) when it takes one, else with ``ax=``;
    a ``plot()`` that makes its own pyplot figure has that figure closed in pyplot (it stays
    drawable) so a notebook never shows it a second time.

    Parameters
    ----------
    plot : callable
        E.g. ``comparison.plot``.
    width, height : float
        Inches, for a figure made here.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import inspect

    params = inspect.signature(plot).parameters
    if "fig" in params:
        fig = new_figure(width, height)
        plot(fig=fig)
        return fig
    if "ax" in params:
        fig = new_figure(width, height * 0.6)
        plot(ax=fig.add_subplot())
        return fig
    drawn = plot()
    first = drawn.flat[0] if hasattr(drawn, "flat") else drawn
    fig = first if hasattr(first, "savefig") else first.figure
    import matplotlib.pyplot as plt

    plt.close(fig)
    return fig
