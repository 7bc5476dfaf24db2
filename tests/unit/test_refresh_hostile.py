"""Hostile or implausible files from the publishers: a zip bomb refused before it unfolds, messages that
quote at most 200 characters of a file, a symbolic link in `--from` refused, a register that invents
installations or multiplies France's emissions refused against the base, names made plain text and
escaped for the map's JavaScript. Files here are SYNTHETIC unless they say otherwise."""
from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from indicators import refresh, terrain_map
from indicators.pipeline import observations
from indicators.paths import SOURCES_DIR
from indicators.refresh import census, emissions, melodi
from indicators.refresh.layout import CheckFailed, LayoutChanged
from tests.unit.test_imports_bounded import peak_memory_of

ETS = SOURCES_DIR / observations.ETS_SHIPPED


def bomb(tmp_path: Path, megabytes: int = 200) -> Path:
    """SYNTHETIC: a zip of a few hundred kilobytes whose data CSV unfolds to `megabytes` MB of zeros."""
    path = tmp_path / "DS_ETAT_CIVIL_NAIS_COMMUNES.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z, \
            z.open("DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv", "w", force_zip64=True) as f:
        block = b"0" * (1 << 20)
        for _ in range(megabytes):
            f.write(block)
    return path


def test_a_zip_bomb_is_refused_before_it_unfolds(tmp_path):
    path = bomb(tmp_path)
    assert path.stat().st_size < 1_000_000
    with pytest.raises(CheckFailed, match="se décompresserait en 210 Mo ; archive refusée"), melodi.data_csv(path):
        pass
    other = tmp_path / "comparateur"
    other.mkdir()
    with pytest.raises(CheckFailed, match="archive refusée"):
        census.comparator_bytes(bomb(other))
    peak, out = peak_memory_of(f"""
        from pathlib import Path
        from indicators.refresh import melodi
        try:
            with melodi.data_csv(Path({str(path)!r})):
                pass
        except Exception as exc:
            print(type(exc).__name__)
    """)
    assert "CheckFailed" in out and peak < 200, f"{peak:.0f} Mo"


def test_a_hostile_header_is_quoted_in_200_characters_at_most(tmp_path):
    path = tmp_path / "emissions-FR-geo.csv"
    path.write_text("X," + "A" * 1_000_000 + "\n1,2\n")
    with pytest.raises(LayoutChanged) as caught:
        emissions.validate_ets(path)
    assert len(str(caught.value)) < 600 and "AAAA…" in str(caught.value)


@pytest.mark.parametrize("link, said", [("symlink_to", "lien symbolique : refusé"),
                                         ("hardlink_to", "lien physique) : refusé sans être lu")])
def test_a_link_in_the_folder_is_refused_unread(tmp_path, link, said):
    """A symbolic or hard link to a secret file, named like a source file, is refused without its content being
    read or quoted (a hard link names any file of the machine: /etc/shadow was read and quoted)."""
    secret = tmp_path / "secret.txt"
    secret.write_text("root:$6$hash:19000:0:99999:7:::\n")
    folder = tmp_path / "cle"
    folder.mkdir()
    getattr(folder / "emissions-FR-geo.csv", link)(secret)
    [outcome] = refresh.run(tmp_path / "sources", from_dir=folder, only=["seqe"], dry_run=True, log=lambda _: None)
    assert outcome.status == "échec" and said in outcome.message
    assert "root:" not in outcome.message


@pytest.fixture(scope="module")
def ets_frame() -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(gzip.decompress(ETS.read_bytes())), dtype=str)


def test_invented_installations_at_one_point_are_refused(tmp_path, ets_frame):
    fake = ets_frame[ets_frame["year"] == "2022"].head(1)
    invented = pd.concat([fake.assign(seqe_id=f"FAUX{i}") for i in range(5_000)])  # SYNTHETIC: 5 000 at one point
    path = tmp_path / "emissions-FR-geo.csv"
    pd.concat([ets_frame, invented]).to_csv(path, index=False)
    with pytest.raises(CheckFailed, match=r"5\u202f00\d installations au même point"):
        emissions.validate_ets(path)


def test_a_register_that_multiplies_france_s_emissions_is_refused_against_the_base(tmp_path, ets_frame):
    inflated = ets_frame.copy()
    last = inflated["year"] == "2022"
    inflated.loc[last, "emissions"] = (pd.to_numeric(inflated.loc[last, "emissions"]) * 6.6).astype(str)  # SYNTHETIC
    path = tmp_path / "emissions-FR-geo.csv"
    inflated.to_csv(path, index=False)
    with pytest.raises(CheckFailed, match="en 2022, le total national passerait de"):
        emissions.compare_ets(path, ETS)
    same = tmp_path / "same.csv"
    ets_frame.to_csv(same, index=False)
    emissions.compare_ets(same, ETS)  # the real register against itself passes


def test_names_from_the_register_are_plain_and_escaped_for_the_map():
    said = terrain_map.tooltip_text("AUBERT ${alert(document.domain)} `x` <img src=x>")
    assert "${" not in said and "`" not in said and "<img" not in said
    assert said == ("AUBERT &#36;&#123;alert(document.domain)&#125; &#96;x&#96; &lt;img src=x&gt;")



def _births_zip(tmp_path: Path, header: bytes, megabytes: int) -> Path:
    """SYNTHETIC: INSEE's births archive holding `megabytes` MB of plausible rows under `header` (ratio under
    the bomb cap: rows vary)."""
    path = tmp_path / "DS_ETAT_CIVIL_NAIS_COMMUNES.zip"
    row = b'"LVB";"A";"%05d";"COM";"A";"2020";"%d"\n'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z, \
            z.open("DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv", "w", force_zip64=True) as f:
        f.write(header)
        block = b"".join(row % (i % 99999, i % 997) for i in range(30_000))
        for _ in range(max(1, megabytes * (1 << 20) // len(block))):
            f.write(block)
    return path


def test_a_source_archive_is_checked_on_its_header_and_bounded_by_its_own_size(tmp_path):
    """A data CSV of the wrong shape is refused on its first bytes, before the rest is unpacked; one of the right
    shape but far larger than the source ever was is refused at that size, not at the generic cap."""
    from dataclasses import replace

    good = b'"EC_MEASURE";"FREQ";"GEO";"GEO_OBJECT";"OBS_STATUS";"TIME_PERIOD";"OBS_VALUE"\n'
    wrong = _births_zip(tmp_path, b'"A";"B"\n', 30)
    with pytest.raises(LayoutChanged, match="colonnes absentes"), melodi.data_csv(wrong, melodi.BIRTHS):
        pass
    big = tmp_path / "gros"
    big.mkdir()
    path = _births_zip(big, good, 30)
    small_source = replace(melodi.BIRTHS, max_bytes=10_000_000)
    with pytest.raises(CheckFailed, match="archive refusée"), melodi.data_csv(path, small_source):
        pass
    with melodi.data_csv(path, melodi.BIRTHS) as csv:  # the same archive under the real bound is read
        assert csv.read_bytes().startswith(good)
