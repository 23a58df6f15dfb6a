"""One wrk slice of the throughput benches (bench/run.sh, bench/applications.sh): its figures,
and the CPU its processes and the others took, from the files the shell scripts write."""

import json
import os
import re

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
QUIET = 0.15  # of the machine's CPU; the bench's own unattributed kernel work stays under 10 %
TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def parse(folder, name, number, *, prefix: str, server: dict):
    """One slice: wrk's figures and the CPU its processes and the others took."""
    text = (folder / f"{prefix}{name}-{number}.txt").read_text()
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", text).groups()
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = (int(errors.group(1)) if errors else 0) + bool(re.search(r"Socket errors:", text))
    before, after = (json.loads(line) for line in (folder / f"{prefix}{name}-{number}.cpu").open())
    used = {}  # CPU ticks of each group of processes during the slice
    for pid, (group, ticks) in after["procs"].items():
        used[group] = used.get(group, 0) + ticks - before["procs"].get(pid, [group, 0])[1]
    ours = after["shell"] - before["shell"] + sum(used.values())
    seconds = after["t"] - before["t"]
    other = max(0.0, (after["busy"] - before["busy"] - ours) * TICK_US / 1e6 / (seconds * os.cpu_count()))
    return {
        "requests": requests,
        "rps": rps,
        "p99": float(value) * UNITS[unit],
        "errors": errors,
        "other": other,
        "server": used.get(server[name], 0),
        "postgres": used.get("postgres", 0),
    }


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
