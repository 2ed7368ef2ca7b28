"""Linker throughput: link N synthetic incidents and compare the blocked candidate generation with a
naive all-pairs baseline measured in the same run on a small N.

Synthetic incidents are the pair corpus's records (tests/data/link_pairs.yaml), copied with their
dates shifted by a random number of days over ``--years`` years, coordinates jittered by up to ~2 km
and fresh document ids; records copied together keep their relative dates, so each copy of a pair
is still a pair. Deterministic for a given ``--seed``.

    .venv/bin/python benchmarks/link.py                 # 20,000 incidents; baseline on 3,000
    .venv/bin/python benchmarks/link.py -n 5000 --naive-n 500
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

from eventcoder.link import Linker, load_pair_corpus

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "link_pairs.yaml"


class NaiveLinker(Linker):
    """Tests every pair with the same candidate test, without blocking: the quadratic baseline."""

    def _candidates(self, recs):
        return [(i, j) for i in range(len(recs)) for j in range(i + 1, len(recs)) if self.compatible(recs[i], recs[j])]


def synthetic(n: int, seed: int = 0, years: int = 5) -> list:
    rng = random.Random(seed)
    pairs = load_pair_corpus(CORPUS)
    out = []
    copy = 0
    while len(out) < n:
        pair = pairs[copy % len(pairs)]
        shift = dt.timedelta(days=rng.randrange(365 * years) - 365 * years // 2)
        for side in (pair.a, pair.b):
            if len(out) >= n:
                break
            d = side.date
            date = dataclasses.replace(d, start=d.start + shift, end=d.end + shift) if d and d.start else d
            loc = side.location
            if loc is not None and loc.lat is not None:
                loc = dataclasses.replace(loc, lat=loc.lat + rng.uniform(-0.02, 0.02), lon=loc.lon + rng.uniform(-0.02, 0.02))
            out.append(dataclasses.replace(side, doc_id=f"{side.doc_id}~{copy}", date=date, location=loc, incident_id=""))
        copy += 1
    return out


def run(linker: Linker, incidents: list) -> tuple[float, int, list]:
    """Seconds to link, the number of candidate pairs (counted outside the timing), the events."""
    t0 = time.perf_counter()
    events = linker.link(incidents)
    elapsed = time.perf_counter() - t0
    recs = [linker._rec(i) for i in sorted(incidents, key=lambda i: i.incident_id)]
    return elapsed, len(linker._candidates(recs)), events


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20_000, help="synthetic incidents to link")
    ap.add_argument("--naive-n", type=int, default=3_000, help="incidents for the all-pairs baseline")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--years", type=int, default=5, help="the dates are spread over this many years")
    args = ap.parse_args(argv)

    blocked, naive = Linker(), NaiveLinker()
    small = synthetic(args.naive_n, args.seed, args.years)
    t_b, c_b, e_b = run(blocked, small)
    t_n, c_n, e_n = run(naive, small)
    print(f"baseline, {len(small):,} incidents: blocked {t_b:.2f} s ({c_b:,} candidate pairs, {len(e_b):,} events); "
          f"all-pairs {t_n:.2f} s ({c_n:,} pairs, {len(e_n):,} events); speed-up {t_n / t_b:.0f}x; "
          f"same events: {[e.to_dict() for e in e_b] == [e.to_dict() for e in e_n]}")

    big = synthetic(args.n, args.seed, args.years)
    t, c, e = run(blocked, big)
    print(f"blocked, {len(big):,} incidents: {t:.2f} s, {len(big) / t:,.0f} incidents/s, {c:,} candidate pairs "
          f"({c / len(big):.1f} per incident), {len(e):,} events, {sum(1 for x in e if len(x.incident_ids) > 1):,} multi-source")
    est_naive = t_n * (len(big) / len(small)) ** 2
    print(f"all-pairs at {len(big):,} (extrapolated from the baseline, quadratic): ~{est_naive:,.0f} s")

    tracemalloc.start()
    blocked.link(big)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak traced memory while linking {len(big):,}: {peak / 2**20:.1f} MiB; process peak RSS {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
