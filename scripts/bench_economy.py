#!/usr/bin/env python3
"""The economy benchmark: Almen's bill-card engine against the same aggregates as SQL in DuckDB.

Run through scripts/bench-economy, which builds Almen, installs DuckDB in a venv and makes the
dataset. This script

1. runs `almen economy bench --format json --fees-csv FILE` (Almen reads the dataset, then runs
   every shipped rule with the net lines and the monthly aggregates, and the standardised
   indices, N times; it reports the load and each step's time, every clinic's net activity per
   month and every isolated_6101 finding, and writes the catalogue fees it prices with);
2. runs the same net lines, monthly activity per clinic and the isolated-6101 rule as one SQL
   query in DuckDB on the same files, for the same control year, twice: reading the Parquet
   files inside the timed query, and after loading the columns it needs into a DuckDB table
   (load timed separately), the fair match for Almen's "after load" figure;
3. checks that the results agree: per clinic and month the net activity (tolerance 0.01 DKK),
   per clinic the claims lines, net lines and unpriced lines (exactly), and the set of
   (clinic, patient) isolated-6101 findings (exactly); prints the mismatches and exits 1 if
   there are any; and
4. prints the times side by side.

The SQL follows crates/economy/src/bills.rs and controls.rs: a line's amount is its fee_dkk
(quantity included) or, when empty, the catalogue fee in force on the service date (the
latest fee whose valid_from is on or before it) times the quantity; lines with neither are
unpriced and count 0. Lines net per clinic, patient, service date and code (a correction card's
-1 cancels the line it corrects); a month's activity is the sum of its net lines' amounts. The
isolated 6101: a patient whose net quantity of the rule's codes (6101) over the control year at
one clinic is exactly 1.

    python3 scripts/bench_economy.py --almen target/release/almen --data DIR [--repeat 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

TOLERANCE = 0.01

COLUMNS = {
    "clinic_id": "VARCHAR",
    "patient_id": "VARCHAR",
    "service_code": "VARCHAR",
    "quantity": "INTEGER",
    "service_date": "DATE",
    "fee_dkk": "DOUBLE",
}


def source(data):
    """A SELECT of the columns the economy needs from the claims file (Parquet, CSV or CSV.gz)."""
    for ext in (".parquet", ".csv", ".csv.gz"):
        path = data / ("claims" + ext)
        if path.exists():
            if ext == ".parquet":
                sel = ", ".join(f'"{c}"' for c in COLUMNS)
                return f"SELECT {sel} FROM read_parquet('{path.as_posix()}')"
            sel = ", ".join(f"CAST(nullif(trim(\"{c}\"), '') AS {t}) AS \"{c}\"" for c, t in COLUMNS.items())
            return f"SELECT {sel} FROM read_csv('{path.as_posix()}', header = true, all_varchar = true)"
    sys.exit(f"no claims file in {data}")


def economy_sql(year, codes):
    """Net lines, monthly activity per clinic and the isolated-6101 findings as one query.

    Rows of kind 'm': (clinic, month, amount, claims lines, net lines, unpriced lines);
    rows of kind 'i': (clinic, patient) with exactly one net 6101 in the year."""
    lo, hi = f"DATE '{year}-01-01'", f"DATE '{year}-12-31'"
    iso_codes = ", ".join(f"'{c}'" for c in codes)
    return f"""
WITH
year_claims AS (
  SELECT clinic_id, patient_id, service_code, quantity, service_date, fee_dkk
  FROM claims
  WHERE service_date BETWEEN {lo} AND {hi} AND clinic_id IS NOT NULL
),
-- The catalogue fee in force on the service date (the latest valid_from on or before it),
-- looked up once per distinct (code, date) and hash-joined back: an ASOF join on every claims
-- line took 1.8x as long.
day_fee AS (
  SELECT k.service_code, k.service_date, f.fee_dkk AS catalogue_fee
  FROM (SELECT DISTINCT service_code, service_date FROM year_claims) k
  ASOF LEFT JOIN fees f ON k.service_code = f.service_code AND k.service_date >= f.valid_from
),
priced AS (
  SELECT c.*, coalesce(c.fee_dkk, d.catalogue_fee * c.quantity) AS amount
  FROM year_claims c LEFT JOIN day_fee d USING (service_code, service_date)
),
net AS (
  SELECT clinic_id, patient_id, service_date, service_code,
    sum(quantity) AS quantity,
    coalesce(sum(amount), 0) AS amount,
    count(*) AS lines,
    count(*) FILTER (WHERE amount IS NULL) AS unpriced
  FROM priced
  GROUP BY clinic_id, patient_id, service_date, service_code
),
monthly AS (
  SELECT clinic_id, month(service_date) AS month, sum(amount) AS amount,
    sum(lines) AS lines, count(*) AS net_lines, sum(unpriced) AS unpriced
  FROM net GROUP BY ALL
),
isolated AS (
  SELECT clinic_id, patient_id FROM net
  WHERE service_code IN ({iso_codes})
  GROUP BY clinic_id, patient_id
  HAVING sum(quantity) = 1
)
SELECT 'm' AS kind, clinic_id, month, amount, lines, net_lines, unpriced, NULL AS patient_id
FROM monthly
UNION ALL
SELECT 'i', clinic_id, NULL, NULL, NULL, NULL, NULL, patient_id FROM isolated
"""


def connect(threads, fees_csv):
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads TO {threads}")
    con.execute(
        "CREATE TABLE fees AS SELECT * FROM read_csv(?, header = true, columns = "
        "{'service_code': 'VARCHAR', 'valid_from': 'DATE', 'valid_to': 'DATE', 'fee_dkk': 'DOUBLE'})",
        [str(fees_csv)],
    )
    return con


def timed(con, sql, repeat):
    runs, rows = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        rows = con.execute(sql).fetchall()
        runs.append(time.perf_counter() - t)
    return runs, rows


def collect(rows):
    """DuckDB rows -> ({clinic: [12 amounts]}, {clinic: (lines, net, unpriced)}, {(clinic, patient)})."""
    months, counts, iso = {}, {}, set()
    for kind, clinic, month, amount, lines, net_lines, unpriced, patient in rows:
        if kind == "i":
            iso.add((clinic, patient))
            continue
        months.setdefault(clinic, [0.0] * 12)[month - 1] += amount
        a, b, c = counts.get(clinic, (0, 0, 0))
        counts[clinic] = (a + int(lines), b + int(net_lines), c + int(unpriced))
    return months, counts, iso


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--almen", required=True, help="the almen binary (a release build)")
    ap.add_argument("--data", required=True, type=Path, help="the dataset folder")
    ap.add_argument("--year", type=int, help="the control year (default: the year of the dataset's last date)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--fees-csv", type=Path, default=Path("target/bench-economy-fees.csv"))
    ap.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    args = ap.parse_args()

    # 1. Almen.
    cmd = [args.almen, "economy", "bench", "--data", str(args.data), "--repeat", str(args.repeat),
           "--format", "json", "--fees-csv", str(args.fees_csv)]
    if args.year:
        cmd += ["--year", str(args.year)]
    print(f"running {' '.join(cmd)}", file=sys.stderr)
    t = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"almen economy bench failed:\n{run.stderr}")
    almen = json.loads(run.stdout)
    almen_wall = time.perf_counter() - t
    year = almen["year"]
    codes = almen["isolated_6101_codes"] or ["6101"]
    sql = economy_sql(year, codes)

    # 2a. DuckDB on the files: every query reads the Parquet file.
    print("running DuckDB on the files", file=sys.stderr)
    con = connect(args.threads, args.fees_csv)
    con.execute(f"CREATE VIEW claims AS {source(args.data)}")
    files_runs, files_rows = timed(con, sql, args.repeat)
    con.close()

    # 2b. DuckDB after loading the columns it needs into a table.
    print("running DuckDB on a loaded table", file=sys.stderr)
    con = connect(args.threads, args.fees_csv)
    t = time.perf_counter()
    con.execute(f"CREATE TABLE claims AS {source(args.data)}")
    duck_load = time.perf_counter() - t
    tables_runs, tables_rows = timed(con, sql, args.repeat)
    con.close()

    # 3. Comparison.
    a_months = {c["clinic_id"]: c["months_dkk"] for c in almen["clinics"]}
    a_counts = {c["clinic_id"]: (c["lines"], c["net_lines"], c["unpriced_lines"]) for c in almen["clinics"]}
    a_iso = {(c["clinic_id"], p) for c in almen["clinics"] for p in c["isolated_6101"]}
    mismatches = []
    results = {}
    for label, rows in (("files", files_rows), ("tables", tables_rows)):
        d_months, d_counts, d_iso = collect(rows)
        results[label] = (d_months, d_counts, d_iso)
        for clinic in sorted(set(a_months) | set(d_months)):
            a = a_months.get(clinic, [0.0] * 12)
            d = d_months.get(clinic, [0.0] * 12)
            for m in range(12):
                if abs(a[m] - d[m]) > TOLERANCE:
                    mismatches.append((label, clinic, f"month {m + 1:02} DKK", f"{a[m]:.4f}", f"{d[m]:.4f}"))
            ac, dc = a_counts.get(clinic, (0, 0, 0)), d_counts.get(clinic, (0, 0, 0))
            for name, x, y in zip(("claims lines", "net lines", "unpriced lines"), ac, dc):
                if x != y:
                    mismatches.append((label, clinic, name, x, y))
        for clinic, patient in sorted(a_iso - d_iso):
            mismatches.append((label, clinic, f"isolated_6101 {patient}", "found", "not found"))
        for clinic, patient in sorted(d_iso - a_iso):
            mismatches.append((label, clinic, f"isolated_6101 {patient}", "not found", "found"))

    # 4. Report.
    best = min
    med = statistics.median
    s = almen["summary"]
    a_run = almen["analyse_seconds"]["runs"]
    a_ix = almen["index_seconds"]["runs"]
    d_months, d_counts, d_iso = results["tables"]
    a_total = sum(sum(v) for v in a_months.values())
    d_total = sum(sum(v) for v in d_months.values())
    print()
    print(f"dataset {args.data}, control year {year}: {s['clinics']:,} clinics, {s['lines']:,} claims lines, "
          f"{s['net_lines']:,} net lines ({s['unpriced_lines']:,} lines unpriced), "
          f"{s['findings']:,} findings, {len(a_iso):,} isolated 6101")
    print(f"machine: {args.threads} threads for DuckDB, {almen['cores']} cores for Almen; "
          f"DuckDB {duckdb.__version__}; best of {args.repeat} runs")
    print()
    print(f"{'':<58} {'Almen':>10} {'DuckDB':>10} {'DuckDB/Almen':>13}")
    line = "{:<58} {:>9.3f}s {:>9.3f}s {:>12.1f}x"
    print(line.format("after load (Almen: every rule + net lines + months;", best(a_run),
                      best(tables_runs), best(tables_runs) / best(a_run)))
    print("   DuckDB: net lines + months + isolated 6101 on a table)")
    print(line.format("from the files (Almen load + rules; DuckDB on Parquet)",
                      almen["load_seconds"] + best(a_run), best(files_runs),
                      best(files_runs) / (almen["load_seconds"] + best(a_run))))
    print(f"{'load: Almen all 8 tables / DuckDB 6 claims columns':<58} "
          f"{almen['load_seconds']:>9.3f}s {duck_load:>9.3f}s")
    print(f"{'indices (Almen only: frame split + standardised index)':<58} {best(a_ix):>9.3f}s")
    print(f"{'Almen after load in all (rules + aggregates + indices)':<58} {best(a_run) + best(a_ix):>9.3f}s")
    print(f"(medians: Almen {med(a_run):.3f} s, DuckDB tables {med(tables_runs):.3f} s, "
          f"DuckDB files {med(files_runs):.3f} s; Almen's process wall time {almen_wall:.1f} s)")
    print()
    print(f"{'total':<34} {'Almen':>18} {'DuckDB':>18}")
    print(f"{'net activity DKK':<34} {a_total:>18,.2f} {d_total:>18,.2f}")
    for i, name in enumerate(("claims lines", "net lines", "unpriced lines")):
        print(f"{name:<34} {sum(v[i] for v in a_counts.values()):>18,} {sum(v[i] for v in d_counts.values()):>18,}")
    print(f"{'isolated 6101 (clinic, patient)':<34} {len(a_iso):>18,} {len(d_iso):>18,}")
    if mismatches:
        print(f"\nMISMATCH: {len(mismatches)} differences (first 30):")
        for m in mismatches[:30]:
            print("  {}: clinic {} {}: Almen {} DuckDB {}".format(*m))
    else:
        print(f"\nresults agree: {len(a_months):,} clinics x 12 months of net activity (within {TOLERANCE} DKK), "
              f"claims/net/unpriced lines per clinic, and {len(a_iso):,} isolated-6101 findings; "
              f"in DuckDB's runs on the files and on a table")

    if args.json:
        args.json.write_text(json.dumps({
            "almen": {k: v for k, v in almen.items() if k != "clinics"},
            "duckdb": {
                "version": duckdb.__version__,
                "threads": args.threads,
                "files_seconds": files_runs,
                "load_seconds": duck_load,
                "tables_seconds": tables_runs,
            },
            "isolated_6101": len(a_iso),
            "mismatches": len(mismatches),
        }, indent=2))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
