"""Build time, file size and lookup speed of the offline gazetteer (eventcoder.gazetteer).

Builds into a temporary folder (in a child process, so its memory is reported apart), then
times 2,000 mixed names: real cities500 names sampled with a fixed seed, transliteration
variants of Arab-world names, and made-up misses. Prints lookups per second (median of
--repeat runs, key caches cleared before each run), per-lookup latency, hit rates, peak RSS,
and the ratio to a baseline measured in the same run: a plain Python dict of the same
normalize_place keys loaded from the same SQLite file (exact keys only, no ranking), so the
ratio says what SQLite plus ranking costs over a bare in-memory lookup.

    .venv/bin/python benchmarks/geocode.py
    .venv/bin/python benchmarks/geocode.py --path /tmp/gazetteer.sqlite   # reuse a built file
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import re
import resource
import sqlite3
import statistics
import string
import tempfile
import time
from pathlib import Path

ARAB_WORLD = ("SY", "IQ", "YE", "JO", "LB", "LY", "EG", "SA", "PS", "TN", "DZ", "MA", "SD")
# (pattern, replacement) pairs that real reports apply to GeoNames spellings
REWRITES = [
    (r"^(?:Al|Ar|As|Ash|At|Ad|Az|An|Adh) ", "al-"), (r"^(?:Al|Ar|As|Ash|At|Ad|Az|An) ", ""),
    (r"ah\b", "a"), (r"a\b", "ah"), (r"q", "k"), (r"Q", "K"), (r"u", "ou"), (r"ay", "ei"), (r"Dayr", "Deir"),
    (r"Tall", "Tel"), (r"Khirbat", "Khirbet"), (r"([bdfklmnrst])\1", r"\1"), (r"([bdklmnrst])([aiu])", r"\1\1\2"),
    (r"Abū", "Abou"), (r"ī", "ee"), (r"ū", "oo"), (r"'|’|‘", ""),
]


def _build(path: str) -> tuple[dict, float]:
    from eventcoder.gazetteer import build_gazetteer

    stats = build_gazetteer(path)
    return stats.as_dict(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_names(path: Path, seed: int = 0, n: int = 2000) -> list[tuple[str, str, int | None]]:
    """(kind, name, id of the place it came from) triples: 60 % real, 25 % variants, 15 % misses."""
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    cities = con.execute("SELECT id, name FROM places WHERE feature='city' ORDER BY id").fetchall()
    arab = con.execute(
        f"SELECT id, name FROM places WHERE feature='city' AND country IN ({','.join('?' * len(ARAB_WORLD))}) ORDER BY id",
        ARAB_WORLD).fetchall()
    con.close()
    real = [("real", name, pid) for pid, name in rng.sample(cities, int(n * 0.60))]
    variants = []
    while len(variants) < int(n * 0.25):
        pid, original = rng.choice(arab)
        name = original
        for _ in range(rng.randint(1, 3)):
            pattern, repl = rng.choice(REWRITES)
            name = re.sub(pattern, repl, name, count=1)
        if name != original:
            variants.append(("variant", name, pid))
    misses = []
    while len(real) + len(variants) + len(misses) < n:
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(6, 12)))
        misses.append(("miss", word.title(), None))
    names = real + variants + misses
    rng.shuffle(names)
    return names


def _clear_caches() -> None:
    from eventcoder.gazetteer import normalize_place, variant_key

    normalize_place.cache_clear()
    variant_key.cache_clear()


def time_gazetteer(gz, names: list[tuple[str, str]], repeat: int) -> tuple[float, list[float], dict]:
    rates, latencies = [], []
    found: dict[str, list[tuple[bool, bool]]] = {}  # kind -> (source place among candidates, first)
    for run in range(repeat):
        _clear_caches()
        t0 = time.perf_counter()
        for kind, name, pid in names:
            t = time.perf_counter()
            cands = gz.candidates(name)
            if run == 0:
                latencies.append(time.perf_counter() - t)
                ids = [p.id for p in cands]
                found.setdefault(kind, []).append((pid in ids if pid else bool(ids), bool(ids) and ids[0] == pid))
        rates.append(len(names) / (time.perf_counter() - t0))
    rate = {k: (sum(a for a, _ in v) / len(v), sum(b for _, b in v) / len(v)) for k, v in found.items()}
    return statistics.median(rates), latencies, rate


def time_dict(path: Path, names: list[tuple[str, str]], repeat: int) -> tuple[float, float, float]:
    from eventcoder.gazetteer import normalize_place

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    index: dict[str, list[int]] = {}
    con = sqlite3.connect(path)
    for key, pid in con.execute("SELECT key, place_id FROM aliases WHERE kind IN ('name', 'alternate')"):
        index.setdefault(key, []).append(pid)
    con.close()
    load = time.perf_counter() - t
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rates = []
    for _ in range(repeat):
        _clear_caches()
        t0 = time.perf_counter()
        for _, name, _ in names:
            index.get(normalize_place(name), [])
        rates.append(len(names) / (time.perf_counter() - t0))
    return statistics.median(rates), load, rss1 - rss0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--path", type=Path, help="use this built gazetteer file instead of building one")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--names", type=int, default=2000)
    ap.add_argument("--no-automaton", action="store_true", help="skip timing the Aho-Corasick automaton")
    args = ap.parse_args()

    from eventcoder.gazetteer import Gazetteer

    with tempfile.TemporaryDirectory() as tmp:
        path = args.path
        if path is None:
            path = Path(tmp) / "gazetteer.sqlite"
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(1) as pool:
                stats, build_rss = pool.apply(_build, (str(path),))
            print(f"build: {stats['seconds']:.1f} s, peak RSS {build_rss:.0f} MB (child process)")
            print(f"  countries {stats['countries']:,}  admin1 {stats['admin1']:,}  cities {stats['cities']:,}  "
                  f"overlay {stats['overlay']:,}  equivalents {stats['equivalents']:,}  alias rows {stats['aliases']:,}")
        size = path.stat().st_size
        print(f"file: {size / 1e6:.1f} MB ({path.name})")

        names = make_names(path, n=args.names)
        t = time.perf_counter()
        gz = Gazetteer(path)
        open_ms = (time.perf_counter() - t) * 1000
        rate, lat, hit = time_gazetteer(gz, names, args.repeat)
        lat_us = sorted(x * 1e6 for x in lat)
        rss_lookup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"names: {len(names)} ({', '.join(f'{k} {sum(1 for n in names if n[0] == k)}' for k in ('real', 'variant', 'miss'))})")
        print(f"gazetteer (SQLite): {rate:,.0f} lookups/s (median of {args.repeat}); open {open_ms:.1f} ms; "
              f"latency p50 {lat_us[len(lat_us) // 2]:.0f} us, p95 {lat_us[int(len(lat_us) * 0.95)]:.0f} us, "
              f"max {lat_us[-1] / 1000:.1f} ms")
        real, var, miss = hit.get("real", (0, 0)), hit.get("variant", (0, 0)), hit.get("miss", (0, 0))
        print(f"  real names: source place among candidates {real[0]:.1%}, first {real[1]:.1%} (no country context)")
        print(f"  variants: source place among candidates {var[0]:.1%}, first {var[1]:.1%}")
        print(f"  misses that found something (false positives): {miss[0]:.1%}")
        print(f"  peak RSS after lookups: {rss_lookup:.0f} MB")

        base_rate, load_s, dict_mb = time_dict(path, names, args.repeat)
        print(f"baseline (dict of exact keys): {base_rate:,.0f} lookups/s; loading it took {load_s:.1f} s "
              f"and ~{dict_mb:.0f} MB")
        print(f"ratio: the dict is {base_rate / rate:.1f}x faster than SQLite + variants + ranking "
              f"({rate / base_rate:.2f} of its speed)")

        if not args.no_automaton:
            t = time.perf_counter()
            auto = gz.automaton()
            print(f"automaton: {len(auto):,} keys built in {time.perf_counter() - t:.1f} s; "
                  f"peak RSS now {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        gz.close()


if __name__ == "__main__":
    main()
