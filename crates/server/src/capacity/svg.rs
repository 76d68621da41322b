//! The overview's chart as inline SVG (no script, nothing from the network): one diverging bar
//! per area around zero, red where the area lacks capacity, green where it holds more than its
//! share. Every label is escaped; every bar has a `<title>` for a tooltip and screen readers.

use std::fmt::Write as _;

/// Lacks capacity (positive gap).
pub(crate) const SHORT: &str = "#c0392b";
/// Holds more than its share (negative gap).
pub(crate) const OVER: &str = "#2f855a";

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One bar: the area's name, its gap in capacities and the gap as text.
pub(crate) struct GapBar<'a> {
    pub label: &'a str,
    pub gap: f64,
    pub text: String,
}

/// Diverging horizontal bars on one scale (the largest |gap|), with the area names on the left
/// and the values on the right.
pub(crate) fn gap_bars(rows: &[GapBar], aria: &str, testid: &str) -> String {
    const LABEL: f64 = 170.0;
    const HALF: f64 = 180.0;
    const VALUE: f64 = 70.0;
    const ROW: f64 = 16.0;
    const GAP: f64 = 4.0;
    let w = LABEL + 2.0 * HALF + VALUE;
    let h = (rows.len() as f64 * (ROW + GAP) - GAP).max(ROW);
    let top = rows
        .iter()
        .map(|r| r.gap.abs())
        .fold(0.0, f64::max)
        .max(1e-9);
    let zero = LABEL + HALF;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="gaps" viewBox="0 0 {w} {h}" width="100%" style="max-width: {w}px" role="img" aria-label="{a}" data-testid="{t}"><title>{a}</title>"#,
        a = esc(aria),
        t = esc(testid),
    );
    for (i, r) in rows.iter().enumerate() {
        let y = i as f64 * (ROW + GAP);
        let len = (r.gap.abs() / top).min(1.0) * HALF;
        let (x, colour) = if r.gap >= 0.0 {
            (zero, SHORT)
        } else {
            (zero - len, OVER)
        };
        let _ = write!(
            s,
            r##"<text x="{lx:.1}" y="{ty:.1}" text-anchor="end">{label}</text><rect x="{x:.1}" y="{y:.1}" width="{len:.1}" height="{ROW}" fill="{colour}" data-gap="{gap:.3}"><title>{label}: {text}</title></rect><text x="{vx:.1}" y="{ty:.1}">{text}</text>"##,
            lx = LABEL - 6.0,
            ty = y + ROW - 4.0,
            label = esc(r.label),
            gap = r.gap,
            text = esc(&r.text),
            vx = LABEL + 2.0 * HALF + 6.0,
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{zero}" y1="0" x2="{zero}" y2="{h}" stroke="#5b6b78"/>"##
    );
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_go_both_ways_and_escape_their_labels() {
        let s = gap_bars(
            &[
                GapBar {
                    label: "<a>",
                    gap: 2.0,
                    text: "+2".into(),
                },
                GapBar {
                    label: "b",
                    gap: -1.0,
                    text: "−1".into(),
                },
            ],
            "gaps & more",
            "gap-chart",
        );
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("&lt;a&gt;") && s.contains("gaps &amp; more"));
        assert!(s.contains(SHORT) && s.contains(OVER));
        assert_eq!(s.matches("<rect").count(), 2);
        let empty = gap_bars(&[], "x", "y");
        assert!(empty.ends_with("</svg>"));
    }
}
