"""``spectra demo [OUTDIR]``: the whole pipeline on the bundled example study — read, fit, compare,
report — and where the report is."""
from __future__ import annotations

import time
from pathlib import Path

import click

from ._common import click_error

#: what the demo writes into OUTDIR
OUTPUTS = ("comparison.csv", "comparison.nc", "comparison.svg", "report.html")


@click.command()
@click.argument("outdir", default="spectra-demo", type=click.Path(file_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace the demo's files in OUTDIR if they exist.")
def demo(outdir, overwrite):
    """Run the whole pipeline on the bundled example study and write a report into OUTDIR
    (default ./spectra-demo).

    The study: a pristine Si | Li6PS5Cl interface and lithiated ones without and with 20 wt%
    carbon, three replicates each, with XRD patterns and S 2p, Li 1s, Si 2p, Cl 2p and C 1s
    regions (XRDML and VAMAS files). Each spectrum is fitted with its default recipe, the groups
    are compared with the pristine one, and everything goes into report.html.

    \b
    Examples:
      spectra demo
      spectra demo /tmp/demo && xdg-open /tmp/demo/report.html
    """
    from ..comparison import run, study_groups
    from ..errors import SpectraError
    from ..report import write_report
    from .compare import echo_comparison

    started = time.perf_counter()
    outdir.mkdir(parents=True, exist_ok=True)
    out = {name: outdir / name for name in OUTPUTS}
    taken = [str(p) for p in out.values() if p.exists()]
    if taken and not overwrite:
        raise click.UsageError(f"{', '.join(taken)} exist(s); pass --overwrite or choose another OUTDIR")
    groups, reference = study_groups()
    n_files = sum(1 for folder in groups.values() for p in Path(folder).iterdir() if p.is_file())
    click.echo(f"read: the bundled study, {n_files} files in {len(groups)} groups ({', '.join(groups)})")
    try:
        comparison = run(groups, reference=reference, csv=out["comparison.csv"], netcdf=out["comparison.nc"],
                         figure=out["comparison.svg"], overwrite=overwrite,
                         progress=lambda message: click.echo(f"fit: {message}"))
        click.echo("compare:")
        echo_comparison(comparison)
        write_report(comparison, out["report.html"], title="spectra demo: Si | Li6PS5Cl interfaces with and "
                     "without carbon", overwrite=overwrite)
    except SpectraError as exc:
        raise click_error(exc) from None
    click.echo(f"wrote {', '.join(str(p) for p in out.values())} in {time.perf_counter() - started:.0f} s")
    click.echo(f"report: {out['report.html'].resolve()}")
