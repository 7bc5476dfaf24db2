"""Benchmarks: `make bench` prints one line per figure, `name value unit`, baselines beside ours."""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import shutil  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402

from indicators import compare, ingest, links, store, territories  # noqa: E402
from indicators.paths import db_path  # noqa: E402
from indicators.pipeline import build  # noqa: E402

REPEAT = 30


def line(name: str, value: float, unit: str) -> None:
    print(f"{name:<44} {value:>10.1f} {unit}")


def latency(name: str, fn) -> None:
    fn()  # warm
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    line(f"{name} p50", statistics.median(times), "ms")
    line(f"{name} p95", times[int(0.95 * (len(times) - 1))], "ms")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        build(Path(tmp) / "bench.duckdb", log=lambda _: None, map_dir=Path(tmp) / "geo")
        line("build_full_database", time.perf_counter() - t0, "s (target <= 60 s)")

    con = store.connect_readonly()
    pilots = territories.group_members(con, "cci-midi-pyrenees")["code"].tolist()
    latency("query_one_indicator_year_all_communes", lambda: store.level_values(con, "population", "COM", 2023, 2023))
    latency("query_one_indicator_year_departements", lambda: store.level_values(con, "net_migration_rate", "DEP", 2020, 2020))
    latency("query_series_territory_plus_references",
            lambda: store.series(con, ["COM:12202", "DEP:12", "REG:76", "FR"], ["population", "net_migration_rate"]))
    latency("query_ranks_pilot_sites", lambda: compare.ranks(con, "net_migration_rate", 2013, 2018, pilots, 1))
    latency("query_group_ratio_of_sums", lambda: compare.group_aggregate(con, "net_migration_rate", pilots))
    latency("query_search_by_name", lambda: territories.search(con, "saint etienne"))
    # Baseline: the same ratio computed with a pandas loop over a full table read, what the store avoids.
    def pandas_baseline():
        obs = con.execute("SELECT territory, indicator, period_start, year, value FROM observation "
                          "WHERE indicator IN ('net_migration', 'population')").df()
        sub = obs[obs.territory.isin(pilots)]
        num = sub[(sub.indicator == "net_migration")].set_index(["territory", "period_start"]).value
        den = sub[(sub.indicator == "population")].set_index(["territory", "year"]).value
        return num.sum() / den.reindex(num.index).sum()
    latency("baseline_pandas_group_ratio_full_read", pandas_baseline)
    bench_import(con)
    bench_export(con, pilots)


def bench_export(con, pilots: list[str]) -> None:
    """PNG of one chart, warm (target <= 2 s), and the full pack for 8 pilot sites × 6 indicators (<= 30 s)."""
    from indicators import charts, export

    series = store.series(con, pilots, ["population"])
    spec = charts.ChartSpec(title="Population", unit="habitants", source="Insee")
    fig = charts.trend_chart(series, spec)
    t0 = time.perf_counter()
    export.render(fig, "png")
    line("export_png_cold_incl_chromium_start", time.perf_counter() - t0, "s")
    t0 = time.perf_counter()
    export.render(fig, "png")
    line("export_png_one_chart_warm", time.perf_counter() - t0, "s (target <= 2 s)")
    ids = ["population", "net_migration_rate", "co2_ets_per_inhabitant", "vacancy_rate", "unemployment_rate", "jobs"]
    t0 = time.perf_counter()
    items = export.pack_items(con, pilots, ids, 2012, 2021, True, lambda i, refs: links.url("evolutions", i=i, ref=",".join(refs) or "0"))
    export.review_zip(items, "Bench", "Sites pilotes")
    t1 = time.perf_counter()
    export.review_pdf(items, "Bench", "Sites pilotes")
    t2 = time.perf_counter()
    line("export_pack_zip_8_sites_6_indicators", t1 - t0, "s (target <= 30 s)")
    line("export_pack_pdf_8_sites_6_indicators", t2 - t1, "s (target <= 30 s)")


def bench_import(con) -> None:
    """Import of a 100 000-row CSV (target <= 5 s), and read latency of 10 sessions meanwhile."""
    codes = [r[0] for r in con.execute(
        "SELECT split_part(code, ':', 2) FROM territory WHERE level = 'COM' ORDER BY code LIMIT 10000").fetchall()]
    body = "territoire;année;valeur\n" + "".join(f"{c};{y};{i % 97},5\n" for i, c in enumerate(codes)
                                                   for y in range(2011, 2021))
    data = body.encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "bench.duckdb"
        shutil.copyfile(db_path(), copy)
        decl = ingest.Declaration(id="user_bench", label="Bench", unit="u", source="bench (synthétique)", is_new=True)
        t0 = time.perf_counter()
        frame = ingest.read_table(data, "bench.csv")
        checked = ingest.validate(store.connect_readonly(copy), ingest.prepare(frame, "bench.csv", data), decl)
        t1 = time.perf_counter()
        ingest.write(checked, decl, path=copy)
        t2 = time.perf_counter()
        line("import_100k_rows_validate", t1 - t0, "s")
        line("import_100k_rows_write", t2 - t1, "s")
        line("import_100k_rows_total", t2 - t0, "s (target <= 5 s)")

        # 10 reader threads, each with its own read-only connection, during an import in another process.
        csv_path = Path(tmp) / "second.csv"
        csv_path.write_bytes(data.replace(b";2011;", b";2001;"))
        def readers(seconds: float) -> list[float]:
            times: list[float] = []
            stop = time.monotonic() + seconds
            def work():
                c = store.connect_readonly(copy)
                while time.monotonic() < stop:
                    t = time.perf_counter()
                    store.level_values(c, "population", "DEP", 2020, 2020)
                    times.append((time.perf_counter() - t) * 1000)
            threads = [threading.Thread(target=work) for _ in range(10)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return sorted(times)
        quiet = readers(2.0)
        proc = subprocess.Popen([sys.executable, "-m", "indicators", "--db", str(copy), "import", str(csv_path),
                                 "--new", "Bench 2", "--unit", "u", "--source", "bench"], stdout=subprocess.DEVNULL)
        busy = readers(3.0)
        proc.wait()
        for name, times in (("reads_10_sessions_quiet", quiet), ("reads_10_sessions_during_import", busy)):
            line(f"{name} p50", statistics.median(times), "ms")
            line(f"{name} p95", times[int(0.95 * (len(times) - 1))], "ms")


if __name__ == "__main__":
    main()
