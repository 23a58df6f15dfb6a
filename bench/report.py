"""Reads two wrk --latency outputs (baseline, subject) and prints throughput, p99 and the ratio."""

import re
import sys
from pathlib import Path

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse(path):
    text = Path(path).read_text()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", text).groups()
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    return rps, float(value) * UNITS[unit], int(errors.group(1)) if errors else 0


base_rps, base_p99, base_err = parse(sys.argv[1])
me_rps, me_p99, me_err = parse(sys.argv[2])
ratio = me_rps / base_rps
print(f"/healthz     {base_rps:9.0f} req/s   p99 {base_p99:6.1f} ms   non-2xx {base_err}")
print(f"/api/v1/me   {me_rps:9.0f} req/s   p99 {me_p99:6.1f} ms   non-2xx {me_err}")
print(f"ratio /me : /healthz = {ratio:.2f}  (target >= 0.50; p99 target < 50 ms)")
ok = ratio >= 0.5 and me_p99 < 50 and me_err == 0
print("TARGET MET" if ok else "TARGET MISSED")
sys.exit(0 if ok else 1)
