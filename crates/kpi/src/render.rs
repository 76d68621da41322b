//! Plain-text tables for the command line: waits as mm:ss, shares as percentages, each KPI
//! against its target with ✓ or ✗ (– where there is no value to judge).

use crate::kpi::{AbandonedRule, Direction, GroupBy, KpiReport, Kpis, TargetCheck, Targets};
use crate::weekend::Weekend0745Report;
use std::fmt::Write;

/// `mm:ss`, rounded to the second (minutes are not wrapped into hours: `75:00`); `–` for none.
pub fn format_wait(seconds: Option<f64>) -> String {
    match seconds {
        None => "–".to_string(),
        Some(s) => {
            let total = s.round() as i64;
            let sign = if total < 0 { "-" } else { "" };
            let t = total.abs();
            format!("{sign}{:02}:{:02}", t / 60, t % 60)
        }
    }
}

/// `71.2 %`; `–` for none.
pub fn format_share(share: Option<f64>) -> String {
    match share {
        None => "–".to_string(),
        Some(s) => format!("{:.1} %", s * 100.0),
    }
}

fn mark(pass: Option<bool>) -> &'static str {
    match pass {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "–",
    }
}

fn target_text(check: &TargetCheck, is_wait: bool) -> String {
    let op = match check.direction {
        Direction::AtMost => "≤",
        Direction::AtLeast => "≥",
    };
    if is_wait {
        format!("{op} {}", format_wait(Some(check.target)))
    } else {
        format!("{op} {:.0} %", check.target * 100.0)
    }
}

fn rule_text(rule: AbandonedRule) -> &'static str {
    match rule {
        AbandonedRule::Excluded => {
            "excluded from the waits and service levels (reported beside them)"
        }
        AbandonedRule::CountAsMissed => {
            "counted as missed in the service levels (waits are of answered calls)"
        }
    }
}

/// Aligns cells into columns: the first `left` columns left-aligned, the rest right-aligned.
fn table(header: &[&str], rows: &[Vec<String>], left: usize) -> String {
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(n) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate().take(n) {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = widths[i] - cell.chars().count();
            if i < left {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad));
            } else {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The KPI/value/target/✓ rows for one set of KPIs.
fn kpi_rows(k: &Kpis, t: &Targets, rule: AbandonedRule) -> Vec<Vec<String>> {
    let judged = |label: &str, value: String, check: &TargetCheck, is_wait: bool, n: String| {
        vec![
            label.to_string(),
            value,
            target_text(check, is_wait),
            mark(check.pass).to_string(),
            n,
        ]
    };
    let plain = |label: &str, value: String| vec![label.to_string(), value];
    let n = |count: u64| format!("n = {count}");
    let service_level_base = match rule {
        AbandonedRule::Excluded => k.answered,
        AbandonedRule::CountAsMissed => k.answered + k.abandoned,
    };
    vec![
        judged(
            "Average wait",
            format_wait(k.avg_wait_s),
            &t.avg_wait_s,
            true,
            n(k.answered),
        ),
        plain("Median wait", format_wait(k.median_wait_s)),
        plain("90th percentile wait", format_wait(k.p90_wait_s)),
        judged(
            "Answered within 15 min",
            format_share(k.within_15_min),
            &t.within_15_min,
            false,
            n(service_level_base),
        ),
        judged(
            "Answered within 20 min",
            format_share(k.within_20_min),
            &t.within_20_min,
            false,
            n(service_level_base),
        ),
        judged(
            "Consultations finished within 1 h of booking",
            format_share(k.consultations_within_1h),
            &t.consultations_within_1h,
            false,
            n(k.consultations),
        ),
        judged(
            "Home visits started within 3 h of triage",
            format_share(k.home_visits_within_3h),
            &t.home_visits_within_3h,
            false,
            n(k.home_visits),
        ),
        plain("Abandonment rate", format_share(k.abandonment_rate)),
    ]
}

const GROUP_HEADER: [&str; 13] = [
    "",
    "calls",
    "answered",
    "abandoned",
    "avg wait",
    "median",
    "p90",
    "≤15 min",
    "≤20 min",
    "cons ≤1 h",
    "visits ≤3 h",
    "abandon %",
    "targets",
];

fn group_row(key: &str, k: &Kpis) -> Vec<String> {
    vec![
        key.to_string(),
        k.calls.to_string(),
        k.answered.to_string(),
        k.abandoned.to_string(),
        format_wait(k.avg_wait_s),
        format_wait(k.median_wait_s),
        format_wait(k.p90_wait_s),
        format_share(k.within_15_min),
        format_share(k.within_20_min),
        format_share(k.consultations_within_1h),
        format_share(k.home_visits_within_3h),
        format_share(k.abandonment_rate),
        mark(Targets::check(k).all_pass()).to_string(),
    ]
}

/// The report as text: a header with counts and the rule for abandoned calls, each KPI with
/// its value, target and ✓/✗, then one row per group.
pub fn render_table(report: &KpiReport) -> String {
    let k = &report.kpis;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Out-of-hours KPIs: {} calls, {} answered, {} abandoned",
        k.calls, k.answered, k.abandoned
    );
    if report.from.is_some() || report.to.is_some() {
        let show =
            |t: Option<almen_core::Timestamp>| t.map_or("…".to_string(), |t| t.to_string());
        let _ = writeln!(
            out,
            "Received from {} to {} (exclusive)",
            show(report.from),
            show(report.to)
        );
    }
    let _ = writeln!(out, "Abandoned calls: {}", rule_text(report.abandoned_rule));
    out.push('\n');
    out.push_str(&table(
        &["KPI", "value", "target", "", ""],
        &kpi_rows(k, &report.targets, report.abandoned_rule),
        1,
    ));
    if let Some(by) = report.by {
        match by {
            GroupBy::District => {
                let _ = writeln!(out, "\nBy district");
            }
            _ => {
                let _ = writeln!(out, "\nBy {by} (Danish local time the call was received)");
            }
        }
        let rows: Vec<Vec<String>> = report
            .groups
            .iter()
            .map(|g| group_row(&g.key, &g.kpis))
            .collect();
        let mut header = GROUP_HEADER;
        header[0] = by.as_str();
        out.push_str(&table(&header, &rows, 1));
    }
    out
}

/// The weekend 07:45 report as text: the window's KPIs before and after the change side by
/// side, then per 5-minute slot.
pub fn render_weekend_0745(report: &Weekend0745Report) -> String {
    let mut out = String::new();
    let (b, a) = (&report.before, &report.after);
    let _ = writeln!(
        out,
        "Weekend and holiday calls received {} local time; the 07:45 start from {}",
        report.window, report.change_date
    );
    let _ = writeln!(
        out,
        "Calls in the window: before {} (on {} days), after {} (on {} days)",
        b.calls, b.days, a.calls, a.days
    );
    let _ = writeln!(out, "Abandoned calls: {}", rule_text(report.abandoned_rule));
    out.push('\n');
    let row = |label: &str, before: String, after: String, target: String, pb, pa| {
        vec![
            label.to_string(),
            before,
            mark(pb).to_string(),
            after,
            mark(pa).to_string(),
            target,
        ]
    };
    let plain = |label: &str, before: String, after: String| {
        vec![label.to_string(), before, String::new(), after]
    };
    let rows = vec![
        row(
            "Average wait",
            format_wait(b.avg_wait_s),
            format_wait(a.avg_wait_s),
            target_text(&b.targets.avg_wait_s, true),
            b.targets.avg_wait_s.pass,
            a.targets.avg_wait_s.pass,
        ),
        plain(
            "Median wait",
            format_wait(b.median_wait_s),
            format_wait(a.median_wait_s),
        ),
        plain(
            "90th percentile wait",
            format_wait(b.p90_wait_s),
            format_wait(a.p90_wait_s),
        ),
        row(
            "Answered within 15 min",
            format_share(b.within_15_min),
            format_share(a.within_15_min),
            target_text(&b.targets.within_15_min, false),
            b.targets.within_15_min.pass,
            a.targets.within_15_min.pass,
        ),
        row(
            "Answered within 20 min",
            format_share(b.within_20_min),
            format_share(a.within_20_min),
            target_text(&b.targets.within_20_min, false),
            b.targets.within_20_min.pass,
            a.targets.within_20_min.pass,
        ),
        plain(
            "Abandonment rate",
            format_share(b.abandonment_rate),
            format_share(a.abandonment_rate),
        ),
    ];
    out.push_str(&table(
        &["KPI", "before", "", "after", "", "target"],
        &rows,
        1,
    ));
    out.push_str("\nPer 5-minute slot (received)\n");
    let rows: Vec<Vec<String>> = report
        .slots
        .iter()
        .map(|s| {
            vec![
                s.slot.clone(),
                s.before.calls.to_string(),
                format_wait(s.before.avg_wait_s),
                format_share(s.before.within_15_min),
                s.after.calls.to_string(),
                format_wait(s.after.avg_wait_s),
                format_share(s.after.within_15_min),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "slot",
            "calls before",
            "avg wait",
            "≤15 min",
            "calls after",
            "avg wait",
            "≤15 min",
        ],
        &rows,
        1,
    ));
    out
}
