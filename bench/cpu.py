"""One JSON line for bench/run.sh before and after each slice: CPU time in clock ticks of
the whole machine and of each of the bench's own processes.

busy is the machine's non-idle CPU (/proc/stat); shell is what the bench shell's finished
children used (wrk, curl, this script); procs maps each process of a gunicorn (master and
workers, named by the order of MASTER_PIDs) and of PostgreSQL to [name, ticks]. Over a
slice, busy minus the bench's own processes is load from elsewhere (another engineer's tests
on the same cores), which bench/report.py shows per round; per request, each gunicorn's and
PostgreSQL's CPU hardly depends on that load. A PostgreSQL backend that ends during a slice
(CONN_MAX_AGE) drops out of the sum rather than making it go back; PostgreSQL is counted as
the bench's even when another job queries it.
Usage: python bench/cpu.py SHELL_PID MASTER_PID...
"""

import json
import os
import pwd
import sys
import time


def ticks(pid, children=False):
    try:
        with open(f"/proc/{pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
    except OSError:  # it has just ended
        return 0, None, None
    # After the name: state ppid ... utime(14) stime(15) cutime(16) cstime(17), numbered from 1.
    used = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return used, int(fields[1]), fields


def uid(pid):
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


shell, masters = sys.argv[1], sys.argv[2:]
names = dict(zip(masters, ("platform", "ceiling", "nolog"), strict=False))
postgres = pwd.getpwnam("postgres").pw_uid
procs = {}
for entry in os.listdir("/proc"):
    if not entry.isdigit() or entry == shell:
        continue
    used, parent, _fields = ticks(entry)
    if entry in names or str(parent) in names:
        procs[entry] = [names.get(entry) or names[str(parent)], used]
    elif uid(entry) == postgres:
        procs[entry] = ["postgres", used]
with open("/proc/stat") as file:
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, file.readline().split()[1:9])
busy = user + nice + system + irq + softirq + steal
line = {"t": time.monotonic(), "busy": busy, "shell": ticks(shell, children=True)[0], "procs": procs}
print(json.dumps(line))
