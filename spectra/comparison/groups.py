"""From per-replicate observations to the comparison table: group values, the metrics defined
against the reference group, tests and Holm's correction (:mod:`spectra.comparison.statistics`)."""
from __future__ import annotations

import math

import pandas as pd
import uncertainties

from .statistics import GroupValue, Test, combine, compare_values, holm, test_difference

#: the columns of :meth:`Comparison.table`, in order
COLUMNS = ["group", "metric", "unit", "value", "stderr", "n", "reference", "difference", "difference_stderr",
           "p_value", "p_adjusted", "significant", "df", "note"]
#: the phase whose XRD retention enters ``index:decomposition``
ELECTROLYTE = "Li6PS5Cl"
#: a phase is present in the reference group when its mean scale exceeds this many standard errors
PRESENT = 3.0


def _u(g: GroupValue):
    if g.exact_zero:
        return float(g.value)
    return uncertainties.ufloat(g.value, g.stderr if math.isfinite(g.stderr) else math.nan)


def _row(group, metric, unit, g: GroupValue, reference, test: Test | None, note=""):
    t = test or Test(math.nan, math.nan, math.nan, math.nan)
    notes = "; ".join(x for x in (g.note, t.note, note) if x)
    return {"group": group, "metric": metric, "unit": unit, "value": g.value, "stderr": g.stderr, "n": g.n,
            "reference": reference, "difference": t.difference, "difference_stderr": t.difference_stderr,
            "p_value": t.p_value, "df": t.df, "note": notes}


def _group_value(x, n: int, df: float, note: str = "") -> GroupValue:
    s = float(x.s)
    return GroupValue(float(x.n), s if math.isfinite(s) and s > 0 else math.nan, n, df, note)


def build_table(observations: pd.DataFrame, groups: list[str], reference: str, alpha: float) -> tuple[pd.DataFrame,
                                                                                                        pd.DataFrame]:
    """The tidy comparison table and the per-replicate values of the reference-relative metrics.

    Parameters
    ----------
    observations : pandas.DataFrame
        Columns ``group, replicate, metric, value, stderr, unit, note`` (one row per replicate and metric).
    groups : list of str
        Group labels, in order.
    reference : str
        The reference group.
    alpha : float
        Significance level (family-wise, Holm).

    Returns
    -------
    table : pandas.DataFrame
        One row per (group, metric): :data:`COLUMNS`.
    relative : pandas.DataFrame
        Per-replicate values of the metrics defined against the reference (same columns as
        ``observations``).
    """
    stats: dict[tuple[str, str], GroupValue] = {}
    units = {}
    for (group, metric), rows in observations.groupby(["group", "metric"], sort=False):
        stats[group, metric] = combine(rows["value"], rows["stderr"], rows["note"])
        units[metric] = rows["unit"].iloc[0]
    metrics = list(dict.fromkeys(observations["metric"]))
    out, relative = [], []
    base_tests = {}
    for metric in metrics:
        if metric.startswith("xrd:") and metric.endswith(":scale"):
            continue  # the scale is the base of the retention
        for group in groups:
            if (group, metric) not in stats:
                continue
            g = stats[group, metric]
            test = None
            if group != reference and (reference, metric) in stats:
                test = compare_values(g, stats[reference, metric])
            base_tests[group, metric] = test
            out.append(_row(group, metric, units[metric], g, reference, test))
    # metrics defined against the reference group
    ref_li2s = stats.get((reference, "xps:S 2p:fraction:Li2S"))
    phases = [m.split(":")[1] for m in metrics if m.startswith("xrd:") and m.endswith(":scale")]
    for group in groups:
        parts, dfs = [], []
        if ref_li2s is not None and (group, "xps:S 2p:fraction:Li2S") in stats:
            g = stats[group, "xps:S 2p:fraction:Li2S"]
            if group == reference:
                out.append(_row(group, "xps:S 2p:li2s_growth", "1", GroupValue(0.0, math.nan, g.n, math.nan),
                                reference, None, "reference group: 0 by definition (Li2S fraction minus the "
                                                 "reference group's)"))
            else:
                growth = _u(g) - _u(ref_li2s)
                t = base_tests.get((group, "xps:S 2p:fraction:Li2S"))
                gv = _group_value(growth, g.n, t.df if t else math.nan, "Li2S fraction minus the reference group's")
                out.append(_row(group, "xps:S 2p:li2s_growth", "1", gv, reference,
                                Test(gv.value, gv.stderr, t.p_value if t else math.nan, t.df if t else math.nan)))
                parts.append(growth / (1 - _u(ref_li2s)))
                dfs.append(t.df if t else math.nan)
            rows = observations[(observations.group == group) & (observations.metric == "xps:S 2p:fraction:Li2S")]
            relative += [{**r, "metric": "xps:S 2p:li2s_growth", "value": r["value"] - ref_li2s.value}
                         for r in rows.to_dict("records")]
        for phase in phases:
            metric = f"xrd:{phase}:scale"
            ref = stats.get((reference, metric))
            if (ref is None or ref.exact_zero or not ref.value > PRESENT * ref.stderr
                    or (group, metric) not in stats):
                continue  # retention needs the phase clearly present in the reference group
            g = stats[group, metric]
            name = f"xrd:{phase}:retention"
            rows = observations[(observations.group == group) & (observations.metric == metric)]
            relative += [{**r, "metric": name, "value": r["value"] / ref.value,
                          "stderr": r["stderr"] / ref.value} for r in rows.to_dict("records")]
            if group == reference:
                out.append(_row(group, name, "1", GroupValue(1.0, math.nan, g.n, math.nan), reference, None,
                                "reference group: 1 by definition (phase scale over the reference group's mean)"))
                continue
            ratio = _u(g) / _u(ref)
            t = compare_values(g, ref)
            gv = _group_value(ratio, g.n, t.df, "phase scale over the reference group's mean")
            out.append(_row(group, name, "1", gv, reference, Test(gv.value - 1.0, gv.stderr, t.p_value, t.df)))
            if phase == ELECTROLYTE:
                parts.append(1 - ratio)
                dfs.append(t.df)
        if group == reference and parts == [] and (ref_li2s is not None or phases):
            out.append(_row(group, "index:decomposition", "1", GroupValue(0.0, math.nan, ref_li2s.n if ref_li2s else 0,
                                                                         math.nan),
                            reference, None, "reference group: 0 by definition"))
        elif parts:
            index = sum(parts) / len(parts)
            df = min(dfs) if all(math.isfinite(d) or d == math.inf for d in dfs) else math.nan
            parts_n = [stats[group, m].n for m in ("xps:S 2p:fraction:Li2S", f"xrd:{ELECTROLYTE}:scale")
                       if (group, m) in stats]
            gv = _group_value(index, min(parts_n), df,
                              f"mean of {len(parts)} part(s): XPS Li2S growth / (1 − reference Li2S fraction)"
                              + (" and XRD 1 − argyrodite retention" if len(parts) == 2 else ""))
            t = test_difference(gv.value, gv.stderr, df)
            out.append(_row(group, "index:decomposition", "1", gv, reference, t))
    table = pd.DataFrame(out)
    if table.empty:
        return pd.DataFrame(columns=COLUMNS), pd.DataFrame(relative)
    table["p_adjusted"] = holm(table["p_value"].to_numpy(dtype=float))
    table["significant"] = table["p_adjusted"] < alpha
    order = {m: i for i, m in enumerate(dict.fromkeys(table["metric"]))}
    table = table.sort_values(["metric", "group"], key=lambda c: c.map(order) if c.name == "metric" else
                              c.map({g: i for i, g in enumerate(groups)})).reset_index(drop=True)
    return table[COLUMNS], pd.DataFrame(relative)

