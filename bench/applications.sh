#!/usr/bin/env bash
# Throughput of submitting an application (POST /api/v1/applications) and of reading one
# (GET /api/v1/applications/{id}) against /healthz and the framework's ceiling, on gunicorn
# (2 workers) and PostgreSQL, measured in one run with wrk at 32 connections, like bench/run.sh.
#
# Set-up (bench/apps_setup.py): a fresh database, migrated, with APPLY_CITIZENS verified,
# signed-in, eligible citizens (bulk inserts) and their tokens in var/apps-tokens.txt.
# Two gunicorns, each with gunicorn.conf.py and the same arguments: the platform (config.wsgi,
# access log to a file, as in production) and the ceiling (bench/ceiling, one Django view).
# The slices take turns: ROUNDS rounds of ceiling, /healthz, POST, GET, SECONDS each.
#   POST  every request a different citizen's token and a unique photo receipt number
#         (bench/apps_post.lua): each person applies once, so every answer must be 201.
#   GET   the owner's token and the id of an application made by the untimed warm-up POSTs
#         (bench/apps_get.lua, pairs in var/apps-pairs.txt).
# Targets (bench/apps_report.py): POST >= 0.25 of /healthz and >= 0.15 of the ceiling,
# GET >= 0.50 of /healthz, no non-2xx answer nor socket error.
# Usage: bash bench/applications.sh [SECONDS per slice, default 5] [ROUNDS, default 12]
# BENCH_PORT (default 8775; the next port is used too), BENCH_DB (default residence_bench_apps),
# APPLY_CITIZENS (default 40000; POST uses one per request, the run stops when they run out).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-5}"
ROUNDS="${2:-12}"
PORT="${BENCH_PORT:-8775}"
CEILING_PORT=$((PORT + 1))
DB="${BENCH_DB:-residence_bench_apps}"
CITIZENS="${APPLY_CITIZENS:-40000}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null

export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" DEBUG=0 SECRET_KEY="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SMS_BACKEND=console ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 LOG_LEVEL=WARNING
mkdir -p var
OUT=var/apps
rm -rf "$OUT" && mkdir -p "$OUT"
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py collectstatic --noinput -v0
PYTHONPATH=. .venv/bin/python bench/apps_setup.py "$CITIZENS" "$OUT/tokens.txt"
TOKEN=$(head -1 "$OUT/tokens.txt" | cut -d' ' -f2)

serve() {
  .venv/bin/gunicorn -c gunicorn.conf.py --workers 2 --bind "127.0.0.1:$2" --log-level warning \
    --pid "$OUT/$1.pid" "${@:3}" > "$OUT/$1-access.log" 2> "$OUT/$1-errors.log" &
}
trap 'for f in "$OUT/platform.pid" "$OUT/ceiling.pid"; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; true' EXIT
serve platform "$PORT"
serve ceiling "$CEILING_PORT" bench.ceiling.wsgi:application
for url in "$PORT/healthz" "$CEILING_PORT/ceiling"; do
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$url" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$url" >/dev/null || { echo "http://127.0.0.1:$url failed"; exit 1; }
done
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/me" >/dev/null || { echo "/me failed"; exit 1; }

export TOKENS="$OUT/tokens.txt" NEXT_FILE="$OUT/next" PAIRS="$OUT/pairs.txt" THREADS=2
echo 0 > "$NEXT_FILE"
# post WRK-ARGUMENTS: one slice of POSTs, each from the first citizen not used by an earlier slice.
post() {
  FIRST=$(cat "$NEXT_FILE") wrk -t"$THREADS" -c32 -s bench/apps_post.lua "$@" "http://127.0.0.1:$PORT"
}
cpu() { .venv/bin/python bench/cpu.py $$ "$(cat "$OUT/platform.pid")" "$(cat "$OUT/ceiling.pid")"; }
slice() {
  cpu > "$OUT/$1-$2.cpu"
  HISTOGRAM="$OUT/$1.hist" "${@:3}" > "$OUT/$1-$2.txt"
  cpu >> "$OUT/$1-$2.cpu"
}
# Untimed warm-up: every worker connects and the first applications are made; their owners'
# tokens and ids are what the GET slices read.
wrk -t2 -c32 -d2s "http://127.0.0.1:$CEILING_PORT/ceiling" >/dev/null
wrk -t2 -c32 -d2s "http://127.0.0.1:$PORT/healthz" >/dev/null
HISTOGRAM=/dev/null post -d3s > "$OUT/warmup-post.txt"
psql -h 127.0.0.1 -U postgres -d "$DB" -AtF' ' -c "SELECT submitted_by_id, id FROM applications_application" \
  | awk 'NR == FNR { token[$1] = $2; next } { print token[$1], $2 }' "$TOKENS" - > "$PAIRS"
echo "warm-up: $(wc -l < "$PAIRS") applications made;" \
  "$(grep -oE 'Non-2xx or 3xx responses: [0-9]+' "$OUT/warmup-post.txt" || echo 'no non-2xx response')"
HISTOGRAM=/dev/null wrk -t2 -c32 -d2s -s bench/apps_get.lua "http://127.0.0.1:$PORT" >/dev/null
for round in $(seq "$ROUNDS"); do
  slice ceiling "$round" wrk -t2 -c32 -d"${DURATION}s" --latency -s bench/histogram.lua "http://127.0.0.1:$CEILING_PORT/ceiling"
  slice healthz "$round" wrk -t2 -c32 -d"${DURATION}s" --latency -s bench/histogram.lua "http://127.0.0.1:$PORT/healthz"
  slice post "$round" post -d"${DURATION}s" --latency
  slice get "$round" wrk -t2 -c32 -d"${DURATION}s" --latency -s bench/apps_get.lua "http://127.0.0.1:$PORT"
done
made=$(psql -h 127.0.0.1 -U postgres -d "$DB" -Atc "SELECT count(*) FROM applications_application")
echo "applications in the database: $made ($(wc -l < "$PAIRS") by the warm-up); citizens used: $(cat "$NEXT_FILE") of $CITIZENS"
.venv/bin/python bench/apps_report.py "$OUT" "$ROUNDS" "$((made - $(wc -l < "$PAIRS")))"
