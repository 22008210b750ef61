# %% [markdown]
# # Carbon-free vs carbon-containing anodes: the comparison, and its report
#
# The question the package exists to answer: how much more does the argyrodite electrolyte
# decompose at a silicon anode with 20 wt% carbon than at a carbon-free one — with uncertainties
# and a significance statement you can put in a paper?
#
# The bundled example study has three groups of three replicates — pristine Si | Li6PS5Cl, lithiated
# carbon-free, lithiated with carbon — each replicate an XRD pattern (XRDML) and a VAMAS file with
# S 2p, Li 1s, Si 2p, P 2p, Cl 2p and C 1s regions. With your own data, give each group a folder or
# a glob: `{"pristine": "data/pristine/", "carbon": "data/carbon/*.vms", ...}`.

# %%
import tempfile
from pathlib import Path

import spectra
from spectra.comparison import study_groups
from spectra.report import write_report

groups, reference = study_groups()
{label: sorted(p.name for p in Path(folder).iterdir()) for label, folder in groups.items()}

# %% [markdown]
# `spectra.compare` reads every file, fits every spectrum with the shipped default recipe of its
# region (`spectra recipe show "S 2p"` prints one), references the energies to the PS4 line,
# computes the metrics per replicate and per group, and tests each group against the reference
# (Welch's t, Holm's correction over all tests). The definitions are in `docs/comparison.md`.

# %%
comparison = spectra.compare(groups, reference=reference)
for sentence in comparison.conclusions():
    print(sentence)

# %% [markdown]
# The tidy table: one row per group and metric, with its standard error, the number of replicates,
# the difference from the reference, its standard error, the p-value and whether it is significant.

# %%
table = comparison.table()
table[table.metric.isin(["xps:S 2p:li2s_growth", "xrd:Li6PS5Cl:retention", "xps:Si 2p:lithiated_fraction",
                         "index:decomposition"])]

# %%
comparison.plot()

# %% [markdown]
# The report: every fit with its annotated figure and component table, the flags, the comparison
# and the provenance, as one self-contained HTML file (or PDF with a `.pdf` name). Here into a
# temporary folder; `spectra demo` does all of this from the command line.

# %%
report = write_report(comparison, Path(tempfile.mkdtemp(prefix="spectra-tutorial-")) / "report.html",
                      title="Si | Li6PS5Cl with and without carbon")
print("report:", report, f"({report.stat().st_size / 1e6:.1f} MB)")
