"""Benchmarks: `make bench` prints one line per figure, `name value unit`, baselines beside ours."""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from indicators import compare, store, territories  # noqa: E402
from indicators.build import build  # noqa: E402

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
        build(Path(tmp) / "bench.duckdb", log=lambda _: None)
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


if __name__ == "__main__":
    main()
