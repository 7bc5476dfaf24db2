"""Hostile files against the import reader: time to refusal and peak memory, each in a fresh process
(`make bench`). Targets: refused in ≤ 1 s and ≤ 200 MB. The naive path (pandas.read_excel) beside it,
bounded by a time-out, shows what the limits prevent."""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.fixtures.hostile import (ods_repeating, xlsx_claiming_every_column, xlsx_deeply_nested,  # noqa: E402
                                    xlsx_entity_bomb, xlsx_many_cells, xlsx_with_huge_cell, xlsx_with_many_rows,
                                    xlsx_with_shared_string_used)

PROBE = """
import resource, sys, time
sys.path[:0] = [{src!r}]
import io, pandas, openpyxl
from indicators import tabular
data = open({path!r}, "rb").read()
def hwm():  # this process's own peak (ru_maxrss survives exec and would report the parent's)
    return int(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM")))
base = hwm()
t0 = time.perf_counter()
try:
    if {naive}:
        pandas.read_excel(io.BytesIO(data))
    elif {path!r}.endswith(".zip"):
        from pathlib import Path
        from indicators.refresh import melodi
        with melodi.data_csv(Path({path!r})):
            pass
    else:
        tabular.read_table(data, {path!r}.rsplit("/", 1)[-1])
    outcome = "lu"
except Exception as exc:
    outcome = type(exc).__name__
print(time.perf_counter() - t0, (hwm() - base) / 1024, outcome)
"""


def measure(path: Path, naive: bool, timeout: float) -> str:
    code = PROBE.format(src=str(ROOT / "src"), path=str(path), naive=naive)
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"{'> ' + str(int(timeout)):>10} s  (interrompu)"
    seconds, mb, outcome = out.stdout.split()
    return f"{float(seconds):>10.2f} s  {float(mb):>8.0f} Mo de pointe  ({outcome})"


def wide_csv() -> bytes:
    """198 year columns × 47 000 rows: 9,4 million values in a 19 MB file (under the upload limit)."""
    header = "territoire;" + ";".join(str(1800 + i) for i in range(198)) + "\n"
    return (header + ("09225;" + ";".join("1" for _ in range(198)) + "\n") * 47_000).encode()


def zip_bomb() -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z, \
            z.open("DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv", "w", force_zip64=True) as f:
        for _ in range(2048):
            f.write(b"0" * (1 << 20))
    return out.getvalue()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in (("xlsx_cellule_300_Mo", xlsx_with_huge_cell), ("xlsx_1_million_de_lignes", xlsx_with_many_rows),
                           ("xlsx_16384_colonnes_declarees", xlsx_claiming_every_column),
                           ("xlsx_texte_partage_45_Mo_x120", xlsx_with_shared_string_used),
                           ("ods_cellule_repetee_1000x1000.ods", ods_repeating),
                           ("xlsx_entites_14_millions", xlsx_entity_bomb),
                           ("xlsx_6_millions_imbriques", xlsx_deeply_nested),
                           ("xlsx_imbrication_masquee", lambda: xlsx_deeply_nested(3_000_000, masked=True)),
                           ("xlsx_19000x260_cellules_vides", xlsx_many_cells),
                           ("xlsx_15000x200_nombres", lambda: xlsx_many_cells(15_000, 200, b"<c><v>1</v></c>")),
                           ("csv_198_colonnes_x_47000.csv", wide_csv),
                           ("zip_membre_2_Gio.zip", zip_bomb)):
            path = Path(tmp) / (name if "." in name else f"{name}.xlsx")
            name = name.split(".")[0]
            path.write_bytes(make())
            print(f"bomb_{name}_refused        {measure(path, False, 30)}  [fichier {path.stat().st_size / 1e3:.0f} ko]")
            if make is xlsx_with_many_rows:  # the 300 MB cell would take gigabytes through pandas: not run
                print(f"bomb_{name}_naive_read_excel {measure(path, True, 30)}")


if __name__ == "__main__":
    main()
