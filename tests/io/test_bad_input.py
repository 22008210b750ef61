"""Bad input gets a clear spectra error naming the file and, where it makes sense, the line or byte."""
from __future__ import annotations

import zipfile

import pytest

import spectra
from spectra.errors import FileFormatError, RegionError, SpectraError, UnknownFormatError


def test_empty_file(tmp_path):
    path = tmp_path / "empty.vms"
    path.write_bytes(b"")
    with pytest.raises(FileFormatError, match="empty") as info:
        spectra.read(path)
    assert info.value.offset == 0 and isinstance(info.value, ValueError)


def test_unknown_format_lists_the_known_ones(tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(UnknownFormatError) as info:
        spectra.read(path)
    assert "vamas" in str(info.value) and "xrdml" in str(info.value) and str(path) in str(info.value)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        spectra.read(tmp_path / "nope.vms")


def test_truncated_vamas_names_the_line(tmp_path, shared_data):
    text = (shared_data / "xps/pynxtools-xps_regular.vms").read_text()
    path = tmp_path / "cut.vms"
    path.write_text("\n".join(text.splitlines()[:500]))
    with pytest.raises(FileFormatError, match="line 91: count 2702 is larger than the file can hold"):
        spectra.read(path)


def test_non_numeric_value_names_the_line(tmp_path):
    path = tmp_path / "bad.xy"
    path.write_text("10 1\n11 2\n12 x\n13 4\n")
    with pytest.raises(FileFormatError, match=r"line 3"):
        spectra.read(path)


def test_truncated_binary_names_the_offset(tmp_path, shared_data):
    data = (shared_data / "xrd/xylib_bruker_BT86_v3.raw").read_bytes()
    path = tmp_path / "cut.raw"
    path.write_bytes(data[:5000])
    with pytest.raises(FileFormatError, match=r"byte \d+: file ends inside the data") as info:
        spectra.read(path)
    assert info.value.offset is not None


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5"><comment><entry>&lol3;</entry></comment>
</xrdMeasurements>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5"><comment><entry>&xxe;</entry></comment>
</xrdMeasurements>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_xml_entities_are_refused(payload, tmp_path):
    path = tmp_path / "evil.xrdml"
    path.write_bytes(payload)
    with pytest.raises(FileFormatError, match="refused for safety"):
        spectra.read(path)


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.brml"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Experiment0/RawData0.xml", b"\0" * (64 << 20))
    with pytest.raises(FileFormatError, match="compression ratio"):
        spectra.read(path)


def test_huge_declared_count_is_refused(tmp_path):
    path = tmp_path / "huge.chi"
    path.write_text("title\n2-Theta Angle (Degrees)\n\n   999999999999\n 1.0 2.0\n")
    with pytest.raises(FileFormatError, match="header says 999999999999 points"):
        spectra.read(path)


def test_load_needs_a_region_when_several(shared_data):
    with pytest.raises(RegionError, match=r"holds 4 spectra.*'C1s'"):
        spectra.load(shared_data / "xps/importtool_phi_multipak.SPE")
    assert spectra.load(shared_data / "xps/importtool_phi_multipak.SPE", region="C1s").attrs["region"] == "C1s"
    assert spectra.load(shared_data / "xps/importtool_phi_multipak.SPE", region=3).attrs["region"] == "Ir4f"
    with pytest.raises(RegionError, match="no spectrum is called 'S 2p'"):
        spectra.load(shared_data / "xps/importtool_phi_multipak.SPE", region="S 2p")


def test_all_errors_share_one_base():
    for cls in (FileFormatError, UnknownFormatError, RegionError):
        assert issubclass(cls, SpectraError)


def test_optional_dependency_error_names_the_extra(monkeypatch, shared_data):
    monkeypatch.setitem(__import__("sys").modules, "openpyxl", None)  # import now raises ImportError
    with pytest.raises(SpectraError, match=r"spectra-xpsxrd\[thermo\]"):
        spectra.read(shared_data / "xps/kherve_thermo_avantage_hard_carbon.xlsx")


def test_headerless_columns_are_read_as_the_technique_given(tmp_path):
    """A two-column BE/counts export without labels is read as 2θ; technique="xps" reads it as XPS,
    and an XPS fit of the 2θ reading says what went wrong."""
    import numpy as np

    be = np.linspace(170.0, 155.0, 151)
    counts = 100 + 1000 * np.exp(-0.5 * ((be - 161.6) / 0.5) ** 2)
    path = tmp_path / "export.txt"
    path.write_text("\n".join(f"{e:.2f} {c:.0f}" for e, c in zip(be, counts)) + "\n", encoding="utf-8")
    assert spectra.load(path).dims == ("two_theta",)
    xps = spectra.load(path, technique="xps")
    assert xps.dims == ("binding_energy",) and xps.attrs["technique"] == "xps"
    with pytest.raises(spectra.errors.FitError, match="technique='xps'"):
        spectra.fit(spectra.load(path), {"region": "S 2p", "components": ["PS4"]})
    labelled = tmp_path / "pattern.xy"
    labelled.write_text("# 2theta counts\n" + "\n".join(f"{20 + k * 0.1:.1f} {k % 7 + 1}" for k in range(50)),
                        encoding="utf-8")
    with pytest.raises(spectra.errors.SpectraError, match="applies to column files without axis labels"):
        spectra.load(labelled, technique="xps")


def test_a_file_list_reads_unlabelled_columns_as_the_recipes_technique(tmp_path):
    import numpy as np

    be = np.linspace(172.0, 155.0, 341)
    counts = np.random.default_rng(3).poisson(200 + 3000 * np.exp(-0.5 * ((be - 161.6) / 0.45) ** 2)
                                              + 1500 * np.exp(-0.5 * ((be - 162.78) / 0.45) ** 2))
    path = tmp_path / "s2p_export.txt"
    path.write_text("\n".join(f"{e:.3f} {c}" for e, c in zip(be, counts)) + "\n", encoding="utf-8")
    result = spectra.fit_many([path], {"region": "S 2p", "components": ["PS4"]})
    assert bool(result.success[0]), str(result.message.values[0])
