"""Reads the outputs of bench/run.sh and prints, per round and for the whole run, the
throughput and p99 of the ceiling (one Django view, no middleware), /healthz and /api/v1/me,
their ratios, and what the access log costs /healthz; then the CPU time each request took.

The whole run's p99 is exact: it comes from every request's latency (bench/histogram.lua),
not from an average of the rounds' percentiles. The targets are judged on the whole run.

The machine is shared, so each slice also records how much CPU other processes took
(bench/cpu.py): a round where they took more than QUIET of it is not quiet. The ratios of
the quiet rounds alone and the median of all rounds are printed as well; far from the whole
run's, the run should be repeated. CPU time per request (the serving gunicorn's master and
workers, and PostgreSQL's) hardly depends on other load, and shows where time goes.
Usage: python bench/report.py DIR ROUNDS
"""

import statistics
import sys
from pathlib import Path

from wrkslice import QUIET, TICK_US, p99
from wrkslice import parse as parse_slice

NAMES = ("ceiling", "healthz", "me", "healthz-nolog")
SERVER = {"ceiling": "ceiling", "healthz": "platform", "me": "platform", "healthz-nolog": "nolog"}
TARGETS = (  # (label, numerator, denominator, lowest ratio)
    ("/healthz : ceiling", "healthz", "ceiling", 0.80),
    ("/me : ceiling", "me", "ceiling", 0.55),
    ("/me : /healthz", "me", "healthz", 0.50),
)
P99_TARGET_MS = 50


def row(label, rps, p99s=None, other=None):
    ratios = [rps[a] / rps[b] for _label, a, b, _low in TARGETS]
    log_cost = 1 - rps["healthz"] / rps["healthz-nolog"]
    cells = "".join(f"{rps[name]:7.0f} " + (f"{p99s[name]:5.1f} " if p99s else " " * 6) for name in NAMES)
    load = f"{other:6.0%}" if other is not None else ""
    print(f"{label:5s} {cells}  {ratios[0]:5.2f} {ratios[1]:5.2f} {ratios[2]:5.2f}   {log_cost:6.1%} {load}")
    return ratios, log_cost


folder, rounds = Path(sys.argv[1]), int(sys.argv[2])
results = [
    {name: parse_slice(folder, name, number, prefix="bench-", server=SERVER) for name in NAMES}
    for number in range(1, rounds + 1)
]
print("req/s and p99 (ms) of each slice; ratios of req/s; log = /healthz req/s lost to the access log;")
print("other = the most of the machine's CPU that other processes took during one of the round's slices")
print("round ceiling   p99 healthz   p99      me   p99 no-log    p99   h:c   m:c   m:h      log  other")
by_round = []
for number, result in enumerate(results, 1):
    rps, p99s = {n: r["rps"] for n, r in result.items()}, {n: r["p99"] for n, r in result.items()}
    by_round.append(row(str(number), rps, p99s, max(r["other"] for r in result.values())))
# Every slice lasts the same time, so the mean of the rounds' req/s is all requests over all time.
rps = {name: sum(result[name]["rps"] for result in results) / rounds for name in NAMES}
p99s = {name: p99(folder / f"bench-{name}.hist") for name in NAMES}
ratios, log_cost = row("all", rps, p99s)
medians = [statistics.median(ratios[i] for ratios, _cost in by_round) for i in range(len(TARGETS))]
print(f"{'median of the rounds':64s}{medians[0]:5.2f} {medians[1]:5.2f} {medians[2]:5.2f}")
quiet = [result for result in results if max(r["other"] for r in result.values()) <= QUIET]
if quiet:
    print(f"{len(quiet)} quiet rounds of {rounds} (other <= {QUIET:.0%}):")
    row("quiet", {name: sum(result[name]["rps"] for result in quiet) / len(quiet) for name in NAMES})
else:
    print(f"no quiet round (other <= {QUIET:.0%} in every slice): repeat the run on a quieter machine")


def per_request(name, key):
    """Microseconds of CPU per request over the whole run."""
    return sum(result[name][key] for result in results) * TICK_US / sum(result[name]["requests"] for result in results)


cpu = {name: per_request(name, "server") for name in NAMES}
database = per_request("me", "postgres")
print(
    f"CPU per request (gunicorn master and workers): ceiling {cpu['ceiling']:.0f} us, /healthz {cpu['healthz']:.0f}, "
    f"/me {cpu['me']:.0f} + PostgreSQL {database:.0f}, /healthz without the access log {cpu['healthz-nolog']:.0f}"
)

errors = sum(result[name]["errors"] for result in results for name in NAMES)
ok = errors == 0
for (label, _a, _b, low), ratio in zip(TARGETS, ratios, strict=True):
    met = ratio >= low
    ok &= met
    print(f"{label:19s} = {ratio:.3f} (target >= {low:.2f}) {'met' if met else 'MISSED'}")
met = p99s["me"] < P99_TARGET_MS
ok &= met
print(f"/me p99            = {p99s['me']:.1f} ms (target < {P99_TARGET_MS}) {'met' if met else 'MISSED'}")
print(
    f"access log: /healthz {rps['healthz']:.0f} req/s with it, {rps['healthz-nolog']:.0f} without "
    f"({log_cost:.1%} of throughput); {cpu['healthz'] - cpu['healthz-nolog']:.0f} us of CPU per request; "
    f"non-2xx or socket errors {errors}"
)
print("TARGETS MET" if ok else "TARGETS MISSED")
sys.exit(0 if ok else 1)
