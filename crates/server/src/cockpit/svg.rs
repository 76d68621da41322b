//! The cockpit's small charts, drawn here as inline SVG (no script, nothing from the network):
//! comparison bars, the eight-quarter sparkline and the contacts timeline. Every label is
//! escaped; every mark has a `<title>` for a tooltip and for screen readers.

use almen_core::Day;
use std::fmt::Write as _;

/// The colours of the clinic, its region and the country, as in the legend.
pub(crate) const CLINIC: &str = "#1f6f78";
pub(crate) const REGION: &str = "#b7791f";
pub(crate) const COUNTRY: &str = "#5b6b78";

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One bar of [`bars`]: a label for the tooltip, a value (none draws nothing) and its text.
pub(crate) struct Bar<'a> {
    pub label: &'a str,
    pub value: Option<f64>,
    pub text: String,
    pub colour: &'static str,
}

/// Horizontal bars on one scale (`max`, or the largest value), one under the other.
pub(crate) fn bars(rows: &[Bar], max: Option<f64>, aria: &str, testid: &str) -> String {
    const W: f64 = 180.0;
    const ROW: f64 = 9.0;
    const GAP: f64 = 3.0;
    let h = rows.len() as f64 * (ROW + GAP) - GAP;
    let top = max
        .or_else(|| rows.iter().filter_map(|r| r.value).reduce(f64::max))
        .filter(|m| *m > 0.0)
        .unwrap_or(1.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="bars" viewBox="0 0 {W} {h}" width="{W}" height="{h}" role="img" aria-label="{}" data-testid="{}"><title>{}</title>"#,
        esc(aria),
        esc(testid),
        esc(aria)
    );
    for (i, r) in rows.iter().enumerate() {
        let y = i as f64 * (ROW + GAP);
        let _ = write!(
            s,
            r##"<rect x="0" y="{y:.1}" width="{W}" height="{ROW}" fill="#f3f6f8"/>"##
        );
        if let Some(v) = r.value {
            let w = (v / top).clamp(0.0, 1.0) * W;
            let _ = write!(
                s,
                r#"<rect x="0" y="{y:.1}" width="{w:.1}" height="{ROW}" fill="{}"><title>{}: {}</title></rect>"#,
                r.colour,
                esc(r.label),
                esc(&r.text)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A sparkline of counts with a dot per point; `labels` name the points (dates).
pub(crate) fn sparkline(values: &[u32], labels: &[String], aria: &str, testid: &str) -> String {
    const W: f64 = 150.0;
    const H: f64 = 34.0;
    const PAD: f64 = 4.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="spark" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{}" data-testid="{}"><title>{}</title>"#,
        esc(aria),
        esc(testid),
        esc(aria)
    );
    if values.is_empty() {
        s.push_str("</svg>");
        return s;
    }
    let lo = *values.iter().min().unwrap_or(&0) as f64;
    let hi = *values.iter().max().unwrap_or(&0) as f64;
    let n = values.len();
    let x_of = |i: usize| {
        if n == 1 {
            W / 2.0
        } else {
            PAD + i as f64 * (W - 2.0 * PAD) / (n - 1) as f64
        }
    };
    let y_of = |v: f64| {
        if hi > lo {
            H - PAD - (v - lo) / (hi - lo) * (H - 2.0 * PAD)
        } else {
            H / 2.0
        }
    };
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| format!("{:.1},{:.1}", x_of(i), y_of(v as f64)))
        .collect();
    let _ = write!(
        s,
        r#"<polyline points="{}" fill="none" stroke="{CLINIC}" stroke-width="1.5"/>"#,
        points.join(" ")
    );
    for (i, &v) in values.iter().enumerate() {
        let label = labels.get(i).map(String::as_str).unwrap_or("");
        let last = i + 1 == n;
        let _ = write!(
            s,
            r#"<circle cx="{:.1}" cy="{:.1}" r="{}" fill="{CLINIC}"><title>{}: {v}</title></circle>"#,
            x_of(i),
            y_of(v as f64),
            if last { 3.0 } else { 2.0 },
            esc(label)
        );
    }
    s.push_str("</svg>");
    s
}

/// One contact on the timeline.
pub(crate) struct Mark {
    pub day: Day,
    pub face_to_face: bool,
    pub title: String,
}

/// The contacts of a period as ticks on a time axis: face-to-face contacts tall and in the
/// clinic's colour, others short and grey; a label at the start of every quarter.
pub(crate) fn timeline(marks: &[Mark], from: Day, to: Day, aria: &str) -> String {
    const W: f64 = 640.0;
    const H: f64 = 64.0;
    // Room for half a date label at either end.
    const LEFT: f64 = 24.0;
    const RIGHT: f64 = 24.0;
    const AXIS: f64 = 44.0;
    let span = from.days_until(to).max(1) as f64;
    let x_of = |d: Day| LEFT + from.days_until(d) as f64 / span * (W - LEFT - RIGHT);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{}" data-testid="contacts-timeline"><title>{}</title>"#,
        esc(aria),
        esc(aria)
    );
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{AXIS}" x2="{}" y2="{AXIS}" stroke="#5b6b78"/>"##,
        W - RIGHT
    );
    // Quarter starts within the period.
    let (mut y, mut m) = (from.year(), from.month());
    m = (m - 1) / 3 * 3 + 1;
    while let Some(d) = Day::from_ymd(y, m, 1).filter(|d| *d <= to) {
        if d >= from {
            let x = x_of(d);
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#d8e0e6"/><text x="{x:.1}" y="{}" text-anchor="middle">{y}-{m:02}</text>"##,
                AXIS - 36.0,
                AXIS + 4.0,
                AXIS + 16.0
            );
        }
        m += 3;
        if m > 12 {
            m -= 12;
            y += 1;
        }
    }
    for mark in marks {
        if mark.day < from || mark.day > to {
            continue;
        }
        let x = x_of(mark.day);
        let (h, colour) = if mark.face_to_face {
            (30.0, CLINIC)
        } else {
            (14.0, "#9aa8b3")
        };
        let _ = write!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="2.5" height="{h}" fill="{colour}"><title>{}</title></rect>"#,
            x - 1.25,
            AXIS - h,
            esc(&mark.title)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_their_labels_and_close() {
        let b = bars(
            &[
                Bar {
                    label: "<clinic>",
                    value: Some(0.1),
                    text: "10 %".into(),
                    colour: CLINIC,
                },
                Bar {
                    label: "region",
                    value: None,
                    text: "–".into(),
                    colour: REGION,
                },
            ],
            None,
            "a & b",
            "bars-x",
        );
        assert!(b.starts_with("<svg") && b.ends_with("</svg>"));
        assert!(b.contains("&lt;clinic&gt;") && b.contains("a &amp; b"));
        let s = sparkline(
            &[1, 2, 2],
            &["q1".into(), "q2".into(), "q3".into()],
            "t",
            "s",
        );
        assert_eq!(s.matches("<circle").count(), 3);
        let flat = sparkline(&[4], &[], "t", "s");
        assert!(flat.contains("<circle"));
        let from = Day::parse("2024-01-01").unwrap();
        let to = Day::parse("2025-12-31").unwrap();
        let t = timeline(
            &[Mark {
                day: Day::parse("2025-02-03").unwrap(),
                face_to_face: true,
                title: "x".into(),
            }],
            from,
            to,
            "contacts",
        );
        assert!(t.contains("2025-01") && t.contains("<rect"));
    }
}
