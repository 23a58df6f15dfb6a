"""One line for bench/run.sh around each slice: "seconds busy ours postgres gunicorn..." where
every figure but the first is CPU time in clock ticks.

busy is the whole machine's non-idle CPU (/proc/stat); ours is what the bench's own
processes used: the gunicorn masters and their workers, PostgreSQL's processes, and the
finished children of the bench's shell (wrk, curl, this script). busy - ours over a slice is
load from elsewhere (another engineer's tests on the same cores), which bench/report.py
shows per round. PostgreSQL is counted as ours even when another job queries it. Then
PostgreSQL's share alone and each gunicorn's (master and workers), in the order given:
per request, these do not depend on what else the machine was doing.
Usage: python bench/cpu.py SHELL_PID MASTER_PID...
"""

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
postgres = pwd.getpwnam("postgres").pw_uid
ours, database, servers = ticks(shell, children=True)[0], 0, dict.fromkeys(masters, 0)
for entry in os.listdir("/proc"):
    if not entry.isdigit() or entry == shell:
        continue
    used, parent, _fields = ticks(entry)
    if entry in servers or str(parent) in servers:
        servers[entry if entry in servers else str(parent)] += used
        ours += used
    elif uid(entry) == postgres:
        database += used
        ours += used
with open("/proc/stat") as file:
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, file.readline().split()[1:9])
busy = user + nice + system + irq + softirq + steal
print(time.monotonic(), busy, ours, database, *servers.values())
