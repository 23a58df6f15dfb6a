"""Reads the wrk outputs of bench/run.sh and prints, per round and for the whole run, the
throughput of /healthz and /api/v1/me, their ratio and the p99 latency.

The whole run's p99 is exact: it comes from every request's latency (bench/histogram.lua),
not from an average of the rounds' percentiles.
Usage: python bench/report.py DIR ROUNDS
"""

import re
import sys
from pathlib import Path

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse(path):
    text = path.read_text()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", text).groups()
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    return rps, float(value) * UNITS[unit], int(errors.group(1)) if errors else 0


def p99(path):
    """The 99th percentile in ms of a file of "microseconds count" lines."""
    counts = {}
    for line in path.read_text().split("\n"):
        if line:
            value, count = map(int, line.split())
            counts[value] = counts.get(value, 0) + count
    needed, seen = 0.99 * sum(counts.values()), 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= needed:
            return value / 1000
    raise ValueError(f"{path} is empty")


folder, rounds = Path(sys.argv[1]), int(sys.argv[2])
results = [
    (parse(folder / f"bench-healthz-{number}.txt"), parse(folder / f"bench-me-{number}.txt"))
    for number in range(1, rounds + 1)
]
print("round   /healthz req/s  p99 ms   /me req/s  p99 ms   ratio")
for number, ((base_rps, base_p99, _), (me_rps, me_p99, _)) in enumerate(results, 1):
    print(f"{number:5d}   {base_rps:14.0f} {base_p99:7.1f}   {me_rps:9.0f} {me_p99:7.1f}   {me_rps / base_rps:5.2f}")
# Every slice lasts the same time, so the mean of the rounds' req/s is all requests over all time.
base_rps = sum(base[0] for base, _ in results) / rounds
me_rps = sum(me[0] for _, me in results) / rounds
base_p99, me_p99 = p99(folder / "bench-healthz.hist"), p99(folder / "bench-me.hist")
errors = sum(base[2] + me[2] for base, me in results)
ratio = me_rps / base_rps
print(f"all     {base_rps:14.0f} {base_p99:7.1f}   {me_rps:9.0f} {me_p99:7.1f}   {ratio:5.2f}")
print(f"ratio /me : /healthz = {ratio:.2f} (target >= 0.50); /me p99 {me_p99:.1f} ms (target < 50); non-2xx {errors}")
ok = ratio >= 0.5 and me_p99 < 50 and errors == 0
print("TARGET MET" if ok else "TARGET MISSED")
sys.exit(0 if ok else 1)
