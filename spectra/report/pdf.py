"""The PDF report, drawn by matplotlib alone (``PdfPages``): a title and summary page, one page per
fit (its figure above its tables), the comparison, and provenance. No system libraries, so it
installs on a fresh machine with pip alone (weasyprint would need Pango and cairo from the system)."""
from __future__ import annotations

import datetime
import textwrap

from ..plotting import style
from .collect import Contents
from .view import TableView, fit_view, frame_table

#: A4 portrait (inches)
PAGE = (8.27, 11.69)
#: table rows per page
ROWS_PER_PAGE = 40
#: height of a table row under a fit's figure (fraction of the lower part of the page)
ROW_HEIGHT = 0.035


def write_pdf(contents: Contents, path, *, title: str) -> None:
    """Write the report as a PDF to ``path`` (a file object or a path the caller made atomic)."""
    from matplotlib.backends.backend_pdf import PdfPages

    import spectra

    fits = [fit_view(e, k + 1, figure=False) for k, e in enumerate(contents.entries)]
    with PdfPages(path, metadata={"Title": title, "Creator": f"spectra {spectra.__version__}"}) as pdf:
        summary = TableView(["sample", "region", "χ²ᵣ", "status", "main numbers"],
                            [[f["sample"], f["region"], f["redchi"], "ok" if f["ok"] else "NOT OK",
                              f["headline"]] for f in fits]
                            + [[x.source, "—", "—", "FAILED", x.reason] for x in contents.failures],
                            [False, False, True, False, False])
        created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        flags = [f"{f['sample']} · {f['region']}: {t}" for f in fits for t in f["flags"]]
        flags += [f"{x.source}: failed — {x.reason}" for x in contents.failures]
        _table_pages(pdf, title, summary, intro=[f"Written {created} by spectra {spectra.__version__}.",
                                                  f"{len(fits)} fits, {len(contents.failures)} failures.",
                                                  "Uncertainties are one standard error; '± n/a': σ withdrawn.",
                                                  "", "Flags:", *(flags or ["none"])])
        for c in contents.comparisons:
            _comparison_pages(pdf, c)
        for f in fits:
            _fit_page(pdf, f)
        prov = TableView(["sample", "region", "source", "input sha256", "recipe sha256", "engine/weights"],
                         [[f["sample"], f["region"], _tail(f["source"]), f["provenance"]["input_sha256"][:12],
                           f["provenance"]["recipe_sha256"][:12],
                           f"{f['provenance']['engine']}/{f['provenance']['weights']}"] for f in fits],
                         [False] * 6)
        _table_pages(pdf, "Provenance", prov)


def _fit_page(pdf, f: dict) -> None:
    with style.publication():
        _draw_fit_page(pdf, f)
    if len(f["parameters"].rows) > _room(f):
        _table_pages(pdf, f"{f['sample']} — {f['region']}: parameters", f["parameters"])


def _room(f: dict) -> int:
    """Parameter rows that fit under a fit's figure and main table."""
    main_rows = len(f["main_table"].rows) + 1 if f["main_table"] else 0
    return int((0.8 - ROW_HEIGHT * main_rows) / ROW_HEIGHT) - 1


def _draw_fit_page(pdf, f: dict) -> None:
    from .view import figure_of

    fig = style.new_figure(*PAGE)
    top, bottom = fig.subfigures(2, 1, height_ratios=(1.25, 1.0))
    if f["no_figure"]:
        top.text(0.5, 0.5, f["no_figure"], ha="center", va="center")
    else:
        figure_of(f["ds"], top)
    ax = bottom.add_subplot()
    ax.axis("off")
    lines = [f"{f['sample']} — {f['region']} — χ²ᵣ = {f['redchi']} — {'ok' if f['ok'] else 'NOT OK'}",
             *(f"flag: {t}" for t in f["flags"])]
    ax.text(0, 1, "\n".join(_wrap(line) for line in lines), va="top", fontsize=8, transform=ax.transAxes)
    main_height = ROW_HEIGHT * (len(f["main_table"].rows) + 1) if f["main_table"] else 0.0
    if f["main_table"]:
        _draw_table(ax, f["main_table"], top=0.86, height=main_height)
    params = f["parameters"]
    if len(params.rows) <= _room(f):
        _draw_table(ax, params, top=0.8 - main_height, height=ROW_HEIGHT * (len(params.rows) + 1))
    pdf.savefig(fig)


def _comparison_pages(pdf, comparison) -> None:
    try:
        fig = style.figure_of_plot(comparison.plot, width=PAGE[0], height=PAGE[1] * 0.8)
    except Exception as exc:  # the report is still written; the page says why the figure is missing
        fig = style.new_figure(*PAGE)
        fig.text(0.1, 0.9, _wrap(f"comparison figure not drawn: {type(exc).__name__}: {exc}"), va="top")
    pdf.savefig(fig)
    conclusions = comparison.conclusions() if callable(getattr(comparison, "conclusions", None)) else []
    _table_pages(pdf, "Comparison", frame_table(comparison.table(), digits=3),
                 intro=["Significant differences from the reference:", *conclusions] if conclusions else None)


def _table_pages(pdf, title: str, table: TableView, intro: list[str] | None = None) -> None:
    """A table over as many pages as it needs (the intro text on the first)."""
    rows = table.rows or [["—"] * len(table.columns)]
    for start in range(0, len(rows), ROWS_PER_PAGE):
        with style.publication():
            _table_page(pdf, title, TableView(table.columns, rows[start:start + ROWS_PER_PAGE], table.numeric),
                        start, intro)


def _table_page(pdf, title: str, chunk: TableView, start: int, intro) -> None:
    """One page of a table (``start``: its first row's index; the intro on the first page only)."""
    fig = style.new_figure(*PAGE)
    ax = fig.add_subplot()
    ax.axis("off")
    ax.set_title(title + ("" if start == 0 else " (continued)"), loc="left", fontsize=12)
    top = 1.0
    if intro and start == 0:
        ax.text(0, 1, "\n".join(_wrap(t, 110) for t in intro), va="top", fontsize=8, transform=ax.transAxes)
        top = 0.98 - 0.018 * sum(_wrap(t, 110).count("\n") + 1 for t in intro)
    _draw_table(ax, chunk, top=top, height=min(top, 0.022 * (len(chunk.rows) + 1)))
    pdf.savefig(fig)


def _draw_table(ax, table: TableView, *, top: float, height: float) -> None:
    cells = [[_wrap(c, 60) for c in row] for row in table.rows] or [[""] * len(table.columns)]
    t = ax.table(cellText=cells, colLabels=table.columns, bbox=[0, top - height, 1, height], cellLoc="left")
    t.auto_set_font_size(False)
    t.set_fontsize(6.5)
    for (r, c), cell in t.get_celld().items():
        cell.set_linewidth(0.3)
        if r == 0:
            cell.set_facecolor("#f1f3f5")
        elif table.numeric[c]:
            cell.get_text().set_horizontalalignment("right")
    t.auto_set_column_width(list(range(len(table.columns))))


def _wrap(text: str, width: int = 100) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def _tail(path: str, n: int = 40) -> str:
    return path if len(path) <= n else "…" + path[-n:]
