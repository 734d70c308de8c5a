"""What checking a hashed API key costs: its first scrypt verification, then the cached lookup.

    .venv/bin/python benchmarks/bench_api_keys.py
"""

from __future__ import annotations

import time

import numpy as np

from serving.auth import KeyRing
from serving.key_hashing import hash_key, new_key


def main(first_checks: int = 20, cached_checks: int = 10_000) -> None:
    keys = [new_key() for _ in range(first_checks)]
    first = []
    for key in keys:
        ring = KeyRing({"bench": {"hash": hash_key(key), "roles": ["oms"]}})  # a new ring: nothing cached
        start = time.perf_counter()
        ring.check(f"Bearer {key}", "oms")
        first.append(time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(cached_checks):
        ring.check(f"Bearer {keys[-1]}", "oms")
    cached = (time.perf_counter() - start) / cached_checks
    ms = np.array(first) * 1000
    p50 = np.percentile(ms, 50)
    print(f"first check of a key (scrypt): p50 {p50:.0f} ms  max {ms.max():.0f} ms  (n={first_checks})")
    print(f"cached check: {cached * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
