#!/usr/bin/env bash
# The permits' suspension sweep at city scale (bench/permit_sweep.py): a fresh database
# BENCH_DB (default residence_bench_permits), 10,000,000 permits, the baseline UPDATE, the
# day's sweep and an 8,000,000-row sweep with its peak RSS.
# Usage: bash bench/permit_sweep.sh [--scale 0.1] [--repeat 3] [--skip-generate]
#   (--skip-generate reuses the database as it is: the sweeps already run will do nothing)
set -euo pipefail
cd "$(dirname "$0")/.."
DB="${BENCH_DB:-residence_bench_permits}"
if [[ " $* " != *" --skip-generate "* ]]; then
  PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
fi
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" DEBUG=0 SECRET_KEY="bench-permits-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SMS_BACKEND=console ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 LOG_LEVEL=WARNING
PYTHONPATH=. exec .venv/bin/python bench/permit_sweep.py "$@"
