//! The KPI report over the calls in the database for a chosen period: the targets as tiles,
//! the wait-time distribution and the service level by hour as inline SVG drawn here (no
//! script, nothing from the network), with the targets drawn in. Aggregates only, so the
//! analyst may read it too.

use super::board::{KPI_COLUMNS, Tile, kpi_call, tiles};
use super::model::Rule;
use super::text::VagtText;
use super::{VagtError, clock};
use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::db::Db;
use crate::i18n::Lang;
use crate::pages::{Page, render};
use almen_core::{Day, Timestamp};
use almen_kpi::{
    GroupBy, KpiOptions, KpiReport, TARGET_AVG_WAIT_S, TARGET_WITHIN_15_MIN, TARGET_WITHIN_20_MIN,
    WAIT_15_MIN_S, WAIT_20_MIN_S,
};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

const READERS: &[Role] = &[Role::Coordinator, Role::Analyst];

/// Width of one bar of the wait histogram, in minutes, and the number of bars before the last
/// one, which holds every longer wait.
const BIN_MINUTES: i64 = 2;
const BINS: usize = 20;

#[derive(Debug, Deserialize)]
pub(crate) struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

/// A date's local midnight, or an RFC 3339 time.
fn instant(s: &str) -> Option<Timestamp> {
    if let Ok(d) = Day::parse(s) {
        return d
            .to_naive()
            .and_hms_opt(0, 0, 0)
            .and_then(|m| Timestamp::from_local(m).ok());
    }
    Timestamp::parse(s).ok()
}

/// The period asked for; by default the seven days up to and including the service clock's.
async fn period(db: &Db, q: &PeriodQuery) -> Result<(Timestamp, Timestamp), VagtError> {
    let bad = || {
        Rule::invalid(
            "invalid_period",
            "from/to: dates YYYY-MM-DD (or RFC 3339 times), with to after from",
            "from/to: datoer ÅÅÅÅ-MM-DD (eller RFC 3339-tidspunkter), med to efter from",
        )
    };
    let today = Day::from_naive(clock(db).await?.to_local().date_naive());
    let default_to = instant(&today.add_days(1).to_string()).ok_or_else(bad)?;
    let to = match q.to.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => instant(s).ok_or_else(bad)?,
        None => default_to,
    };
    let from = match q.from.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => instant(s).ok_or_else(bad)?,
        None => to.plus_seconds(-7 * 24 * 3600),
    };
    if to <= from {
        return Err(bad().into());
    }
    Ok((from, to))
}

/// One bar of the wait histogram: waits in `[from_min, to_min)` minutes (`to_min` null for the
/// last, open bar).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Bin {
    pub from_min: i64,
    pub to_min: Option<i64>,
    pub calls: u64,
}

async fn compute(
    db: &Db,
    from: Timestamp,
    to: Timestamp,
) -> Result<(KpiReport, Vec<Bin>), VagtError> {
    let rows = sqlx::query(&format!(
        "SELECT {KPI_COLUMNS} FROM vagt_calls WHERE received_at >= $1 AND received_at < $2 \
         AND state NOT IN ('queued', 'offered') ORDER BY received_at"
    ))
    .bind(from.unix())
    .bind(to.unix())
    .fetch_all(db.pool())
    .await?;
    let calls = rows.iter().map(kpi_call).collect::<Result<Vec<_>, _>>()?;
    let report = almen_kpi::kpis(
        &calls,
        &KpiOptions {
            by: Some(GroupBy::Hour),
            ..KpiOptions::default()
        },
    );
    let mut bins: Vec<Bin> = (0..=BINS)
        .map(|i| Bin {
            from_min: i as i64 * BIN_MINUTES,
            to_min: (i < BINS).then_some((i as i64 + 1) * BIN_MINUTES),
            calls: 0,
        })
        .collect();
    for c in &calls {
        if c.outcome == almen_dataset::Outcome::Abandoned {
            continue;
        }
        if let Some(answered) = c.answered_at {
            let minutes = c.received_at.seconds_until(answered).max(0) / 60;
            let i = ((minutes / BIN_MINUTES) as usize).min(BINS);
            bins[i].calls += 1;
        }
    }
    Ok((report, bins))
}

/// The calls received in `[from, to)` that have left the queue, as KPI rows: what
/// `almen vagt kpi --database` scores. Calls still waiting have no wait yet and are left out,
/// as on the report page.
pub async fn calls_in_database(
    db: &Db,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> Result<Vec<almen_kpi::Call>, crate::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {KPI_COLUMNS} FROM vagt_calls WHERE received_at >= $1 AND received_at < $2 \
         AND state NOT IN ('queued', 'offered') ORDER BY received_at, id"
    ))
    .bind(from.map_or(i64::MIN, Timestamp::unix))
    .bind(to.map_or(i64::MAX, Timestamp::unix))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(kpi_call).collect::<Result<Vec<_>, _>>()?)
}

/// `GET /api/v1/vagt/report?from=YYYY-MM-DD&to=YYYY-MM-DD`: the KPI report (the fields of
/// `almen vagt kpi --format json`, grouped by hour) and the wait histogram.
pub(crate) async fn json(
    State(state): State<AppState>,
    Query(q): Query<PeriodQuery>,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(READERS)?;
    let (from, to) = period(&state.db, &q).await?;
    let (report, bins) = compute(&state.db, from, to).await?;
    Ok(Json(serde_json::json!({ "report": report, "wait_histogram": bins })).into_response())
}

#[derive(Template)]
#[template(path = "vagt/report.html")]
struct ReportTemplate {
    page: Page,
    vt: &'static VagtText,
    /// The module's other pages for the user's role.
    links: Vec<(&'static str, &'static str)>,
    from: String,
    to: String,
    calls: u64,
    tiles: Vec<Tile>,
    histogram: String,
    by_hour: String,
    rows: Vec<HourRow>,
    message: Option<String>,
}

struct HourRow {
    hour: String,
    calls: u64,
    answered: u64,
    avg_wait: String,
    within_15: String,
    within_20: String,
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |s| format!("{:.0} %", s * 100.0))
}

/// `GET /vagt/report?from=&to=`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Query(q): Query<PeriodQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(READERS)?;
    let vt = VagtText::of(lang);
    let (period, message, status) = match period(&state.db, &q).await {
        Ok(p) => (p, None, StatusCode::OK),
        Err(VagtError::Rule(_)) => (
            period(
                &state.db,
                &PeriodQuery {
                    from: None,
                    to: None,
                },
            )
            .await?,
            Some(vt.bad_date.to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return Err(e),
    };
    let (from, to) = period;
    let (report, bins) = compute(&state.db, from, to).await?;
    let rows = report
        .groups
        .iter()
        .map(|g| HourRow {
            hour: format!("{:0>2}", g.key),
            calls: g.calls,
            answered: g.answered,
            avg_wait: g.avg_wait_s.map_or_else(
                || "–".to_string(),
                |s| super::model::minutes_seconds(s.round() as i64),
            ),
            within_15: pct(g.within_15_min),
            within_20: pct(g.within_20_min),
        })
        .collect();
    let date = |t: Timestamp| t.to_local().format("%Y-%m-%d").to_string();
    let mut res = render(&ReportTemplate {
        page: Page::new(&state, lang, &user, "/vagt/report", vt.report_title),
        vt,
        links: vt.links(user.role),
        from: date(from),
        to: date(to),
        calls: report.calls,
        tiles: tiles(&report.kpis, &report.targets, vt),
        histogram: histogram_svg(&bins, report.avg_wait_s, vt),
        by_hour: by_hour_svg(&report, vt),
        rows,
        message,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

/// Plot area of both charts, in SVG user units.
const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 34.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The wait histogram: one bar per [`BIN_MINUTES`], the targets' minutes as vertical lines.
fn histogram_svg(bins: &[Bin], avg_wait_s: Option<f64>, vt: &VagtText) -> String {
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let max = bins.iter().map(|b| b.calls).max().unwrap_or(0).max(1) as f64;
    let n = bins.len() as f64;
    let bar_w = plot_w / n;
    // Minutes to x: the last, open bin sits after the others.
    let x_of = |minutes: f64| LEFT + minutes / BIN_MINUTES as f64 * bar_w;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{}" data-testid="wait-histogram"><title>{}</title>"#,
        esc(vt.wait_distribution),
        esc(vt.wait_distribution)
    );
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{}" x2="{}" y2="{}" stroke="#5b6b78"/>"##,
        TOP + plot_h,
        W - RIGHT,
        TOP + plot_h
    );
    for (i, b) in bins.iter().enumerate() {
        let h = b.calls as f64 / max * plot_h;
        let x = LEFT + i as f64 * bar_w;
        let label = match b.to_min {
            Some(to) => format!("{}–{} min: {}", b.from_min, to, b.calls),
            None => format!("≥ {} min: {}", b.from_min, b.calls),
        };
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#1f6f78"><title>{}</title></rect>"##,
            x + 1.0,
            TOP + plot_h - h,
            (bar_w - 2.0).max(1.0),
            h,
            esc(&label)
        );
        if b.from_min % 10 == 0 {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">{}{}</text>"#,
                x,
                TOP + plot_h + 14.0,
                if b.to_min.is_none() { "≥" } else { "" },
                b.from_min
            );
        }
    }
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        LEFT + plot_w / 2.0,
        H - 4.0,
        esc(vt.minutes)
    );
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="end">{}</text><text x="{}" y="{}" text-anchor="end">0</text>"#,
        LEFT - 4.0,
        TOP + 8.0,
        max as u64,
        LEFT - 4.0,
        TOP + plot_h
    );
    let lines = [
        (
            TARGET_AVG_WAIT_S / 60.0,
            "#b7791f",
            "6 3",
            format!("{} ≤ 12", vt.target),
        ),
        (WAIT_15_MIN_S as f64 / 60.0, "#9b2c2c", "", "15".to_string()),
        (WAIT_20_MIN_S as f64 / 60.0, "#9b2c2c", "", "20".to_string()),
    ];
    for (minutes, colour, dash, label) in lines {
        let x = x_of(minutes);
        let _ = write!(
            s,
            r#"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{}" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/><text x="{:.1}" y="{}" fill="{colour}">{}</text>"#,
            TOP + plot_h,
            x + 3.0,
            TOP + 10.0,
            esc(&label)
        );
    }
    if let Some(avg) = avg_wait_s {
        let x = x_of(avg / 60.0).min(W - RIGHT);
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{}" stroke="#2b6cb0" stroke-width="2"/><text x="{:.1}" y="{}" fill="#2b6cb0">{} {}</text>"##,
            TOP + plot_h,
            x + 3.0,
            TOP + 52.0,
            esc(vt.kpi_avg_wait),
            super::model::minutes_seconds(avg.round() as i64)
        );
    }
    s.push_str("</svg>");
    s
}

/// Service level by hour of day: bars for the share within 15 minutes, dots for the share
/// within 20, the 70 % and 80 % targets as dashed lines.
fn by_hour_svg(report: &KpiReport, vt: &VagtText) -> String {
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let slot = plot_w / 24.0;
    let y_of = |share: f64| TOP + plot_h - share.clamp(0.0, 1.0) * plot_h;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{}" data-testid="service-by-hour"><title>{}</title>"#,
        esc(vt.service_by_hour),
        esc(vt.service_by_hour)
    );
    for pct in [0u32, 50, 100] {
        let y = y_of(f64::from(pct) / 100.0);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#d8e0e6"/><text x="{}" y="{:.1}" text-anchor="end">{pct} %</text>"##,
            W - RIGHT,
            LEFT - 4.0,
            y + 4.0
        );
    }
    for g in &report.groups {
        let Ok(hour) = g.key.parse::<u32>() else {
            continue;
        };
        let x = LEFT + f64::from(hour) * slot;
        if let Some(share) = g.within_15_min {
            let y = y_of(share);
            let fill = if share >= TARGET_WITHIN_15_MIN {
                "#2f855a"
            } else {
                "#9b2c2c"
            };
            let _ = write!(
                s,
                r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{fill}"><title>{:02}: {:.0} % {} ({} {})</title></rect>"#,
                x + 2.0,
                (slot - 4.0).max(1.0),
                TOP + plot_h - y,
                hour,
                share * 100.0,
                esc(vt.share_within_15),
                g.answered,
                esc(vt.kpi_answered)
            );
        }
        if let Some(share) = g.within_20_min {
            let _ = write!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#2b6cb0"><title>{:02}: {:.0} % {}</title></circle>"##,
                x + slot / 2.0,
                y_of(share),
                hour,
                share * 100.0,
                esc(vt.share_within_20)
            );
        }
    }
    for hour in (0..24).step_by(3) {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{:02}</text>"#,
            LEFT + (f64::from(hour) + 0.5) * slot,
            TOP + plot_h + 14.0,
            hour
        );
    }
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        LEFT + plot_w / 2.0,
        H - 4.0,
        esc(vt.hour)
    );
    for (target, colour, label) in [
        (TARGET_WITHIN_15_MIN, "#9b2c2c", "70 %"),
        (TARGET_WITHIN_20_MIN, "#2b6cb0", "80 %"),
    ] {
        let y = y_of(target);
        let _ = write!(
            s,
            r#"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="{colour}" stroke-width="2" stroke-dasharray="6 3"/><text x="{}" y="{:.1}" text-anchor="end" fill="{colour}">{} {label}</text>"#,
            W - RIGHT,
            W - RIGHT - 2.0,
            y - 3.0,
            esc(vt.target)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_charts_escape_their_labels_and_close() {
        let bins = vec![
            Bin {
                from_min: 0,
                to_min: Some(2),
                calls: 3,
            },
            Bin {
                from_min: 2,
                to_min: None,
                calls: 1,
            },
        ];
        let svg = histogram_svg(&bins, Some(90.0), &super::super::text::EN);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("target ≤ 12"));
        assert_eq!(esc("<a&\">"), "&lt;a&amp;&quot;&gt;");
    }
}
