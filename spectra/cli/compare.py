"""``spectra compare``: groups of samples against a reference group (:func:`spectra.comparison.run`)."""
from __future__ import annotations

from pathlib import Path

import click

from ._common import click_error


def _group(ctx, param, values) -> dict[str, str]:
    """``LABEL=PATH`` options as an ordered dict (a label given twice is an error)."""
    groups: dict[str, str] = {}
    for value in values:
        label, sep, path = value.partition("=")
        if not sep or not label.strip() or not path.strip():
            raise click.BadParameter(f"{value!r} is not LABEL=PATH", ctx, param)
        if label in groups:
            raise click.BadParameter(f"group {label!r} given twice", ctx, param)
        groups[label.strip()] = path.strip()
    return groups


def echo_comparison(comparison) -> None:
    """The comparison's conclusions on standard output, its skipped and missing inputs on standard error."""
    click.echo(repr(comparison))
    for source, reason in comparison.skipped.items():
        click.echo(f"skipped: {source}: {reason}", err=True)
    for (group, replicate), why in comparison.missing.items():
        for what, reason in why.items():
            click.echo(f"missing: {group}/{replicate} {what}: {reason}", err=True)


@click.command()
@click.option("--group", "groups", multiple=True, required=True, callback=_group, metavar="LABEL=PATH",
              help="A group's files: a folder, a glob or a file (repeat for each group).")
@click.option("--reference", required=True, metavar="LABEL", help="The reference group's label.")
@click.option("--recipes", "recipes_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of TOML recipes replacing the default ones per region.")
@click.option("-o", "--output", "csv", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The tidy table (CSV): one row per group and metric.")
@click.option("--netcdf", type=click.Path(dir_okay=False, path_type=Path),
              help="Also the per-replicate values, recipes and provenance as NetCDF.")
@click.option("--figure", type=click.Path(dir_okay=False, path_type=Path),
              help="Also the comparison figure (.svg, .png or .pdf).")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05,
              show_default=True, help="Family-wise significance level (Holm).")
@click.option("--energy-reference", default=None, metavar="REF",
              help='Energy referencing: "S 2p:PS4=161.6" (the default), "C 1s", or "none".')
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
def compare(groups, reference, recipes_dir, csv, netcdf, figure, alpha, energy_reference, overwrite):
    """Compare groups of samples (XPS regions and XRD patterns) against a reference group.

    Every spectrum is fitted with the default recipe of its region (`spectra recipe show REGION`)
    or yours (--recipes); metrics per replicate are combined per group and tested against the
    reference. Unreadable or unusable files are skipped with their reason (printed, and recorded
    in the outputs).

    \b
    Examples:
      spectra compare --group pristine=data/pristine --group carbon=data/carbon \\
                      --reference pristine -o comparison.csv --figure comparison.svg
      spectra compare --group a='runs/a_*.vms' --group b='runs/b_*.vms' --reference a \\
                      --recipes my_recipes/ -o ab.csv --netcdf ab.nc
    \f
    Parameters
    ----------
    groups : dict
        Label → folder, glob or file.
    """
    from ..comparison import run
    from ..errors import SpectraError

    options = {"alpha": alpha}
    if energy_reference is not None:
        options["energy_reference"] = None if energy_reference.lower() == "none" else energy_reference
    try:
        comparison = run(groups, reference=reference, recipes_dir=recipes_dir, csv=csv, netcdf=netcdf, figure=figure,
                         overwrite=overwrite, **options)
    except SpectraError as exc:
        raise click_error(exc) from None
    echo_comparison(comparison)
    click.echo("wrote " + ", ".join(str(p) for p in (csv, netcdf, figure) if p is not None))
