"""Family search against an observed V_p window: cost relative to one table lookup.

    python benchmarks/bench_families.py

Prints the time of ``search_families`` (every tabulated family, crossings by interpolation) as a
multiple of one ``lookup_critical_volume_fraction`` table hit measured in the same process, and
the absolute time of the search plus its map (the interactive budget of issue 15 is 5 s).
"""

from __future__ import annotations

import time

from alloyscreen.interphase.families import plot_families, search_families
from alloyscreen.percolation.table import lookup_critical_volume_fraction

WINDOW = (0.0140, 0.0405)


def timed(fn, repeat: int) -> float:
    t = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t) / repeat


def main() -> None:
    lookup_critical_volume_fraction("spheroid", 10.0)  # load the tables once
    base = timed(lambda: lookup_critical_volume_fraction("spheroid", 10.0), 2000)
    search = timed(lambda: search_families(WINDOW), 50)
    t = time.perf_counter()
    plot_families(search_families(WINDOW), WINDOW, "/tmp/bench_families_map.png")
    with_map = time.perf_counter() - t
    print(f"table lookup:        {base * 1e6:8.1f} us (baseline)")
    print(f"family search:       {search * 1e3:8.2f} ms  = {search / base:8.0f} x baseline")
    print(f"search + map (PNG):  {with_map:8.2f} s   (budget 5 s)")


if __name__ == "__main__":
    main()
