"""`python -m indicators refresh` against a local HTTP server that serves files in the publishers'
real layouts (fixtures cut from the real files, named as such): a layout change, a cut download, a
wrong checksum, nothing new, a folder brought from elsewhere. Then the real files themselves."""
from __future__ import annotations

import http.server
import io
import json
import shutil
import threading
import zipfile
from pathlib import Path

import duckdb
import pytest

from indicators import refresh
from indicators.paths import SOURCES_DIR
from indicators.refresh import download, melodi, urssaf
from indicators.refresh.download import sha256_of

# The real URSSAF extract of shared/data/samples (Seine-Maritime, 2006–2022, ODbL), kept gzipped with the
# tests so that a clean clone has it; unpacked once per session.
URSSAF_GZ = Path(__file__).resolve().parents[1] / "fixtures" / "urssaf_etablissements_effectifs_commune_x_ape_extract_76.csv.gz"
BIRTHS = SOURCES_DIR / "etat_civil" / "DS_ETAT_CIVIL_NAIS_COMMUNES.zip"
CATALOG = "/melodi/catalog/DS_ETAT_CIVIL_NAIS_COMMUNES"
FILE = "/melodi/file/DS_ETAT_CIVIL_NAIS_COMMUNES/DS_ETAT_CIVIL_NAIS_COMMUNES_2026_CSV_FR"


@pytest.fixture(scope="session")
def urssaf_sample(tmp_path_factory) -> Path:
    import gzip

    path = tmp_path_factory.mktemp("urssaf") / URSSAF_GZ.name.removesuffix(".gz")
    path.write_bytes(gzip.decompress(URSSAF_GZ.read_bytes()))
    return path


def births_fixture(rename: str | None = None) -> bytes:
    """FIXTURE cut from INSEE's real births file: the communes of Ariège and Aveyron, and a national
    row equal to their sum (so the adapter's check holds); `rename` changes a column's name."""
    with zipfile.ZipFile(BIRTHS) as z:
        lines = z.read("DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv").decode("utf-8-sig").splitlines()
    header, kept, totals = lines[0], [], {}
    for line in lines[1:]:
        cells = line.replace('"', "").split(";")
        if cells[3] == "COM" and cells[2][:2] in ("09", "12") and cells[6]:
            kept.append(line)
            totals[cells[5]] = totals.get(cells[5], 0) + int(cells[6])
    kept += [f'"LVB";"A";"F_X_D976";"FRANCE";"A";{y};{v}' for y, v in sorted(totals.items())]
    if rename:
        header = header.replace(rename, rename + "_V2")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv", "\n".join([header, *kept]) + "\n")
        z.writestr("DS_ETAT_CIVIL_NAIS_COMMUNES_metadata.csv", "COD_VAR;LIB_VAR\n")
    return out.getvalue()


class Publisher(http.server.BaseHTTPRequestHandler):
    """A publisher's server: a JSON catalogue naming the current file (with its checksum), the file
    itself with Range support; `cut` sends only half of the first response, then closes."""
    files: dict[str, bytes] = {}
    catalog_sha: str | None = None
    cut = False
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - the name http.server calls
        type(self).requests.append(f"{self.path} {self.headers.get('Range', '')}".strip())
        if self.path == CATALOG:
            body = json.dumps({"identifier": "DS_ETAT_CIVIL_NAIS_COMMUNES", "product": [
                {"name": "Fichier CSV", "packageSize": 1, "href": self.server_url + FILE,
                 "sha256": self.catalog_sha}]}).encode()
            return self._send(200, body, len(body))
        data = self.files.get(self.path)
        if data is None:
            return self._send(404, b"", 0)
        start = int(self.headers["Range"].split("=")[1].split("-")[0]) if self.headers.get("Range") else 0
        if type(self).cut:
            type(self).cut = False
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return None
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])
        return None

    def _send(self, code: int, body: bytes, length: int) -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def publisher():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Publisher)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    Publisher.server_url, Publisher.files, Publisher.catalog_sha, Publisher.cut = url, {}, None, False
    Publisher.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()


@pytest.fixture
def source_dir(tmp_path):
    """A sources folder holding the shipped births file (the refresh replaces it)."""
    folder = tmp_path / "sources"
    (folder / "etat_civil").mkdir(parents=True)
    shutil.copyfile(BIRTHS, folder / "etat_civil" / BIRTHS.name)
    return folder


def run(folder: Path, base: str, **kw):
    return refresh.run(folder, cache=folder.parent / "cache", only=["naissances"], base=base, log=lambda _: None, **kw)


def test_a_new_file_is_found_in_the_catalogue_checked_placed_and_recorded(source_dir, publisher):
    data = births_fixture()
    Publisher.files[FILE], Publisher.catalog_sha = data, download.hashlib.sha256(data).hexdigest()
    rebuilt = []
    [outcome] = run(source_dir, publisher, rebuild=lambda: rebuilt.append(True))
    assert outcome.status == "mis à jour", outcome.message
    assert (source_dir / "etat_civil" / BIRTHS.name).read_bytes() == data and rebuilt == [True]
    record = refresh.manifest(source_dir)["naissances"]
    assert record["url"] == publisher + FILE and record["sha256"] == Publisher.catalog_sha
    assert record["years"] == [2008, 2024] and record["size"] == len(data)
    # Nothing new the second time: no download kept, no rebuild
    [again] = run(source_dir, publisher, rebuild=lambda: rebuilt.append(True))
    assert again.status == "à jour" and rebuilt == [True]


def test_a_renamed_column_is_refused_and_nothing_changes(source_dir, publisher):
    Publisher.files[FILE] = births_fixture(rename="OBS_VALUE")
    before = sha256_of(source_dir / "etat_civil" / BIRTHS.name)
    [outcome] = run(source_dir, publisher, rebuild=lambda: pytest.fail("no rebuild after a refusal"))
    assert outcome.status == "échec"
    assert "colonnes absentes OBS_VALUE" in outcome.message and "rien n'a changé" in outcome.message
    assert sha256_of(source_dir / "etat_civil" / BIRTHS.name) == before
    assert not (source_dir / refresh.MANIFEST).exists()


def test_a_cut_download_is_resumed_where_it_stopped(source_dir, publisher):
    data = births_fixture()
    Publisher.files[FILE], Publisher.cut = data, True
    [outcome] = run(source_dir, publisher)
    assert outcome.status == "mis à jour", outcome.message
    ranges = [r for r in Publisher.requests if r.startswith(FILE)]
    assert ranges[0] == FILE and ranges[1] == f"{FILE} bytes={len(data) // 2}-"  # the second asks for the rest
    assert (source_dir / "etat_civil" / BIRTHS.name).read_bytes() == data


def test_a_checksum_that_differs_from_the_publishers_is_refused(source_dir, publisher):
    Publisher.files[FILE], Publisher.catalog_sha = births_fixture(), "0" * 64
    before = sha256_of(source_dir / "etat_civil" / BIRTHS.name)
    [outcome] = run(source_dir, publisher)
    assert outcome.status == "échec" and "SHA-256" in outcome.message and "refusé" in outcome.message
    assert sha256_of(source_dir / "etat_civil" / BIRTHS.name) == before
    assert not list((source_dir.parent / "cache").rglob("*.zip*"))  # no half-trusted file kept


def test_a_failed_check_changes_nothing_and_the_other_sources_still_apply(source_dir, publisher, tmp_path,
                                                                          urssaf_sample):
    bad = births_fixture()
    with zipfile.ZipFile(io.BytesIO(bad)) as z:
        text = z.read("DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv").decode()
    text = text.replace('"F_X_D976";"FRANCE";"A";2024;', '"F_X_D976";"FRANCE";"A";2024;1')  # x10 or more
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv", text)
    folder = tmp_path / "from"
    folder.mkdir()
    (folder / BIRTHS.name).write_bytes(out.getvalue())
    shutil.copyfile(urssaf_sample, folder / "effectifs_commune_ape.csv")
    outcomes = refresh.run(source_dir, from_dir=folder, log=lambda _: None)
    status = {o.source: o for o in outcomes}
    assert status["naissances"].status == "échec" and "en 2024, la somme des communes" in status["naissances"].message
    assert status["urssaf"].status == "échec" and "218 communes seulement" in status["urssaf"].message


def test_files_brought_from_elsewhere_and_a_dry_run(source_dir, tmp_path):
    folder = tmp_path / "from"
    folder.mkdir()
    (folder / BIRTHS.name).write_bytes(births_fixture())
    before = sha256_of(source_dir / "etat_civil" / BIRTHS.name)
    [dry] = refresh.run(source_dir, from_dir=folder, dry_run=True, only=["naissances"], log=lambda _: None)
    assert dry.status == "serait mis à jour" and "2008–2024" in dry.message
    assert sha256_of(source_dir / "etat_civil" / BIRTHS.name) == before
    [done] = refresh.run(source_dir, from_dir=folder, only=["naissances"], log=lambda _: None)
    assert done.status == "mis à jour" and refresh.manifest(source_dir)["naissances"]["url"].startswith("dossier ")


def test_a_failed_rebuild_puts_the_previous_files_back(source_dir, tmp_path):
    folder = tmp_path / "from"
    folder.mkdir()
    (folder / BIRTHS.name).write_bytes(births_fixture())
    before = sha256_of(source_dir / "etat_civil" / BIRTHS.name)

    def broken():
        raise RuntimeError("disque plein")

    [outcome] = refresh.run(source_dir, from_dir=folder, only=["naissances"], rebuild=broken, log=lambda _: None)
    assert outcome.status == "échec" and "disque plein" in outcome.message
    assert sha256_of(source_dir / "etat_civil" / BIRTHS.name) == before
    assert not list(source_dir.rglob("*.avant-maj"))


def test_the_real_births_file_passes_its_checks():
    summary = melodi.validator(melodi.BIRTHS)(BIRTHS)
    assert summary.years == (2008, 2024) and "650\u202f823 naissances en 2024" in summary.detail
    con = duckdb.connect()
    melodi.load(con, BIRTHS, melodi.BIRTHS, "births")
    assert con.execute("SELECT sum(value) FROM births WHERE geo = '12202' AND geo_object = 'COM' "
                       "AND year BETWEEN 2013 AND 2017").fetchone()[0] == 1_209


def test_the_real_urssaf_extract_reads_by_column_name_with_hand_computed_sums(urssaf_sample):
    jobs = urssaf.read_urssaf(urssaf_sample).set_index(["commune", "year"])["jobs"]
    # Summed by hand from the file (csv module, rows of each commune): Amfreville-la-Mi-Voie and Rouen
    assert jobs[("76005", 2006)] == 344 and jobs[("76005", 2022)] == 399
    assert jobs[("76540", 2006)] == 56_118 and jobs[("76540", 2022)] == 53_934
    assert jobs.xs(2022, level="year").sum() == 183_731
    with pytest.raises(refresh.CheckFailed, match="218 communes seulement"):
        urssaf.validate_urssaf(urssaf_sample)


def test_an_unknown_source_is_named():
    [outcome] = refresh.run(SOURCES_DIR, only=["meteo"], dry_run=True, log=lambda _: None)
    assert outcome.status == "échec" and "naissances, deces, creations, populations" in outcome.message


def test_the_build_loads_urssaf_jobs_by_commune_when_the_file_is_there(tmp_path, urssaf_sample):
    from indicators.pipeline import observations

    (tmp_path / "urssaf").mkdir()
    shutil.copyfile(urssaf_sample, tmp_path / observations.URSSAF_JOBS)
    con = duckdb.connect()
    observations.create_base(con)
    con.execute("CREATE TEMP TABLE commune_src AS SELECT '76540' AS code_insee UNION ALL SELECT '76005'")
    con.execute("CREATE TEMP TABLE territory AS SELECT 'COM:76540' AS code")
    con.execute("CREATE TEMP TABLE cog_map_test AS SELECT '76005' AS old, '76005' AS code, 1.0 AS ratio")
    assert observations.load_urssaf_jobs(con, tmp_path, "cog_map_test") > 0
    rows = dict(con.execute("SELECT territory || ' ' || year, value FROM obs_base WHERE indicator = 'salaried_jobs' "
                            "AND year IN (2006, 2022)").fetchall())
    assert rows == {"COM:76540 2006": 56_118, "COM:76540 2022": 53_934, "COM:76005 2006": 344, "COM:76005 2022": 399}
    assert observations.load_urssaf_jobs(con, tmp_path / "nothing", "cog_map_test") == 0


def test_the_command_line_says_what_would_change_and_refuses_in_public_mode(tmp_path, monkeypatch, capsys):
    from indicators import cli

    folder = tmp_path / "from"
    folder.mkdir()
    shutil.copyfile(BIRTHS, folder / BIRTHS.name)
    assert cli.main(["refresh", "--dry-run", "--only", "naissances", "--from", str(folder)]) == 0
    assert "[à jour] Naissances par commune" in capsys.readouterr().out
    monkeypatch.setenv("OBS_MODE", "public")
    assert cli.main(["refresh", "--dry-run", "--from", str(folder)]) == 2
    assert "lecture seule" in capsys.readouterr().err


def test_a_download_larger_than_the_bound_is_stopped_and_removed(publisher, tmp_path):
    Publisher.files[FILE] = b"x" * 5_000
    with pytest.raises(download.DownloadFailed, match="plus de"):
        download.fetch(publisher + FILE, tmp_path / "big.zip", max_bytes=1_000)
    assert not list(tmp_path.iterdir())


def test_an_adapter_cites_the_licence_its_dataset_declares():
    from indicators import datasets
    from indicators.refresh.sources import ADAPTERS

    licences = {a.name: a.licence for a in ADAPTERS}
    assert licences["citepa"] == datasets.CITEPA.licence == "licence indiquée par data.gouv.fr pour l'édition chargée"
    assert licences["seqe"] == datasets.EUTL.licence == "CC BY 4.0"
    assert licences["urssaf"] == "ODbL"
