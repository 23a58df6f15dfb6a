"""1,000,000 social insurance rows: `import_records` against PostgreSQL's own COPY.

Targets (issue 3): at most 60 s; at most 2x COPY of the same file into a table with the
same unique index, measured in this run; peak memory under 300 MB whatever the size.
Usage: .venv/bin/python bench/import_insurance.py [rows]   (PostgreSQL on 127.0.0.1:5432)
"""

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
DB = "residence_bench_import"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
CODES = ["91440300MA5D4X7K8N", "91440300MA5FXXXX0U"]


def ric_check_character(body17: str) -> str:
    """GB 11643's MOD 11-2 check character (stdnum's calc_check_digit wants all 18 characters)."""
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(body17))
    return "10X98765432"[total % 11]


def make_file(path):
    months = [f"{2021 + i // 12}-{i % 12 + 1:02d}" for i in range(60)]  # 5 years of months
    people = ROWS // len(months) + 1
    with open(path, "w", encoding="utf-8") as f:
        f.write("id_number,month,employer_credit_code\n")
        written = 0
        for p in range(people):
            body = f"{110000 + p // 1000:06d}19900101{p % 1000:03d}"  # unique per person
            number = body + ric_check_character(body)
            for m in months:
                if written == ROWS:
                    return
                f.write(f"{number},{m},{CODES[p % 2]}\n")
                written += 1


def timed(cmd, env=None, stdin=None):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stdin=stdin)
    return time.perf_counter() - start


def main():
    tmp = Path(tempfile.mkdtemp())
    csv_path = tmp / "insurance.csv"
    make_file(csv_path)
    subprocess.run([*PSQL, "-c", f"DROP DATABASE IF EXISTS {DB}", "-c", f"CREATE DATABASE {DB}"], check=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "FROZEN_TODAY": "2026-03-02",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "-v0"], check=True, env=env, cwd=ROOT)

    # Baseline: PostgreSQL's own COPY of the same file into a table shaped and indexed like
    # records_insurancemonth (bigint primary key, the unique key, a timestamp); only `month`
    # stays text, since COPY cannot read "YYYY-MM" as a date.
    subprocess.run(
        [
            *PSQL,
            "-d",
            DB,
            "-c",
            "CREATE TABLE copy_baseline (id bigserial PRIMARY KEY, id_number varchar(18), month varchar(7),"
            " employer varchar(18), updated_at timestamptz NOT NULL DEFAULT now());"
            "CREATE UNIQUE INDEX ON copy_baseline (id_number, month, employer);",
        ],
        check=True,
    )
    copy = timed(
        [
            *PSQL,
            "-d",
            DB,
            "-c",
            f"\\copy copy_baseline (id_number, month, employer) FROM '{csv_path}' WITH (FORMAT csv, HEADER true)",
        ]
    )

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    first = timed(
        [str(ROOT / ".venv/bin/python"), "manage.py", "import_records", "social_insurance", str(csv_path)],
        env={**env, "TQDM_DISABLE": "1"},
    )
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    again = timed(
        [str(ROOT / ".venv/bin/python"), "manage.py", "import_records", "social_insurance", str(csv_path)],
        env={**env, "TQDM_DISABLE": "1"},
    )
    count = subprocess.run(
        [*PSQL, "-d", DB, "-tAc", "SELECT count(*) FROM records_insurancemonth"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"rows: {ROWS:,}  stored: {int(count):,}")
    print(f"PostgreSQL COPY into an indexed table: {copy:6.1f} s")
    print(f"import_records (first import):        {first:6.1f} s   ratio {first / copy:.2f}x COPY")
    print(f"import_records (same file again):     {again:6.1f} s")
    print(f"peak RSS of the import process:       {peak_mb:6.0f} MB")
    ok = first <= 60 and first <= 2 * copy and peak_mb < 300
    print("TARGET MET" if ok else "TARGET MISSED", "(<= 60 s, <= 2x COPY, < 300 MB)")


if __name__ == "__main__":
    main()
