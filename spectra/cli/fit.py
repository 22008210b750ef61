"""``spectra fit RECIPE FILES... -o results.h5``: one recipe over many files, into one results file."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ._common import click_error, expand_paths, table

#: exit code of a run stopped with Ctrl-C (128 + SIGINT), after the partial file is written
INTERRUPTED = 130


def _recipe(argument: str):
    """The recipe a RECIPE argument names: a TOML file, or a region with a default recipe."""
    if os.path.exists(argument):
        return Path(argument)
    from ..errors import RecipeError
    from ..recipes import default_recipe

    try:
        return default_recipe(argument)
    except RecipeError as exc:
        raise click.BadParameter(f"{argument!r} is neither a recipe file nor a region with a default recipe ({exc})",
                                 param_hint="RECIPE") from None


class _Bar:
    """A tqdm progress bar on standard error driven by ``fit_many(progress=...)``: silent when
    standard error is not a terminal, or when ``TQDM_DISABLE`` is set."""

    def __init__(self, total: int, label: str):
        from tqdm.auto import tqdm

        options = {} if os.environ.get("TQDM_DISABLE") else {"disable": None}  # None: only on a terminal
        tqdm.monitor_interval = 0  # no monitor thread: fit_many forks its workers only from a single-threaded process
        self.bar = tqdm(total=total, desc=label, unit="spectrum", file=sys.stderr, leave=False, **options)

    def __call__(self, done: int, total: int) -> None:
        self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def _status(ds) -> list[tuple[str, str, str, str]]:
    """(file, status, χ²ᵣ, message) per spectrum of a fit_many result."""
    from ..fitting.batch import PENDING

    rows = []
    for k in range(ds.sizes["spectrum"]):
        message = str(ds["message"].values[k])
        if message == PENDING:
            status = "pending"
        elif not ds["success"].values[k]:
            status = "FAILED"
        elif ds["ok"].values[k]:
            status = "ok"
        else:
            status = "flagged"
        redchi = float(ds["redchi"].values[k])
        note = str(ds["flags"].values[k]) if status == "flagged" else message if status == "FAILED" else ""
        rows.append((str(ds["source"].values[k]), status, f"{redchi:.3g}" if redchi == redchi else "-", note))
    return rows


@click.command()
@click.argument("recipe")
@click.argument("files", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Results file to write (.h5, .nc or .nxs).")
@click.option("--resume", is_flag=True, help="Complete OUTPUT, the partial file of an interrupted run of the same "
              "recipe and files (only the spectra not yet fitted are fitted).")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@click.option("--mc", "mc_replicas", type=click.IntRange(min=0), default=0, show_default=True,
              help="Monte Carlo Poisson replicas per spectrum (0: none; else at least 2).")
@click.option("--seed", type=int, default=None, help="Seed of the Monte Carlo replicas.")
@click.option("--engine", type=click.Choice(["auto", "batched", "lmfit"]), default="auto", show_default=True,
              help="batched: the vectorised engine; lmfit: one spectrum at a time, as a single fit.")
@click.option("--weights", type=click.Choice(["poisson", "none"]), default="poisson", show_default=True,
              help="poisson: counting statistics; none: unweighted (background-subtracted data).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=None, help="Spectra per batch (and per task).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes to split the files over (default: one per core for large runs).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Run on an existing dask.distributed cluster (e.g. tcp://host:8786); workers need spectra "
                   "installed and the same paths.")
def fit(recipe, files, output, resume, overwrite, mc_replicas, seed, engine, weights, chunk_size, workers, scheduler):
    """Fit every FILE with RECIPE (XPS or XRD) and write one results file.

    RECIPE is a TOML recipe file, or a region name whose default recipe is used (`spectra recipe
    show REGION`). FILES are files, folders or patterns ('data/*.vms', 'runs/**/*.xrdml'). From a
    file holding several regions the recipe's region is fitted; the block of the results file is
    named after it. A file that cannot be read or fitted is reported with its reason and the
    others are still written; the exit code is then 1. Ctrl-C writes what is done (exit code 130);
    run the same command with --resume to finish it.

    \b
    Examples:
      spectra fit s2p.toml data/*.vms -o s2p.h5
      spectra fit "S 2p" data/ -o s2p.h5 --mc 100 --seed 1
      spectra fit xrd.toml 'patterns/**/*.xrdml' -o xrd.h5 --scheduler tcp://cluster:8786
      spectra fit s2p.toml data/ -o s2p.h5 --resume      # after Ctrl-C
      spectra report s2p.h5 -o s2p.html
    \f
    Parameters
    ----------
    recipe : str
        Recipe file or region name.
    files : tuple of str
        Files, folders or glob patterns.
    output : Path
        The results file (:func:`spectra.results.save_results`).
    """
    if resume and overwrite:
        raise click.UsageError("--resume completes OUTPUT; --overwrite replaces it: give one")
    if output.exists() and not (resume or overwrite):
        raise click.UsageError(f"{output} exists; pass --overwrite to replace it, or --resume to complete it")
    if workers and scheduler:
        raise click.UsageError("--workers splits the run over this machine's cores, --scheduler over a cluster: "
                               "give one")
    if resume and not output.exists():
        raise click.UsageError(f"--resume: {output} does not exist")
    paths = [str(p) for p in expand_paths(files)]
    source = _recipe(recipe)

    from ..errors import SpectraError
    from ..fitting.batch import fit_many
    from ..fitting.problem import problem_for
    from ..results import load_results, save_results, with_curves
    from ..results.provenance import provenance

    client = None
    try:
        problem = problem_for(source)
        name = problem.region
        previous = _previous_block(load_results(output), name, paths) if resume else None
        client = _client(scheduler) if scheduler else None
        options = {"mc_replicas": mc_replicas, "seed": seed, "engine": engine, "weights": weights,
                   "chunk_size": chunk_size, "workers": workers}
        bar = None if client else _Bar(len(paths), name)
        try:
            ds = fit_many(paths, problem.source, resume=previous, client=client,
                          progress=bar or False, **options)
        finally:
            if bar:
                bar.close()
        interrupted = not ds.attrs.get("complete", 1)
        try:
            ds = with_curves(ds, paths, problem.source)
        except KeyboardInterrupt:  # the numbers are kept; --resume adds the curves
            interrupted = True
        prov = provenance(paths, options={**options, "scheduler": scheduler, "recipe": str(recipe)})
        save_results({name: ds}, output, overwrite=resume or overwrite, provenance=prov)
    except SpectraError as exc:
        raise click_error(exc) from None
    finally:
        if client is not None:
            client.close()

    rows = _status(ds)
    click.echo(table(rows, ("file", "status", "redchi", "message")))
    failed = [r for r in rows if r[1] == "FAILED"]
    for path, _, _, message in failed:
        reason = message.removeprefix("not fitted: ")
        click.echo(f"error: {reason if path in reason else f'{path}: {reason}'}", err=True)
    counts = {s: sum(r[1] == s for r in rows) for s in ("ok", "flagged", "FAILED", "pending")}
    click.echo(f"{name}: {counts['ok']} ok, {counts['flagged']} flagged, {counts['FAILED']} failed, "
               f"{counts['pending']} pending -> {output}")
    if interrupted:
        click.echo(f"interrupted: {output} holds what is done; run the same command with --resume to finish",
                   err=True)
        sys.exit(INTERRUPTED)
    sys.exit(1 if failed else 0)


def _previous_block(results, name: str, paths: list[str]):
    """The block of an interrupted run that ``--resume`` completes (the same files, in order)."""
    if name not in results:
        raise click.UsageError(f"--resume: the results file has no block {name!r} (it has: {', '.join(results)})")
    block = results[name]
    if [str(s) for s in block["source"].values] != paths:
        raise click.UsageError("--resume needs the same FILES as the interrupted run (in the same order)")
    return block


def _client(address: str):
    """A dask.distributed client of the cluster at ``address``."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise click.ClickException("--scheduler needs dask.distributed: pip install 'spectra-xpsxrd[dask]'") from None
    try:
        return Client(address, timeout="10s")
    except OSError as exc:
        raise click.ClickException(f"cannot reach the scheduler at {address}: {exc}") from None
