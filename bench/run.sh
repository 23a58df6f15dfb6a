#!/usr/bin/env bash
# Throughput of GET /api/v1/me and /healthz against the framework's ceiling, on gunicorn
# (2 workers) and PostgreSQL, measured in one run with wrk at 32 connections.
#
# Three gunicorns, each with gunicorn.conf.py and the same arguments:
#   platform   config.wsgi, as in production: the access log on stdout (here a file)
#   ceiling    bench/ceiling: one Django view, no middleware, no apps, the same access log
#   no-log     config.wsgi without the access log, only to measure what the log costs
# The slices take turns (ROUNDS rounds of ceiling, /healthz, /me, /healthz without log,
# SECONDS each) so that a machine slowing down or speeding up mid-run weighs on all alike;
# short slices and many rounds spread a passing load (another job on the same cores) evenly.
# Targets (bench/report.py): /healthz >= 0.80 and /me >= 0.55 of the ceiling,
# /me >= 0.50 of /healthz, /me p99 < 50 ms.
# Usage: bash bench/run.sh [SECONDS per slice, default 5] [ROUNDS, default 12]
# BENCH_PORT (default 8765; the next two ports are used too) and BENCH_DB pick free ones.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-5}"
ROUNDS="${2:-12}"
PORT="${BENCH_PORT:-8765}"
CEILING_PORT=$((PORT + 1))
NOLOG_PORT=$((PORT + 2))
DB="${BENCH_DB:-residence_bench}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null

export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" DEBUG=0 SECRET_KEY="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SMS_BACKEND=console ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 LOG_LEVEL=WARNING
mkdir -p var
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py collectstatic --noinput -v0
TOKEN=$(PYTHONPATH=. .venv/bin/python bench/make_token.py | tail -1)
rm -f var/bench-*.txt var/bench-*.hist var/bench-*.log var/bench-*.cpu

# serve NAME PORT [gunicorn arguments]: the access log goes to stdout, as gunicorn.conf.py says.
serve() {
  .venv/bin/gunicorn -c gunicorn.conf.py --workers 2 --bind "127.0.0.1:$2" --log-level warning \
    --pid "var/bench-$1.pid" "${@:3}" > "var/bench-$1-access.log" &
}
trap 'for f in var/bench-platform.pid var/bench-ceiling.pid var/bench-nolog.pid; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; true' EXIT
serve platform "$PORT"
serve ceiling "$CEILING_PORT" bench.ceiling.wsgi:application
GUNICORN_ACCESSLOG="" serve nolog "$NOLOG_PORT"
for url in "$PORT/healthz" "$CEILING_PORT/ceiling" "$NOLOG_PORT/healthz"; do
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$url" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$url" >/dev/null || { echo "http://127.0.0.1:$url failed"; exit 1; }
done
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/me" >/dev/null || { echo "/me failed"; exit 1; }

# slice NAME ROUND wrk-arguments: one wrk run, with the machine's CPU use before and after it.
cpu() { .venv/bin/python bench/cpu.py $$ "$(cat var/bench-platform.pid)" "$(cat var/bench-ceiling.pid)" "$(cat var/bench-nolog.pid)"; }
slice() {
  cpu > "var/bench-$1-$2.cpu"
  HISTOGRAM="var/bench-$1.hist" wrk -t2 -c32 -d"${DURATION}s" --latency -s bench/histogram.lua "${@:3}" > "var/bench-$1-$2.txt"
  cpu >> "var/bench-$1-$2.cpu"
}
# Two untimed seconds each: every worker connects to PostgreSQL and prepares the token lookup.
for url in "$CEILING_PORT/ceiling" "$PORT/healthz" "$NOLOG_PORT/healthz"; do
  wrk -t2 -c32 -d2s "http://127.0.0.1:$url" >/dev/null
done
wrk -t2 -c32 -d2s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/me" >/dev/null
for round in $(seq "$ROUNDS"); do
  slice ceiling "$round" "http://127.0.0.1:$CEILING_PORT/ceiling"
  slice healthz "$round" "http://127.0.0.1:$PORT/healthz"
  slice me "$round" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/me"
  slice healthz-nolog "$round" "http://127.0.0.1:$NOLOG_PORT/healthz"
done
echo "access log lines: platform $(wc -l < var/bench-platform-access.log), ceiling $(wc -l < var/bench-ceiling-access.log)," \
  "no-log $(wc -l < var/bench-nolog-access.log)"
.venv/bin/python bench/report.py var "$ROUNDS"
