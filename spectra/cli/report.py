"""``spectra report RESULTS... -o report.html|report.pdf`` (:func:`spectra.report.write_report`)."""
from __future__ import annotations

from pathlib import Path

import click

from ._common import click_error, expand_paths


@click.command()
@click.argument("results", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="report.html (self-contained) or report.pdf.")
@click.option("--title", default=None, help="The report's title.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
def report(results, output, title, overwrite):
    """Write an annotated report (HTML or PDF) of results files.

    RESULTS are files written by `spectra fit` (or spectra.save_results), folders or patterns.
    The report holds a summary, the flags and failed files, a figure and tables per fit, and the
    provenance.

    \b
    Examples:
      spectra report s2p.h5 -o report.html
      spectra report s2p.h5 li1s.h5 xrd.h5 -o report.pdf --title "Anode, cycle 1"
    \f
    Parameters
    ----------
    results : tuple of str
        Results files, folders or patterns.
    """
    from ..errors import SpectraError
    from ..report import write_report
    from ..results import load_results

    paths = expand_paths(results)
    try:
        for path in paths:  # a file that is not a results file is an error here, not a line in the report
            load_results(path)
        write_report([str(p) for p in paths], output, title=title, overwrite=overwrite)
    except (SpectraError, ValueError) as exc:
        raise click_error(exc) from None
    except FileNotFoundError as exc:
        raise click.ClickException(f"{exc.filename}: no such file") from None
    click.echo(f"wrote {output}")
