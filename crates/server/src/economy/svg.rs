//! Server-side SVG charts of the economy pages (no scripts: the CSP allows none): the frame's
//! cumulative activity against the frame and its tolerance band with the forecast, the monthly
//! activity against the monthly frame, and the fee simulation's histogram.

use almen_economy::FrameReport;
use almen_economy::fees::Bin;
use std::fmt::Write as _;

const ACTIVITY: &str = "#1f6f78";
const FRAME: &str = "#5b6b78";
const BAND: &str = "#b7791f";

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const W: f64 = 640.0;
const H: f64 = 260.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

fn x_of(i: usize) -> f64 {
    LEFT + (W - LEFT - RIGHT) * (i as f64 + 0.5) / 12.0
}

fn y_of(v: f64, max: f64) -> f64 {
    let max = if max > 0.0 { max } else { 1.0 };
    TOP + (H - TOP - BOTTOM) * (1.0 - v / max)
}

fn axis(s: &mut String, max: f64, labels: &[String]) {
    for k in 0..=4 {
        let v = max * k as f64 / 4.0;
        let y = y_of(v, max);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e2e8f0"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            W - RIGHT,
            LEFT - 4.0,
            y + 4.0,
            amount(v, max)
        );
    }
    for (i, l) in labels.iter().enumerate() {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            x_of(i),
            H - 8.0,
            esc(l)
        );
    }
}

/// An axis amount in a unit that suits the axis' maximum.
fn amount(v: f64, max: f64) -> String {
    if max >= 1e8 {
        format!("{:.0} M", v / 1e6)
    } else if max >= 1e6 {
        format!("{:.1} M", v / 1e6)
    } else {
        format!("{:.0} k", v / 1e3)
    }
}

fn polyline(points: &[(f64, f64)], colour: &str, dash: bool, testid: &str) -> String {
    let pts: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    format!(
        r#"<polyline data-testid="{testid}" fill="none" stroke="{colour}" stroke-width="2"{} points="{}"/>"#,
        if dash {
            r#" stroke-dasharray="5 4""#
        } else {
            ""
        },
        pts.join(" ")
    )
}

/// Cumulative activity (observed solid, forecast dashed) against the cumulative frame and the
/// tolerance band above it, with the year-end forecast interval in December.
pub(crate) fn cumulative(r: &FrameReport, labels: &[String], aria: &str) -> String {
    let tol = 1.0 + r.tolerance;
    let max = r
        .months
        .iter()
        .map(|m| m.cumulative_activity_dkk.max(m.cumulative_frame_dkk * tol))
        .fold(r.forecast.high_dkk, f64::max)
        * 1.05;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{}" data-testid="frame-chart"><title>{}</title>"#,
        esc(aria),
        esc(aria)
    );
    axis(&mut s, max, labels);
    // The tolerance band: between the frame and frame × (1 + tolerance).
    let upper: Vec<(f64, f64)> = r
        .months
        .iter()
        .enumerate()
        .map(|(i, m)| (x_of(i), y_of(m.cumulative_frame_dkk * tol, max)))
        .collect();
    let lower: Vec<(f64, f64)> = r
        .months
        .iter()
        .enumerate()
        .map(|(i, m)| (x_of(i), y_of(m.cumulative_frame_dkk, max)))
        .collect();
    let band: Vec<String> = upper
        .iter()
        .chain(lower.iter().rev())
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let _ = write!(
        s,
        r#"<polygon data-testid="tolerance-band" fill="{BAND}" fill-opacity="0.25" stroke="none" points="{}"/>"#,
        band.join(" ")
    );
    s.push_str(&polyline(&lower, FRAME, false, "frame-line"));
    let act: Vec<(f64, f64)> = r
        .months
        .iter()
        .enumerate()
        .map(|(i, m)| (x_of(i), y_of(m.cumulative_activity_dkk, max)))
        .collect();
    let observed = r.months.iter().take_while(|m| m.observed).count();
    if observed > 0 {
        s.push_str(&polyline(
            &act[..observed],
            ACTIVITY,
            false,
            "activity-line",
        ));
    }
    if observed < act.len() {
        let from = observed.saturating_sub(1);
        s.push_str(&polyline(&act[from..], ACTIVITY, true, "forecast-line"));
        let x = x_of(11);
        let (lo, hi) = (
            y_of(r.forecast.low_dkk, max),
            y_of(r.forecast.high_dkk, max),
        );
        let _ = write!(
            s,
            r#"<line data-testid="forecast-interval" x1="{x:.1}" x2="{x:.1}" y1="{lo:.1}" y2="{hi:.1}" stroke="{ACTIVITY}" stroke-width="6" stroke-opacity="0.35"/>"#
        );
    }
    for (i, (x, y)) in act.iter().enumerate() {
        let _ = write!(
            s,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{}"><title>{} {:.1} M</title></circle>"#,
            if i < observed { ACTIVITY } else { "#fff" },
            esc(&labels[i.min(labels.len() - 1)]),
            r.months[i].cumulative_activity_dkk / 1e6
        );
    }
    s.push_str("</svg>");
    s
}

/// Monthly activity (bars) against the monthly frame (ticks).
pub(crate) fn monthly(r: &FrameReport, labels: &[String], aria: &str) -> String {
    let max = r
        .months
        .iter()
        .map(|m| m.activity_dkk.max(m.frame_dkk))
        .fold(0.0, f64::max)
        * 1.1;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{}" data-testid="monthly-chart"><title>{}</title>"#,
        esc(aria),
        esc(aria)
    );
    axis(&mut s, max, labels);
    let bw = (W - LEFT - RIGHT) / 12.0 * 0.6;
    for (i, m) in r.months.iter().enumerate() {
        let (x, y) = (x_of(i), y_of(m.activity_dkk, max));
        let _ = write!(
            s,
            r#"<rect x="{:.1}" y="{y:.1}" width="{bw:.1}" height="{:.1}" fill="{ACTIVITY}"{}><title>{:.1} M</title></rect>"#,
            x - bw / 2.0,
            (y_of(0.0, max) - y).max(0.0),
            if m.observed {
                ""
            } else {
                r#" fill-opacity="0.4""#
            },
            m.activity_dkk / 1e6
        );
        let fy = y_of(m.frame_dkk, max);
        let _ = write!(
            s,
            r#"<line x1="{:.1}" x2="{:.1}" y1="{fy:.1}" y2="{fy:.1}" stroke="{FRAME}" stroke-width="2"/>"#,
            x - bw / 2.0 - 3.0,
            x + bw / 2.0 + 3.0
        );
    }
    s.push_str("</svg>");
    s
}

/// The histogram of the clinics' change in %.
pub(crate) fn histogram(bins: &[Bin], aria: &str) -> String {
    let max = bins.iter().map(|b| b.clinics).max().unwrap_or(0).max(1) as f64;
    let n = bins.len().max(1) as f64;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{}" data-testid="fees-histogram"><title>{}</title>"#,
        esc(aria),
        esc(aria)
    );
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" x2="{}" y1="{}" y2="{}" stroke="#cbd5e0"/><text x="{}" y="{}" text-anchor="end">{max}</text>"##,
        W - RIGHT,
        TOP + plot_h,
        TOP + plot_h,
        LEFT - 4.0,
        TOP + 10.0
    );
    for (i, b) in bins.iter().enumerate() {
        let bw = plot_w / n;
        let x = LEFT + bw * i as f64;
        let h = plot_h * b.clinics as f64 / max;
        let colour = if b.to_pct <= 0.0 { BAND } else { ACTIVITY };
        let _ = write!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{colour}"><title>{:.1} – {:.1} %: {}</title></rect>"#,
            x + 1.0,
            TOP + plot_h - h,
            (bw - 2.0).max(1.0),
            b.from_pct,
            b.to_pct,
            b.clinics
        );
        if i % 2 == 0 || bins.len() <= 12 {
            let _ = write!(
                s,
                r#"<text x="{x:.1}" y="{}" text-anchor="middle">{:.1}</text>"#,
                H - 8.0,
                b.from_pct
            );
        }
    }
    if let Some(last) = bins.last() {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="end">{:.1}</text>"#,
            W - RIGHT,
            H - 8.0,
            last.to_pct
        );
    }
    s.push_str("</svg>");
    s
}
