"""The PDF report: a valid file with a page per fit, and pages that render with their figures."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from spectra.report import write_report

from ..plotting.fits import XPS, XRD, example_fit
from .tools import ensure


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    return write_report([example_fit(XPS), example_fit(XRD)], tmp_path_factory.mktemp("pdf") / "report.pdf",
                        title="Anode study")


def test_pdf_is_a_complete_file(pdf):
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pypdf = pytest.importorskip("pypdf", reason="pypdf checks pages and text; the header check above ran")
    reader = pypdf.PdfReader(pdf)
    # title + summary, one page per fit, the XRD fit's 23 parameters on a page of their own, provenance
    assert len(reader.pages) == 5
    assert reader.metadata.title == "Anode study"
    first = reader.pages[0].extract_text()
    assert "Anode study" in first and "Li2S" in first


def test_pdf_pages_render_with_their_figures(pdf, tmp_path):
    pdftoppm = ensure("pdftoppm", "poppler-utils")
    subprocess.run([pdftoppm, "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 5
    import matplotlib.image

    for page in pages:
        image = matplotlib.image.imread(page)[..., :3]
        assert (image < 0.9).any(), f"{page.name} is blank"
    for page in pages[1:3]:  # the fit pages: a coloured figure in the upper half
        upper = matplotlib.image.imread(page)[: image.shape[0] // 2, :, :3]
        coloured = np.ptp(upper, axis=2) > 0.25
        assert coloured.mean() > 0.002, f"{page.name}: no coloured figure drawn"
