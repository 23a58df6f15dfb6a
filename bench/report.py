"""Reads the wrk outputs of bench/run.sh and prints, per round and for the whole run, the
throughput and p99 of the ceiling (one Django view, no middleware), /healthz and /api/v1/me,
their ratios, and what the access log costs /healthz.

The whole run's p99 is exact: it comes from every request's latency (bench/histogram.lua),
not from an average of the rounds' percentiles.
Usage: python bench/report.py DIR ROUNDS
"""

import re
import sys
from pathlib import Path

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
NAMES = ("ceiling", "healthz", "me", "healthz-nolog")
TARGETS = (  # (label, numerator, denominator, lowest ratio)
    ("/healthz : ceiling", "healthz", "ceiling", 0.80),
    ("/me : ceiling", "me", "ceiling", 0.55),
    ("/me : /healthz", "me", "healthz", 0.50),
)
P99_TARGET_MS = 50


def parse(path):
    text = path.read_text()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", text).groups()
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    socket_errors = re.search(r"Socket errors:.*", text)
    return rps, float(value) * UNITS[unit], (int(errors.group(1)) if errors else 0) + bool(socket_errors)


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


def line(label, rps, p99s):
    ratios = [rps[a] / rps[b] for _label, a, b, _low in TARGETS]
    log_cost = 1 - rps["healthz"] / rps["healthz-nolog"]
    cells = "".join(f"{rps[name]:7.0f} {p99s[name]:5.1f} " for name in NAMES)
    print(f"{label:5s} {cells}  {ratios[0]:5.2f} {ratios[1]:5.2f} {ratios[2]:5.2f}   {log_cost:6.1%}")
    return ratios, log_cost


folder, rounds = Path(sys.argv[1]), int(sys.argv[2])
results = [{name: parse(folder / f"bench-{name}-{number}.txt") for name in NAMES} for number in range(1, rounds + 1)]
print("req/s and p99 (ms) of each slice; ratios of req/s; log = /healthz req/s lost to the access log")
print("round ceiling   p99 healthz   p99      me   p99 no-log    p99   h:c   m:c   m:h      log")
for number, result in enumerate(results, 1):
    line(str(number), {n: r[0] for n, r in result.items()}, {n: r[1] for n, r in result.items()})
# Every slice lasts the same time, so the mean of the rounds' req/s is all requests over all time.
rps = {name: sum(result[name][0] for result in results) / rounds for name in NAMES}
p99s = {name: p99(folder / f"bench-{name}.hist") for name in NAMES}
ratios, log_cost = line("all", rps, p99s)
errors = sum(result[name][2] for result in results for name in NAMES)

ok = errors == 0
for (label, _a, _b, low), ratio in zip(TARGETS, ratios, strict=True):
    met = ratio >= low
    ok &= met
    print(f"{label:19s} = {ratio:.2f} (target >= {low:.2f}) {'met' if met else 'MISSED'}")
met = p99s["me"] < P99_TARGET_MS
ok &= met
print(f"/me p99            = {p99s['me']:.1f} ms (target < {P99_TARGET_MS}) {'met' if met else 'MISSED'}")
per_request = (1 / rps["healthz"] - 1 / rps["healthz-nolog"]) * 2 * 1e6  # 2 workers
print(
    f"access log: /healthz {rps['healthz']:.0f} req/s with it, {rps['healthz-nolog']:.0f} without "
    f"({log_cost:.1%} of throughput, about {per_request:.0f} us of a worker per request); errors {errors}"
)
print("TARGETS MET" if ok else "TARGETS MISSED")
sys.exit(0 if ok else 1)
