#!/usr/bin/env bash
# Throughput of GET /api/v1/me against /healthz on gunicorn (2 workers) and PostgreSQL,
# measured in one run with wrk at 32 connections. Target: /me >= 50 % of /healthz, p99 < 50 ms.
# The two endpoints take turns (ROUNDS slices of SECONDS each) so that a machine slowing down
# or speeding up mid-run weighs on both alike.
# Usage: bash bench/run.sh [SECONDS per slice, default 20] [ROUNDS, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-20}"
ROUNDS="${2:-3}"
PORT="${BENCH_PORT:-8765}"
DB=residence_bench
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null

export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" DEBUG=0 SECRET_KEY="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SMS_BACKEND=console ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 LOG_LEVEL=WARNING
mkdir -p var
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py collectstatic --noinput -v0
TOKEN=$(PYTHONPATH=. .venv/bin/python bench/make_token.py | tail -1)

.venv/bin/gunicorn -c gunicorn.conf.py --workers 2 --bind "127.0.0.1:$PORT" --access-logfile /dev/null \
  --log-level warning --pid var/bench-gunicorn.pid &
trap 'kill $(cat var/bench-gunicorn.pid) 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/me" >/dev/null || { echo "/me failed"; exit 1; }

rm -f var/bench-*.txt var/bench-*.hist
run() { HISTOGRAM="var/bench-$1.hist" wrk -t2 -c32 -d"${DURATION}s" --latency -s bench/histogram.lua "${@:2}"; }
for round in $(seq "$ROUNDS"); do
  run healthz "http://127.0.0.1:$PORT/healthz" > "var/bench-healthz-$round.txt"
  run me -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/me" > "var/bench-me-$round.txt"
done
.venv/bin/python bench/report.py var "$ROUNDS"
