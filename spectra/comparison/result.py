"""The :class:`Comparison` result: the tidy table, per-replicate values, fits, skips, recipes and
provenance, with the views a user reads (``table()``, ``to_dataset()``, ``plot()``, notebook HTML)."""
from __future__ import annotations

import html
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr


@dataclass
class Comparison:
    """Groups of samples compared on named metrics against a reference group.

    Attributes
    ----------
    reference : str
        The reference group.
    alpha : float
        Family-wise significance level (Holm).
    groups : list of str
        Group labels, in order.
    summary : pandas.DataFrame
        One row per (group, metric); see :meth:`table`.
    replicates : pandas.DataFrame
        One row per (group, replicate, metric): ``value``, ``stderr``, ``unit``, ``note``.
    fits : dict
        (group, replicate, region or ``"xrd"``) → the fit result (``result.to_dataset(curves=True)``
        redraws it), for every spectrum that was fitted.
    skipped : dict
        File (or file and block) → why it was not used, naming group and sample.
    missing : dict
        (group, replicate) → {metric or ``(region)``: why that replicate lacks it}.
    recipes : dict
        Region or ``"xrd"`` → the recipe used (dict).
    absent : dict
        (group, replicate, region) → components removed because they ended at zero.
    provenance : dict
        Inputs with SHA-256, energy referencing per replicate, versions, time, options.
    """

    reference: str
    alpha: float
    groups: list
    summary: pd.DataFrame
    replicates: pd.DataFrame
    fits: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)
    recipes: dict = field(default_factory=dict)
    absent: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """The tidy table, one row per (group, metric).

        Returns
        -------
        pandas.DataFrame
            ``group, metric, unit, value, stderr, n, reference, difference, difference_stderr,
            p_value, p_adjusted, significant, df, note``: the group mean and its standard error, the
            replicates with a value, the difference from the reference group with its standard error,
            the two-sided p-value, Holm's adjusted p-value over every test of the comparison,
            ``significant = p_adjusted < alpha``, the test's degrees of freedom (``inf``: z-test) and
            how the numbers were formed when that is not the usual way.
        """
        return self.summary.copy()

    def metric(self, name: str) -> pd.DataFrame:
        """The rows of one metric, indexed by group."""
        return self.summary[self.summary["metric"] == name].set_index("group")

    def to_dataset(self) -> xr.Dataset:
        """Everything as one Dataset (NetCDF-ready).

        Returns
        -------
        xarray.Dataset
            dims ``group`` × ``metric`` for the table's numbers; dim ``observation`` for the
            per-replicate values (coordinates ``obs_group``, ``obs_replicate``, ``obs_metric``);
            dim ``skipped_file`` with ``skip_reason``; attrs ``reference``, ``alpha``, ``recipes``
            (JSON), ``absent``, ``missing`` and ``provenance`` (JSON).
        """
        t = self.summary
        metrics = list(dict.fromkeys(t["metric"]))
        coords = {"group": self.groups, "metric": metrics,
                  "unit": ("metric", [t.loc[t.metric == m, "unit"].iloc[0] for m in metrics])}
        data = {}
        for column, long_name in (("value", "group mean of the replicates"),
                                  ("stderr", "standard error of the group value (fit errors and replicate scatter)"),
                                  ("n", "replicates with a value"), ("difference", "group minus reference"),
                                  ("difference_stderr", "standard error of the difference"),
                                  ("p_value", "two-sided p-value against the reference"),
                                  ("p_adjusted", "Holm-adjusted p-value"), ("df", "degrees of freedom of the test")):
            grid = t.pivot(index="group", columns="metric", values=column).reindex(index=self.groups, columns=metrics)
            data[column] = (("group", "metric"), grid.to_numpy(dtype=float), {"long_name": long_name,
                                                                                "units": "see unit"})
        sig = t.pivot(index="group", columns="metric", values="significant").reindex(index=self.groups,
                                                                                      columns=metrics)
        data["significant"] = (("group", "metric"), sig.fillna(False).to_numpy(dtype=bool),
                               {"long_name": f"p_adjusted < {self.alpha}"})
        notes = t.pivot(index="group", columns="metric", values="note").reindex(index=self.groups, columns=metrics)
        data["note"] = (("group", "metric"), notes.fillna("").to_numpy(dtype=str), {"long_name": "how formed"})
        r = self.replicates
        data["replicate_value"] = ("observation", r["value"].to_numpy(dtype=float),
                                   {"long_name": "per-replicate value"})
        data["replicate_stderr"] = ("observation", r["stderr"].to_numpy(dtype=float),
                                    {"long_name": "per-replicate fit standard error"})
        data["replicate_note"] = ("observation", r["note"].astype(str).to_numpy(dtype=str), {})
        coords.update(obs_group=("observation", r["group"].astype(str).to_numpy(dtype=str)),
                      obs_replicate=("observation", r["replicate"].astype(str).to_numpy(dtype=str)),
                      obs_metric=("observation", r["metric"].astype(str).to_numpy(dtype=str)),
                      obs_unit=("observation", r["unit"].astype(str).to_numpy(dtype=str)))
        files = list(self.skipped)
        coords["skipped_file"] = np.array(files, dtype=str)
        data["skip_reason"] = ("skipped_file", np.array([self.skipped[f] for f in files], dtype=str), {})
        attrs = {"reference": self.reference, "alpha": self.alpha,
                 "recipes": json.dumps(self.recipes),
                 "absent": json.dumps({" | ".join(k): v for k, v in self.absent.items()}),
                 "missing": json.dumps({" | ".join(k): v for k, v in self.missing.items()}),
                 "provenance": json.dumps(self.provenance, default=str),
                 "test": "Welch-Satterthwaite t (z with fit errors only), two-sided; Holm over all tests"}
        return xr.Dataset(data, coords=coords, attrs=attrs)

    def plot(self, fig=None):
        """The comparison figure (Fig. 2 of the study's kind); see :func:`spectra.comparison.figure.draw`.

        Parameters
        ----------
        fig : matplotlib.figure.Figure, optional
            Drawn into; a new figure by default.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from .figure import draw

        return draw(self, fig)

    def conclusions(self) -> list[str]:
        """One sentence per significant difference from the reference, in table order."""
        out = []
        for r in self.summary[self.summary["significant"]].itertuples():
            word = "higher" if r.difference > 0 else "lower"
            unit = "" if r.unit == "1" else f" {r.unit}"
            p = f"< {np.finfo(float).tiny:.0e}" if r.p_adjusted == 0 else f"= {r.p_adjusted:.2g}"  # underflow, not 0
            out.append(f"{r.group}: {r.metric} {word} than {self.reference} by {abs(r.difference):.3g} ± "
                       f"{r.difference_stderr:.2g}{unit} (Holm p {p})")
        return out

    def __repr__(self) -> str:
        t = self.summary
        head = (f"Comparison of {len(self.groups)} groups against {self.reference!r} (α = {self.alpha}, Holm): "
                f"{t['metric'].nunique()} metrics, {int(t['significant'].sum())} significant differences; "
                f"{len(self.skipped)} skipped input(s)")
        return "\n".join([head, *("  " + c for c in self.conclusions())])

    def _repr_html_(self) -> str:
        t = self.summary
        cols = ["group", "metric", "value", "stderr", "unit", "n", "difference", "difference_stderr", "p_adjusted",
                "significant", "note"]

        def cell(v):
            if isinstance(v, (float, np.floating)):
                return "" if not np.isfinite(v) else f"{v:.4g}"
            return html.escape(str(v))

        rows = "".join("<tr>" + "".join(f"<td>{cell(r[c])}</td>" for c in cols) + "</tr>"
                       for _, r in t.iterrows())
        skipped = "".join(f"<li>{html.escape(k)}: {html.escape(v)}</li>" for k, v in self.skipped.items())
        return (f"<div><p><b>Comparison</b> of {len(self.groups)} groups against "
                f"<b>{html.escape(self.reference)}</b> (α = {self.alpha}, Holm-corrected)</p>"
                f"<table><thead><tr>{''.join(f'<th>{c}</th>' for c in cols)}</tr></thead><tbody>{rows}</tbody></table>"
                + (f"<p>Skipped:</p><ul>{skipped}</ul>" if skipped else "") + "</div>")
