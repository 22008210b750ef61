"""Regenerate the bundled example study ``spectra/data/study/`` (seeded; ``spectra demo`` runs on it).

Three groups of the Si | Li6PS5Cl study (:func:`spectra.simulate.study_design`), three replicates
each: an XPS file (VAMAS; S 2p, Li 1s, Si 2p, P 2p, Cl 2p and C 1s regions) and a Cu Kα pattern
(XRDML), written by the package's own writers. Beside them: ``truth.csv`` (every metric's true value
per group), ``truth.toml`` (the design: fractions, compositions, phases, humps, per-replicate charge
shifts and slopes, seeds) and ``README.md``.

Run from the repository root: ``python tools/make_study.py [--overwrite]``.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from spectra import simulate
from spectra.comparison import STUDY_GROUPS, STUDY_REFERENCE
from spectra.io.write import atomic_write_text, write_vamas, write_xrdml

ROOT = Path(__file__).resolve().parents[1] / "spectra" / "data" / "study"
REPLICATES = 3
SEED = 2026


def _toml_value(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f'"{k}" = {_toml_value(x)}' for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, str):
        return '"' + v.replace('"', '\\"') + '"'
    return repr(float(v)) if isinstance(v, float) else repr(v)


def main(overwrite: bool = False) -> None:
    if ROOT.exists():
        if not overwrite:
            raise SystemExit(f"{ROOT} exists; pass --overwrite to regenerate it")
        shutil.rmtree(ROOT)
    design = simulate.study_design()
    toml = ["# Truth of the bundled example study, written by tools/make_study.py (spectra.simulate.study_design,",
            "# study_sample). Fractions are of each region's component area; composition in relative atoms;",
            "# XRD scales multiply the per-cell intensities (spectra.xrd.pattern_model).", f"seed = {SEED}",
            f'reference = "{STUDY_REFERENCE}"', ""]
    for g, label in enumerate(STUDY_GROUPS):
        cond = design[label]
        folder = ROOT / label
        folder.mkdir(parents=True)
        toml += [f'[groups.{label}]', f'description = "{cond.description}"',
                 f"xps = {_toml_value(cond.xps)}", f"composition = {_toml_value(cond.composition)}",
                 f"phases = {_toml_value(cond.phases)}", f"humps = {_toml_value(cond.humps)}",
                 f"amorphous = {_toml_value(cond.amorphous)}", f"charge_range_eV = {_toml_value(cond.charge)}", ""]
        for k in range(REPLICATES):
            sample = f"{label}_{k + 1}"
            seed = SEED + 100 * g + k
            regions, pattern, info = simulate.study_sample(cond, seed=seed, sample=sample)
            for da in regions + [pattern]:
                da.attrs.pop("metadata", None)
                da.attrs["source"] = "spectra.simulate.study_sample"
                da.attrs["acquired"] = f"2026-03-{10 + g:02d}T{9 + k:02d}:00:00"
            write_vamas(regions, folder / f"{sample}.vms")
            write_xrdml(pattern, folder / f"{sample}.xrdml")
            toml += [f"[groups.{label}.replicates.{sample}]", f"seed = {seed}",
                     f"charge_shift_eV = {info['charge_shift']!r}",
                     f"slopes_counts_per_eV = {_toml_value(info['slopes'])}", ""]
    atomic_write_text(ROOT / "truth.toml", "\n".join(toml))
    truth = simulate.study_truth(design, STUDY_REFERENCE)
    rows = ["group,metric,truth"] + [f'{g},"{m}",{v!r}' for g in STUDY_GROUPS for m, v in truth[g].items()]
    atomic_write_text(ROOT / "truth.csv", "\n".join(rows) + "\n")
    atomic_write_text(ROOT / "README.md", README)
    print(f"wrote {ROOT}")


README = """# Bundled example study (synthetic)

A small comparison study modelled on the Si | Li6PS5Cl anode study (see the project's domain
reference): micro-Si anodes with the argyrodite electrolyte, pristine and lithiated, without and with
20 wt% carbon. `spectra demo` and `spectra.comparison.study_groups()` run on it.

| folder | what | replicates |
|---|---|---|
| `pristine/` | pristine Si-SSE (reference group) | 3 |
| `lithiated_carbon_free/` | lithiated Si-SSE, carbon-free | 3 |
| `lithiated_carbon/` | lithiated Si-SSE with 20 wt% carbon | 3 |

Each replicate is two files with the same name: `<sample>.vms` (VAMAS, Al Ka, counts; regions
S 2p, Li 1s, Si 2p, P 2p, Cl 2p, C 1s) and `<sample>.xrdml` (PANalytical XRDML 1.5, Cu Ka1/Ka2,
15-60 deg 2theta, step 0.02 deg).

How they were made (`tools/make_study.py`, seeded; `spectra.simulate.study_design` and
`study_sample`):

* XPS: GL(30) lines of the core-level library (doublets 2:1), an active-Shirley-type background
  (`constant + k * integral of the peaks`, constant 0.4 and step 0.3 of the envelope height), a
  linear slope of -5 % to +11 % of the baseline across each window, one charge shift per replicate
  for all its regions (pristine 0.2-0.8 eV, carbon-free 0.5-1.5 eV, with carbon 0-0.4 eV), Poisson
  noise. Region areas are proportional to atoms x Scofield cross section x TPP-2M IMFP x KE^-0.5, with
  the S 2p envelope near 3e4 counts; Li 1s is weak (its cross section is 0.057 of C 1s), as it is on
  real instruments.
* What changes (the study's observations): with carbon, S 2p Li2S 0.17 -> 0.60 and PS4 0.78 -> 0.25,
  P2Sx grows; Li 1s goes to the Li2S line (55.25 eV, argyrodite 55.9 eV); Si stays unreacted (Si0 +
  native oxide); the argyrodite reflections keep 25 % of their scale and broad 6 nm Li2S appears with
  carbon black's bands. Without carbon: smaller Li2S growth (0.31), a LixSi component in Si 2p (0.35 of
  Si 2p), a broad amorphous Li-Si hump at 20 deg 2theta, argyrodite 88 % retained.
* XRD: the package's reflection lists (`reference_patterns/`), Thompson-Cox-Hastings pseudo-Voigt with
  lab Caglioti terms, Ka2, a Chebyshev background, Poisson noise.

`truth.csv` lists every metric's true value per group (what `spectra.compare` should recover within
its stated errors); `truth.toml` the full design with per-replicate charge shifts, slopes and seeds.
Overlaps that the fits must handle: S 2p doublets 1.18 eV apart (PS4 2p1/2 under P2Sx 2p3/2), the
two Li 1s lines 0.65 eV apart, Li2S 111/220/311 next to argyrodite and Si reflections, the Li-Si hump
under the argyrodite's low-angle lines.
"""

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overwrite", action="store_true")
    main(parser.parse_args().overwrite)
