"""Reads the outputs of bench/applications.sh and prints, per round and for the whole run, the
throughput and p99 of the ceiling, /healthz, POST /api/v1/applications and
GET /api/v1/applications/{id}, the ratios the targets are set on, the errors, how much of the
machine other processes took (bench/cpu.py) and the CPU time per request, as bench/report.py does.
Usage: python bench/apps_report.py DIR ROUNDS APPLICATIONS_MADE_BY_THE_TIMED_SLICES
"""

import statistics
import sys
from pathlib import Path

from wrkslice import QUIET, TICK_US, p99
from wrkslice import parse as parse_slice

NAMES = ("ceiling", "healthz", "post", "get")
SERVER = {"ceiling": "ceiling", "healthz": "platform", "post": "platform", "get": "platform"}
TARGETS = (  # (label, numerator, denominator, lowest ratio)
    ("POST : /healthz", "post", "healthz", 0.25),
    ("POST : ceiling", "post", "ceiling", 0.15),
    ("GET : /healthz", "get", "healthz", 0.50),
)


def row(label, rps, p99s=None, other=None):
    ratios = [rps[a] / rps[b] for _label, a, b, _low in TARGETS]
    cells = "".join(f"{rps[name]:7.0f} " + (f"{p99s[name]:6.1f} " if p99s else " " * 7) for name in NAMES)
    load = f"{other:6.0%}" if other is not None else ""
    print(f"{label:5s} {cells}  {ratios[0]:5.3f} {ratios[1]:5.3f} {ratios[2]:5.3f} {load}")
    return ratios


folder, rounds, made = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
results = [
    {name: parse_slice(folder, name, number, prefix="", server=SERVER) for name in NAMES}
    for number in range(1, rounds + 1)
]
print("req/s and p99 (ms) of each slice; ratios of req/s; other = the most of the machine's CPU")
print("that other processes took during one of the round's slices")
print("round ceiling    p99 healthz    p99    POST    p99     GET    p99    P:h   P:c   G:h  other")
by_round = []
for number, result in enumerate(results, 1):
    rps, p99s = {n: r["rps"] for n, r in result.items()}, {n: r["p99"] for n, r in result.items()}
    by_round.append(row(str(number), rps, p99s, max(r["other"] for r in result.values())))
rps = {name: sum(result[name]["rps"] for result in results) / rounds for name in NAMES}
p99s = {name: p99(folder / f"{name}.hist") for name in NAMES}
ratios = row("all", rps, p99s)
medians = [statistics.median(r[i] for r in by_round) for i in range(len(TARGETS))]
print(f"{'median of the rounds':62s}{medians[0]:5.3f} {medians[1]:5.3f} {medians[2]:5.3f}")
quiet = [result for result in results if max(r["other"] for r in result.values()) <= QUIET]
if quiet:
    print(f"{len(quiet)} quiet rounds of {rounds} (other <= {QUIET:.0%}):")
    row("quiet", {name: sum(result[name]["rps"] for result in quiet) / len(quiet) for name in NAMES})
else:
    print(f"no quiet round (other <= {QUIET:.0%} in every slice): the ratios are those of a busy machine")


def per_request(name, key):
    """Microseconds of CPU per request over the whole run."""
    return sum(result[name][key] for result in results) * TICK_US / sum(result[name]["requests"] for result in results)


print(
    "CPU per request (gunicorn master and workers + PostgreSQL): "
    + ", ".join(
        f"{name} {per_request(name, 'server'):.0f}"
        + (f" + {per_request(name, 'postgres'):.0f}" if name in ("post", "get") else "")
        for name in NAMES
    )
    + " us"
)
posted = sum(result["post"]["requests"] for result in results)
print(f"POST: {posted} answers counted by wrk, {made} applications made by the timed slices")
errors = {name: sum(result[name]["errors"] for result in results) for name in NAMES}
ok = not any(errors.values())
for (label, _a, _b, low), ratio in zip(TARGETS, ratios, strict=True):
    met = ratio >= low
    ok &= met
    print(f"{label:16s} = {ratio:.3f} (target >= {low:.2f}) {'met' if met else 'MISSED'}")
print("non-2xx or socket errors: " + ", ".join(f"{name} {count}" for name, count in errors.items()))
print("TARGETS MET" if ok else "TARGETS MISSED")
sys.exit(0 if ok else 1)
