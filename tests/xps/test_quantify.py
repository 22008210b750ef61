"""Quantification: the Scofield route against a hand calculation, the RSF route, error propagation,
and the shipped cross sections against xraylib."""
from __future__ import annotations

import math

import pytest
import uncertainties

from spectra.xps import library
from spectra.xps.quantify import MATERIALS, quantify, tpp2m


def test_scofield_route_equals_hand_calculation():
    areas = {"S": ("S 2p", uncertainties.ufloat(50000.0, 500.0)), "Li": ("Li 1s", uncertainties.ufloat(1200.0, 60.0))}
    rows = quantify(areas, method="scofield", material="Li6PS5Cl", transmission_exponent=-0.5)
    # by hand: S = σ(rel. C 1s) · λ_TPP-2M(KE) · KE^-0.5, KE = 1486.6 - BE
    hv = 1486.6
    ke_s, ke_li = hv - 161.5, hv - 55.0
    mat = MATERIALS["Li6PS5Cl"]

    def imfp(e):  # TPP-2M written out again (Tanuma, Powell & Penn 1994), Å -> nm
        ep = 28.8 * math.sqrt(48.0 * 1.64 / 268.4)
        beta = -0.10 + 0.944 / math.sqrt(ep**2 + 3.0**2) + 0.069 * 1.64**0.1
        gamma = 0.191 / math.sqrt(1.64)
        u = 48.0 * 1.64 / 268.4
        return e / (ep**2 * (beta * math.log(gamma * e) - (1.97 - 0.91 * u) / e + (53.4 - 20.8 * u) / e**2)) / 10

    s_s = 1.675 * imfp(ke_s) * ke_s**-0.5
    s_li = 0.0568 * imfp(ke_li) * ke_li**-0.5
    n_s, n_li = 50000.0 / s_s, 1200.0 / s_li
    assert rows[0].atomic_percent.n == pytest.approx(100 * n_s / (n_s + n_li), rel=1e-12)
    assert rows[1].atomic_percent.n == pytest.approx(100 * n_li / (n_s + n_li), rel=1e-12)
    assert rows[0].imfp_nm == pytest.approx(imfp(ke_s)) and mat.density == 1.64
    # error propagation: at.% of two species share one uncertainty
    assert rows[0].atomic_percent.s == pytest.approx(rows[1].atomic_percent.s, rel=1e-12)
    rel = math.hypot(0.01, 0.05)
    assert rows[1].atomic_percent.s == pytest.approx(rows[1].atomic_percent.n * rows[0].atomic_percent.n / 100 * rel,
                                                     rel=1e-6)


def test_tpp2m_matches_research_table():
    # research/xps.md 4.4: Li6PS5Cl, Al Kα: S 2p 3.25 nm, Li 1s 3.46 nm
    assert tpp2m(1486.6 - 161.5, MATERIALS["Li6PS5Cl"]) == pytest.approx(3.25, abs=0.02)
    assert tpp2m(1486.6 - 55.0, MATERIALS["Li6PS5Cl"]) == pytest.approx(3.46, abs=0.02)


def test_rsf_route_uses_only_the_table():
    rows = quantify({"S": ("S 2p", 1881.0), "C": ("C 1s", 1000.0)}, method="rsf", rsf={"S 2p": 1.881, "C 1s": 1.0})
    assert rows[0].atomic_percent == pytest.approx(50.0) and rows[0].imfp_nm is None


def test_cross_sections_agree_with_xraylib():
    xraylib = pytest.importorskip("xraylib", reason="xraylib not installed (pip install 'spectra-xpsxrd[quant]')")
    shells = {"Li 1s": (3, [xraylib.K_SHELL]), "C 1s": (6, [xraylib.K_SHELL]), "O 1s": (8, [xraylib.K_SHELL]),
              "Si 2p": (14, [xraylib.L2_SHELL, xraylib.L3_SHELL]), "P 2p": (15, [xraylib.L2_SHELL, xraylib.L3_SHELL]),
              "S 2p": (16, [xraylib.L2_SHELL, xraylib.L3_SHELL]), "Cl 2p": (17, [xraylib.L2_SHELL, xraylib.L3_SHELL])}

    def barn_per_atom(z, shell_list, e_kev):
        per_atom = sum(xraylib.CS_Photo_Partial(z, s, e_kev) for s in shell_list)
        return per_atom * xraylib.AtomicWeight(z) / xraylib.AVOGNUM

    for excitation, e_kev in (("al_ka", 1.4866), ("mg_ka", 1.2536)):
        carbon = barn_per_atom(6, [xraylib.K_SHELL], e_kev)
        for line, (z, shell_list) in shells.items():
            expected = barn_per_atom(z, shell_list, e_kev) / carbon
            assert library.cross_section(line, excitation=excitation) == pytest.approx(expected, rel=0.005), line


def test_transmission_from_the_file_replaces_the_power_law(shared_data):
    import spectra
    from spectra.xps.quantify import transmission_of

    da = spectra.load(shared_data / "xps/xylib_specs_P2p_BE_transmission.xy")
    t = transmission_of(da)
    assert t == pytest.approx(float(da.transmission.mean()))
    rows = quantify({"P": ("P 2p", 1000.0, t), "S": ("S 2p", 1000.0, t)})
    assert rows[0].transmission == t
    # same transmission and area: the ratio is that of σ·λ only
    ratio = (1.675 * rows[1].imfp_nm) / (1.191 * rows[0].imfp_nm)
    assert rows[0].atomic_percent / rows[1].atomic_percent == pytest.approx(ratio, rel=1e-12)
