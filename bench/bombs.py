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

from tests.fixtures.hostile import xlsx_claiming_every_column, xlsx_with_huge_cell, xlsx_with_many_rows  # noqa: E402

PROBE = """
import resource, sys, time
sys.path[:0] = [{src!r}]
import io, pandas, openpyxl
from indicators import tabular
data = open({path!r}, "rb").read()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
try:
    if {naive}:
        pandas.read_excel(io.BytesIO(data))
    else:
        tabular.read_table(data, "bombe.xlsx")
    outcome = "lu"
except Exception as exc:
    outcome = type(exc).__name__
print(time.perf_counter() - t0, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024, outcome)
"""


def measure(path: Path, naive: bool, timeout: float) -> str:
    code = PROBE.format(src=str(ROOT / "src"), path=str(path), naive=naive)
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"{'> ' + str(int(timeout)):>10} s  (interrompu)"
    seconds, mb, outcome = out.stdout.split()
    return f"{float(seconds):>10.2f} s  {float(mb):>8.0f} Mo de pointe  ({outcome})"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in (("xlsx_cellule_300_Mo", xlsx_with_huge_cell), ("xlsx_1_million_de_lignes", xlsx_with_many_rows),
                           ("xlsx_16384_colonnes_declarees", xlsx_claiming_every_column)):
            path = Path(tmp) / f"{name}.xlsx"
            path.write_bytes(make())
            print(f"bomb_{name}_refused        {measure(path, False, 30)}  [fichier {path.stat().st_size / 1e3:.0f} ko]")
            if make is xlsx_with_many_rows:  # the 300 MB cell would take gigabytes through pandas: not run
                print(f"bomb_{name}_naive_read_excel {measure(path, True, 30)}")


if __name__ == "__main__":
    main()
