#!/usr/bin/env python3
"""The cockpit benchmark: Almen's list engine against the same lists as SQL in DuckDB.

Run through scripts/bench-cockpit, which builds Almen, installs DuckDB in a venv and makes the
dataset. This script

1. runs `almen cockpit bench --format json` (Almen reads the dataset, then evaluates every
   shipped list for every clinic N times and one clinic alone; it reports the load and the
   evaluation times separately, and every clinic's counts);
2. runs the same 22 shipped lists as one SQL query in DuckDB on the same files, at the same
   reference date D, twice: reading the Parquet files inside the timed query, and after
   loading the columns it needs into DuckDB tables (load timed separately), which is the fair
   match for Almen's "after load" figure;
3. checks that every count agrees, per list and per clinic (also the population, the patients
   with a continuity index and the four FLS/DXA groups), prints the mismatches and exits 1 if
   there are any; and
4. prints the times side by side.

The SQL follows crates/cockpit/LISTS.md and lists/shipped.lists rule by rule: the
population is the patients listed with the clinic, born on or before D and alive on D;
codes match by prefix after upper-casing and removing dots, plain ICD-10 codes (I48) are
matched in SKS form (DI48); ranges expand like Almen's (same-length prefixes counted in base
36); "present" is date <= D and (no end or end >= D); "active" is start <= D and (no end or
end >= D).

    python3 scripts/bench_cockpit.py --almen target/release/almen --data DIR [--repeat 3]
"""

import argparse
import calendar
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
CONTACT_CODES = ROOT / "crates/reference/data/contact_codes.csv"

# ---------------------------------------------------------------------------------------------
# Codes


def _digit(c):
    return ord(c) - ord("0") if c.isdigit() else ord(c) - ord("A") + 10


def _char(d):
    return chr(ord("0") + d) if d < 10 else chr(ord("A") + d - 10)


def expand(written):
    """The prefixes a written code or range stands for, exactly as Almen expands them."""
    code = written.replace(".", "").upper()
    if "-" not in code:
        return [code]
    lo, hi = code.split("-")
    common = 0
    while common < len(lo) and lo[common] == hi[common]:
        common += 1
    tail_lo, tail_hi = lo[common:], hi[common:]

    def num(t):
        n = 0
        for c in t:
            n = n * 36 + _digit(c)
        return n

    out = []
    for n in range(num(tail_lo), num(tail_hi) + 1):
        tail = []
        for _ in range(len(tail_lo)):
            tail.append(_char(n % 36))
            n //= 36
        out.append(lo[:common] + "".join(reversed(tail)))
    return out


def codes(col, include, exclude=""):
    """SQL: `col` starts with one of the include prefixes and none of the except prefixes."""
    inc = [p for w in include.split() for p in expand(w)]
    exc = [p for w in exclude.split() for p in expand(w)]
    cond = "(" + " OR ".join(f"starts_with({col}, '{p}')" for p in inc) + ")"
    if exc:
        cond += " AND NOT (" + " OR ".join(f"starts_with({col}, '{p}')" for p in exc) + ")"
    return f"({cond})"


def dx(icpc2="", icd10=""):
    """SQL: a diagnosis row (columns sys, c) with one of the codes."""
    parts = []
    if icpc2:
        parts.append(f"(sys = 'ICPC2' AND {codes('c', icpc2)})")
    if icd10:
        parts.append(f"(sys = 'ICD10' AND {codes('c', icd10)})")
    return "(" + " OR ".join(parts) + ")"


def rx(include, exclude=""):
    return codes("a", include, exclude)


# The shipped lists' code sets (crates/cockpit/lists/shipped.lists).
NSAID = "M01A N02AJ08 N02AJ14 N02AJ16 N02AJ19 N02AJ23"
NSAID_EXCEPT = "M01AX05 M01AX12 M01AX14 M01AX21 M01AX24 M01AX25 M01AX26"
RAS = "C09 C10BX04 C10BX06 C10BX07 C10BX10-C10BX21 C10BX23 C10BX24"
DIURETIC = (
    "C03 C09BA C09DA C09XA52 C09XA54 C09BX01 C09BX03 C09DX01 C09DX03 C09DX06-C09DX09 "
    "C10BX13 C07B C07C C07D C08G C02L"
)

DX_FLAGS = {
    "dementia": dx("P70", "DF00-DF03 DG30"),
    "osteoporosis": dx("L95", "DM80-DM81"),
    "atrial_fibrillation": dx("K78", "DI48"),
    "adhd": dx("P81", "DF90"),
    "diabetes": dx("T89 T90", "DE10-DE14"),
    "copd": dx("R95", "DJ44"),
    "asthma": dx("R96", "DJ45-DJ46"),
    "hypertension": dx("K86 K87", "DI10-DI15"),
    "ischaemic_heart_disease": dx("K74-K76", "DI20-DI25"),
    "heart_failure": dx("K77", "DI50 DI110 DI130 DI132"),
    "depression": dx("P76", "DF32-DF33"),
    "severe_mental_illness": dx("P72 P73 P98", "DF20-DF31"),
}
FRACTURE = dx("L75", "DS720-DS722 DS220 DS320 DM485")

RX_ACTIVE_FLAGS = {
    "dementia": rx("N06D"),
    "osteoporosis": rx("M05BA M05BB M05BX04 H05AA02"),
    "nsaid": rx(NSAID, NSAID_EXCEPT),
    "ras": rx(RAS),
    "diuretic": rx(DIURETIC),
    "oac": rx("B01AA B01AE07 B01AF"),
    "opioid": rx("N02A"),
    "adhd": rx("N06BA"),
    "diabetes": rx("A10", "A10BJ"),
    "copd": rx("R03AC18 R03AC19 R03AL03-R03AL05 R03BB04-R03BB06"),
    "lithium": rx("N05AN01"),
    "glp1": rx("A10BJ"),
}

LISTS = [
    "dementia",
    "osteoporosis",
    "triple_whammy",
    "atrial_fibrillation",
    "atrial_fibrillation_without_oac",
    "opioid",
    "opioid_long_term",
    "adhd",
    "diabetes",
    "copd",
    "asthma",
    "hypertension",
    "ischaemic_heart_disease",
    "heart_failure",
    "depression",
    "severe_mental_illness",
    "multimorbidity",
    "polypharmacy_5",
    "polypharmacy_10",
    "polypharmacy_effort_group",
    "glp1_without_other_antidiabetic",
    "low_continuity",
]
CHRONIC = [
    "diabetes",
    "copd",
    "asthma",
    "hypertension",
    "ischaemic_heart_disease",
    "heart_failure",
    "depression",
    "severe_mental_illness",
]
FLS_GROUPS = ["1", "2a", "2b", "3"]


def face_to_face_codes():
    out = []
    for line in CONTACT_CODES.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("code,"):
            continue
        cells = line.split(",")
        if cells[2].strip() == "true":
            out.append(cells[0].strip())
    return out


def minus_months(d, months):
    """The same calendar day `months` earlier, clamped to the month's end (chrono's rule)."""
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    m += 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


# ---------------------------------------------------------------------------------------------
# The query


def lists_sql(date, clinic=None):
    """Every clinic's counts at `date` (or only `clinic`'s) as one query."""
    d = f"DATE '{date.isoformat()}'"
    only = f"AND clinic_id = '{clinic}'" if clinic else ""
    window_from = f"DATE '{minus_months(date, 24).isoformat()}'"
    a10_from = f"DATE '{minus_months(date, 12).isoformat()}'"
    f2f = ", ".join(f"'{c}'" for c in face_to_face_codes())
    dx_code_cols = ",\n    ".join(f"{cond} AS c_{name}" for name, cond in DX_FLAGS.items())
    dx_cols = ",\n    ".join(f"bool_or(present AND c_{name}) AS dx_{name}" for name in DX_FLAGS)
    rx_code_cols = ",\n    ".join(f"{cond} AS c_{name}" for name, cond in RX_ACTIVE_FLAGS.items())
    rx_cols = ",\n    ".join(f"bool_or(active AND c_{name}) AS rx_{name}" for name in RX_ACTIVE_FLAGS)
    f = lambda col: f"coalesce({col}, false)"  # noqa: E731
    either = lambda name: f"({f('dx_' + name)} OR {f('rx_' + name)})"  # noqa: E731
    chronic = {
        "diabetes": either("diabetes"),
        "copd": either("copd"),
        "asthma": f("dx_asthma"),
        "hypertension": f("dx_hypertension"),
        "ischaemic_heart_disease": f("dx_ischaemic_heart_disease"),
        "heart_failure": f("dx_heart_failure"),
        "depression": f("dx_depression"),
        "severe_mental_illness": f"({f('dx_severe_mental_illness')} OR {f('rx_lithium')})",
    }
    flag_exprs = {
        "dementia": either("dementia"),
        "osteoporosis": f"({either('osteoporosis')} OR coalesce(t <= -2.5, false))",
        "triple_whammy": f"({f('rx_nsaid')} AND {f('rx_ras')} AND {f('rx_diuretic')})",
        "atrial_fibrillation": f("dx_atrial_fibrillation"),
        "atrial_fibrillation_without_oac": f"({f('dx_atrial_fibrillation')} AND NOT {f('rx_oac')})",
        "opioid": f("rx_opioid"),
        "opioid_long_term": "opioid_episode_from IS NOT NULL",
        "adhd": either("adhd"),
        **chronic,
        "multimorbidity": "("
        + " + ".join(f"{chronic[c]}::INT" for c in CHRONIC)
        + ") >= 2",
        "polypharmacy_5": "coalesce(substances, 0) >= 5",
        "polypharmacy_10": "coalesce(substances, 0) >= 10",
        "glp1_without_other_antidiabetic": f"({f('rx_glp1')} AND NOT {f('rx_a10_recent')})",
        "low_continuity": "coalesce(contacts, 0) >= 4 AND upc < 0.5",
    }
    flags = ",\n    ".join(f"{expr} AS {name}" for name, expr in flag_exprs.items())
    sums = ",\n  ".join(f"count(*) FILTER (WHERE {name}) AS {name}" for name in LISTS)
    fls = ",\n  ".join(f"count(*) FILTER (WHERE fls = '{g}') AS fls_{g}" for g in FLS_GROUPS)
    return f"""
WITH
pop AS (
  SELECT patient_id, clinic_id FROM patients
  WHERE clinic_id IS NOT NULL AND birth_date <= {d}
    AND (deceased_date IS NULL OR deceased_date > {d}) {only}
),
-- Rows on or before D of the population's patients. Each distinct code is classified once
-- (normalised, then matched against every list's prefixes), as Almen does, and joined back.
dx AS MATERIALIZED (
  SELECT patient_id, system, code, date, (end_date IS NULL OR end_date >= {d}) AS present
  FROM diagnoses
  WHERE date <= {d} AND patient_id IN (SELECT patient_id FROM pop)
),
dx_code AS (
  SELECT system, code,
    {dx_code_cols},
    {FRACTURE} AS c_fracture
  FROM (
    SELECT system, code, sys,
      CASE WHEN sys = 'ICD10' AND regexp_matches(c0, '^[A-Z][0-9]') THEN 'D' || c0 ELSE c0 END AS c
    FROM (
      SELECT system, code, upper(trim(system)) AS sys, upper(replace(trim(code), '.', '')) AS c0
      FROM (SELECT DISTINCT system, code FROM dx)
    )
  )
),
dxc AS MATERIALIZED (
  SELECT * FROM dx JOIN dx_code USING (system, code)
),
dxf AS (
  SELECT patient_id,
    {dx_cols}
  FROM dxc GROUP BY patient_id
),
rx AS (
  SELECT patient_id, atc, start_date AS s, end_date AS e,
    (end_date IS NULL OR end_date >= {d}) AS active
  FROM prescriptions
  WHERE start_date <= {d} AND patient_id IN (SELECT patient_id FROM pop)
),
atc_code AS (
  SELECT atc, substr(a, 1, 7) AS substance,
    {rx_code_cols},
    {rx('A10', 'A10BJ')} AS c_a10
  FROM (SELECT atc, upper(replace(trim(atc), '.', '')) AS a FROM (SELECT DISTINCT atc FROM rx))
),
rxc AS MATERIALIZED (
  SELECT * FROM rx JOIN atc_code USING (atc)
),
rxf AS (
  SELECT patient_id,
    {rx_cols},
    bool_or(s >= {a10_from} AND c_a10) AS rx_a10_recent
  FROM rxc GROUP BY patient_id
),
-- Distinct active substances: ATC codes cut to 7 characters.
subst AS (
  SELECT patient_id, count(*) AS substances
  FROM (SELECT DISTINCT patient_id, substance FROM rxc WHERE active)
  GROUP BY patient_id
),
-- Long-term opioid: ordered by start, a prescription starting more than 14 days after the
-- coverage so far ends starts a new episode; the last episode must reach D and be >= 90 days.
op AS (
  SELECT patient_id, s, least(coalesce(e, {d}), {d}) AS e FROM rxc WHERE c_opioid
),
op_prev AS (
  SELECT *, max(e) OVER (PARTITION BY patient_id ORDER BY s, e
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
  FROM op
),
op_episode AS (
  SELECT *, sum(CASE WHEN prev_end IS NULL OR s - prev_end > 14 THEN 1 ELSE 0 END)
              OVER (PARTITION BY patient_id ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS episode
  FROM op_prev
),
opi AS (
  SELECT patient_id, min(s) AS opioid_episode_from
  FROM op_episode GROUP BY patient_id, episode
  HAVING max(e) >= {d} AND {d} - min(s) >= 90
),
-- The latest DXA T-score on or before D (ties on a date: the lowest value) and its FLS group.
dxa AS (
  SELECT patient_id, date AS scan, value AS t FROM observations
  WHERE upper(trim(code)) = 'DXA_TSCORE' AND date <= {d}
    AND patient_id IN (SELECT patient_id FROM pop)
  QUALIFY row_number() OVER (PARTITION BY patient_id ORDER BY date DESC, value ASC) = 1
),
fracture AS (
  SELECT DISTINCT x.patient_id FROM dxa x JOIN dxc USING (patient_id)
  WHERE x.t <= -2.5 AND dxc.date <= x.scan AND c_fracture
),
fls AS (
  SELECT x.patient_id, x.t,
    CASE WHEN x.t <= -3.5 OR (x.t <= -2.5 AND fr.patient_id IS NOT NULL) THEN '3'
         WHEN x.t <= -2.5 THEN '2b' WHEN x.t <= -1.0 THEN '2a' ELSE '1' END AS fls
  FROM dxa x LEFT JOIN fracture fr USING (patient_id)
),
-- Continuity: face-to-face contacts (date, doctor) with the own clinic in (D - 24 months, D].
contact AS (
  SELECT cl.patient_id, cl.doctor_id, cl.service_date
  FROM claims cl JOIN pop p ON cl.patient_id = p.patient_id AND cl.clinic_id = p.clinic_id
  WHERE cl.doctor_id IS NOT NULL AND cl.service_date > {window_from} AND cl.service_date <= {d}
    AND cl.service_code IN ({f2f})
  GROUP BY ALL HAVING sum(cl.quantity) > 0
),
per_doctor AS (
  SELECT patient_id, doctor_id, count(*) AS n FROM contact GROUP BY ALL
),
cont AS (
  SELECT patient_id, sum(n) AS contacts,
    CASE WHEN sum(n) >= 2 THEN max(n) / sum(n) END AS upc
  FROM per_doctor GROUP BY patient_id
),
flags AS (
  SELECT p.clinic_id, substances, fls, coalesce(contacts, 0) >= 2 AS has_index,
    {flags}
  FROM pop p
    LEFT JOIN dxf USING (patient_id)
    LEFT JOIN rxf USING (patient_id)
    LEFT JOIN subst USING (patient_id)
    LEFT JOIN opi USING (patient_id)
    LEFT JOIN fls USING (patient_id)
    LEFT JOIN cont USING (patient_id)
),
-- Polypharmacy effort group: with n patients, k = ceil(4 n / 100); the cut is the k-th
-- highest number of active substances (the largest v with at least k patients at v or above),
-- at least 5; ties at the cut are in.
hist AS (
  SELECT clinic_id, coalesce(substances, 0) AS v, count(*) AS m FROM flags GROUP BY ALL
),
cum AS (
  SELECT clinic_id, v,
    sum(m) OVER (PARTITION BY clinic_id ORDER BY v DESC ROWS UNBOUNDED PRECEDING) AS at_or_above,
    sum(m) OVER (PARTITION BY clinic_id) AS n
  FROM hist
),
cut AS (
  SELECT clinic_id, greatest(max(v), 5) AS cut FROM cum
  WHERE at_or_above >= ceil(4.0::DOUBLE * n / 100.0::DOUBLE - 1e-9)
  GROUP BY clinic_id
),
final AS (
  SELECT f.*, coalesce(f.substances, 0) >= c.cut AS polypharmacy_effort_group
  FROM flags f LEFT JOIN cut c USING (clinic_id)
)
SELECT clinic_id,
  count(*) AS population,
  {sums},
  count(*) FILTER (WHERE has_index) AS continuity_patients,
  {fls}
FROM final
GROUP BY clinic_id
ORDER BY clinic_id
"""


# ---------------------------------------------------------------------------------------------
# Sources: views over the files (Parquet read inside the query) or tables loaded first

TABLES = {
    "patients": {
        "patient_id": "VARCHAR",
        "birth_date": "DATE",
        "clinic_id": "VARCHAR",
        "deceased_date": "DATE",
    },
    "diagnoses": {
        "patient_id": "VARCHAR",
        "system": "VARCHAR",
        "code": "VARCHAR",
        "date": "DATE",
        "end_date": "DATE",
    },
    "prescriptions": {
        "patient_id": "VARCHAR",
        "atc": "VARCHAR",
        "start_date": "DATE",
        "end_date": "DATE",
    },
    "observations": {
        "patient_id": "VARCHAR",
        "code": "VARCHAR",
        "value": "DOUBLE",
        "date": "DATE",
    },
    "claims": {
        "patient_id": "VARCHAR",
        "clinic_id": "VARCHAR",
        "doctor_id": "VARCHAR",
        "service_code": "VARCHAR",
        "quantity": "INTEGER",
        "service_date": "DATE",
    },
}


def source(data, table):
    """A SELECT of the columns the lists need from a table's file (Parquet, CSV or CSV.gz)."""
    cols = TABLES[table]
    for ext, reader in (
        (".parquet", "read_parquet('{}')"),
        (".csv", "read_csv('{}', header = true, all_varchar = true)"),
        (".csv.gz", "read_csv('{}', header = true, all_varchar = true)"),
    ):
        path = data / (table + ext)
        if path.exists():
            if ext == ".parquet":
                sel = ", ".join(f'"{c}"' for c in cols)
            else:
                sel = ", ".join(f"CAST(nullif(\"{c}\", '') AS {t}) AS \"{c}\"" for c, t in cols.items())
            return f"SELECT {sel} FROM {reader.format(path.as_posix())}"
    # An absent optional table: empty, with the right columns.
    sel = ", ".join(f'NULL::{t} AS "{c}"' for c, t in cols.items())
    return f"SELECT {sel} WHERE false"


def connect(threads):
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads TO {threads}")
    return con


def timed(con, sql, repeat):
    runs, rows, cols = [], None, None
    for _ in range(repeat):
        t = time.perf_counter()
        cur = con.execute(sql)
        rows = cur.fetchall()
        runs.append(time.perf_counter() - t)
        cols = [c[0] for c in cur.description]
    return runs, [dict(zip(cols, r)) for r in rows]


# ---------------------------------------------------------------------------------------------
# Main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--almen", required=True, help="the almen binary (a release build)")
    ap.add_argument("--data", required=True, type=Path, help="the dataset folder")
    ap.add_argument("--date", help="reference date YYYY-MM-DD (default: the dataset's last date)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    args = ap.parse_args()

    # 1. Almen.
    cmd = [args.almen, "cockpit", "bench", "--data", str(args.data), "--repeat", str(args.repeat), "--format", "json"]
    if args.date:
        cmd += ["--date", args.date]
    print(f"running {' '.join(cmd)}", file=sys.stderr)
    t = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"almen cockpit bench failed:\n{run.stderr}")
    almen = json.loads(run.stdout)
    almen_wall = time.perf_counter() - t
    date = dt.date.fromisoformat(almen["date"])
    sql = lists_sql(date)

    # 2a. DuckDB on the files: every query reads the Parquet files.
    print("running DuckDB on the files", file=sys.stderr)
    con = connect(args.threads)
    for table in TABLES:
        con.execute(f"CREATE VIEW {table} AS {source(args.data, table)}")
    files_runs, files_rows = timed(con, sql, args.repeat)
    con.close()

    # 2b. DuckDB after loading the columns the lists need into tables.
    print("running DuckDB on loaded tables", file=sys.stderr)
    con = connect(args.threads)
    t = time.perf_counter()
    for table in TABLES:
        con.execute(f"CREATE TABLE {table} AS {source(args.data, table)}")
    duck_load = time.perf_counter() - t
    tables_runs, tables_rows = timed(con, sql, args.repeat)
    one = almen["one_clinic"]
    one_runs, one_rows = timed(con, lists_sql(date, one["clinic_id"]), max(args.repeat, 5))
    con.close()

    # 3. Exact comparison.
    keys = LISTS + ["population", "continuity_patients"] + [f"fls_{g}" for g in FLS_GROUPS]
    idx = {lid: i for i, lid in enumerate(almen["lists"])}
    missing = [lid for lid in LISTS if lid not in idx]
    if missing:
        sys.exit(f"Almen's bench output lacks the lists {missing}")
    a_counts = {}
    for c in almen["clinics"]:
        row = {lid: c["counts"][idx[lid]] for lid in LISTS}
        row["population"] = c["population"]
        row["continuity_patients"] = c["continuity_patients"]
        for g, n in zip(FLS_GROUPS, c["fls_groups"]):
            row[f"fls_{g}"] = n
        a_counts[c["clinic_id"]] = row
    mismatches = []
    for label, rows, clinics in (
        ("files", files_rows, None),
        ("tables", tables_rows, None),
        ("one clinic", one_rows, [one["clinic_id"]]),
    ):
        d_counts = {r["clinic_id"]: r for r in rows}
        for clinic in clinics or sorted(set(a_counts) | set(d_counts)):
            a = a_counts.get(clinic, {})
            b = d_counts.get(clinic, {})
            for k in keys:
                x, y = a.get(k, 0), int(b.get(k) or 0)
                if x != y:
                    mismatches.append((label, clinic, k, x, y))
    totals_a = {k: sum(r[k] for r in a_counts.values()) for k in keys}
    totals_d = {k: sum(int(r.get(k) or 0) for r in tables_rows) for k in keys}

    # 4. Report.
    best = lambda v: min(v)  # noqa: E731
    med = lambda v: statistics.median(v)  # noqa: E731
    a_all = almen["evaluate_all_seconds"]
    rows = almen["rows"]
    print()
    print(
        f"dataset {args.data}: {rows['clinics']:,} clinics, {rows['patients']:,} patients "
        f"({almen['population']:,} in the population at {date}), {rows['diagnoses']:,} diagnoses, "
        f"{rows['prescriptions']:,} prescriptions, {rows['observations']:,} observations, "
        f"{rows['claims']:,} claim lines"
    )
    print(f"machine: {args.threads} threads for DuckDB, {almen['cores']} cores for Almen; "
          f"DuckDB {duckdb.__version__}; best of {args.repeat} runs")
    print()
    print(f"{'all 22 lists, every clinic':<44} {'Almen':>10} {'DuckDB':>10} {'DuckDB/Almen':>13}")
    line = "{:<44} {:>9.3f}s {:>9.3f}s {:>12.1f}x"
    print(line.format("after load (Almen in memory; DuckDB tables)", best(a_all["runs"]),
                      best(tables_runs), best(tables_runs) / best(a_all["runs"])))
    print(line.format("from the files (Almen load + evaluate)",
                      almen["load_seconds"] + best(a_all["runs"]), best(files_runs),
                      best(files_runs) / (almen["load_seconds"] + best(a_all["runs"]))))
    print(f"{'load: Almen all tables / DuckDB needed columns':<44} {almen['load_seconds']:>9.3f}s {duck_load:>9.3f}s")
    a_one = best(one["seconds"]["runs"])
    print(f"{'one clinic (' + one['clinic_id'] + ', ' + str(one['population']) + ' patients)':<44} "
          f"{a_one * 1000:>8.1f}ms {best(one_runs) * 1000:>8.1f}ms {best(one_runs) / a_one:>12.1f}x")
    print("(one clinic: Almen's time includes every member's reasons; DuckDB's only the counts)")
    print(f"(median all clinics: Almen {med(a_all['runs']):.3f} s, DuckDB tables {med(tables_runs):.3f} s, "
          f"DuckDB files {med(files_runs):.3f} s; Almen's process wall time {almen_wall:.1f} s)")
    print()
    print(f"{'list':<34} {'Almen':>10} {'DuckDB':>10}")
    for k in keys:
        mark = "" if totals_a[k] == totals_d[k] else "  <-- differs"
        print(f"{k:<34} {totals_a[k]:>10,} {totals_d[k]:>10,}{mark}")
    n_checked = len(a_counts) * len(keys)
    if mismatches:
        print(f"\nMISMATCH: {len(mismatches)} of {n_checked} clinic x count cells differ (first 30):")
        for m in mismatches[:30]:
            print("  {}: clinic {} {}: Almen {} DuckDB {}".format(*m))
    else:
        print(f"\ncounts agree: {len(a_counts):,} clinics x {len(keys)} counts "
              f"({len(LISTS)} lists + population, continuity patients, 4 FLS groups), in DuckDB's runs on the files, on tables and for one clinic")

    if args.json:
        args.json.write_text(json.dumps({
            "almen": {k: v for k, v in almen.items() if k != "clinics"},
            "duckdb": {
                "version": duckdb.__version__,
                "threads": args.threads,
                "files_seconds": files_runs,
                "load_seconds": duck_load,
                "tables_seconds": tables_runs,
                "one_clinic_seconds": one_runs,
            },
            "mismatches": len(mismatches),
        }, indent=2))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
