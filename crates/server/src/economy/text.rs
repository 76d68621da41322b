//! The economy pages' strings in Danish and English (a field per string, as the cockpit's
//! `text.rs`), and their number formats.

use crate::i18n::Lang;

#[derive(Debug)]
pub(crate) struct EconomyText {
    pub lang: Lang,
    pub module: &'static str,
    pub nav_frame: &'static str,
    pub nav_fees: &'static str,
    pub nav_clinics: &'static str,
    pub frame_title: &'static str,
    pub frame_intro: &'static str,
    pub reading: &'static str,
    pub reading_plo: &'static str,
    pub reading_rltn: &'static str,
    pub frame_dkk: &'static str,
    pub show: &'static str,
    pub example: &'static str,
    pub example_on: &'static str,
    pub dataset: &'static str,
    pub default_frame: &'static str,
    pub no_previous_year: &'static str,
    pub overshoot: &'static str,
    pub tolerance: &'static str,
    pub countable: &'static str,
    pub activity: &'static str,
    pub effective_frame: &'static str,
    pub forecast: &'static str,
    pub interval: &'static str,
    pub month: &'static str,
    pub cumulative: &'static str,
    pub monthly: &'static str,
    pub observed: &'static str,
    pub forecast_month: &'static str,
    pub chart_aria: &'static str,
    pub adjustments: &'static str,
    pub clinics_title: &'static str,
    pub clinic_title: &'static str,
    pub findings: &'static str,
    pub no_findings: &'static str,
    pub rule: &'static str,
    pub explanation: &'static str,
    pub patient: &'static str,
    pub claims: &'static str,
    pub date: &'static str,
    pub count: &'static str,
    pub by_rule: &'static str,
    pub corrections_title: &'static str,
    pub corrections_intro: &'static str,
    pub no_corrections: &'static str,
    pub download: &'static str,
    pub index_title: &'static str,
    pub index_overall: &'static str,
    pub group: &'static str,
    pub observed_dkk: &'static str,
    pub expected_dkk: &'static str,
    pub index: &'static str,
    pub not_flagged: &'static str,
    pub shown_first: &'static str,
    pub all_rules: &'static str,
    pub fees_title: &'static str,
    pub fees_intro: &'static str,
    pub histogram: &'static str,
    pub winners: &'static str,
    pub losers: &'static str,
    pub clinic: &'static str,
    pub clinic_type: &'static str,
    pub listed: &'static str,
    pub today: &'static str,
    pub scenario: &'static str,
    pub change: &'static str,
    pub by_clinic_type: &'static str,
    pub by_area: &'static str,
    pub by_morbidity: &'static str,
    pub year: &'static str,
    pub open: &'static str,
}

static DA: EconomyText = EconomyText {
    lang: Lang::Da,
    module: "Økonomi",
    nav_frame: "Økonomisk ramme",
    nav_fees: "Honorarsimulering",
    nav_clinics: "Klinikkernes kontrol",
    frame_title: "Den økonomiske ramme",
    frame_intro: "Aktivitet i faste priser måned for måned og akkumuleret mod rammen og tolerancebåndet på 0,6 %, med årsprognose og interval.",
    reading: "Læsning",
    reading_plo: "PLO's (regionsklinikker og udbudsklinikker uden for rammen)",
    reading_rltn: "RLTN's (deres aktivitet nedskriver rammen)",
    frame_dkk: "Ramme (kr.)",
    show: "Vis",
    example: "Det indbyggede eksempel fra 2023",
    example_on: "Viser det indbyggede eksempel fra 2023 (ramme 9.450 mio. kr., aktivitet 9.585 mio. kr.).",
    dataset: "Vis datasættet",
    default_frame: "Ingen ramme angivet: rammen er sat til datasættets egen aktivitet året før.",
    no_previous_year: "Ingen ramme angivet, og datasættet har intet år før: rammen er sat til årets egen aktivitet.",
    overshoot: "Overskridelse",
    tolerance: "Tolerance",
    countable: "Modregnes",
    activity: "Aktivitet",
    effective_frame: "Effektiv ramme",
    forecast: "Prognose ved årets udgang",
    interval: "interval",
    month: "Måned",
    cumulative: "Akkumuleret",
    monthly: "Pr. måned",
    observed: "observeret",
    forecast_month: "prognose",
    chart_aria: "Akkumuleret aktivitet mod rammen og tolerancebåndet",
    adjustments: "Justeringer",
    clinics_title: "Klinikker",
    clinic_title: "Klinikkens kontrol",
    findings: "Fund",
    no_findings: "Ingen fund.",
    rule: "Regel",
    explanation: "Forklaring",
    patient: "Patient",
    claims: "Ydelseslinjer",
    date: "Dato",
    count: "Antal",
    by_rule: "Fund pr. regel",
    corrections_title: "Rettelse af isolerede 6101",
    corrections_intro: "For en isoleret 6101 med en 0101 samme dag foreslås et rettelseskort: 0101 −1 og 6101 +1 på to kort med samme dato.",
    no_corrections: "Ingen rettelser at foreslå.",
    download: "Hent rettelseskort (CSV)",
    index_title: "Standardiseret aktivitetsindeks",
    index_overall: "Samlet indeks",
    group: "Ydelsesgruppe",
    observed_dkk: "Observeret (kr.)",
    expected_dkk: "Forventet (kr.)",
    index: "Indeks",
    not_flagged: "Ikke markeret.",
    shown_first: "Viser de første",
    all_rules: "alle regler",
    fees_title: "Simulering af honorarstruktur",
    fees_intro: "Dagens faste basishonorar plus ydelseshonorarer mod scenariets differentierede basishonorar.",
    histogram: "Klinikkernes ændring i %",
    winners: "Vindere",
    losers: "Tabere",
    clinic: "Klinik",
    clinic_type: "Klinikform",
    listed: "Tilmeldte",
    today: "I dag (kr.)",
    scenario: "Scenarie (kr.)",
    change: "Ændring",
    by_clinic_type: "Efter klinikform",
    by_area: "Efter område",
    by_morbidity: "Efter listens sygelighed",
    year: "År",
    open: "Åbn",
};

static EN: EconomyText = EconomyText {
    lang: Lang::En,
    module: "Economy",
    nav_frame: "Economic frame",
    nav_fees: "Fee simulation",
    nav_clinics: "Clinics' controls",
    frame_title: "The economic frame",
    frame_intro: "Activity at fixed prices month by month and cumulated against the frame and the 0.6 % tolerance band, with the year-end forecast and its interval.",
    reading: "Reading",
    reading_plo: "PLO's (region-run and tendered clinics outside the frame)",
    reading_rltn: "RLTN's (their activity reduces the frame)",
    frame_dkk: "Frame (DKK)",
    show: "Show",
    example: "The built-in 2023 example",
    example_on: "Showing the built-in 2023 example (frame DKK 9,450 M, activity DKK 9,585 M).",
    dataset: "Show the dataset",
    default_frame: "No frame given: the frame is the dataset's own activity in the previous year.",
    no_previous_year: "No frame given and the dataset has no previous year: the frame is the year's own activity.",
    overshoot: "Overshoot",
    tolerance: "Tolerance",
    countable: "Countable offset",
    activity: "Activity",
    effective_frame: "Effective frame",
    forecast: "Year-end forecast",
    interval: "interval",
    month: "Month",
    cumulative: "Cumulative",
    monthly: "Monthly",
    observed: "observed",
    forecast_month: "forecast",
    chart_aria: "Cumulative activity against the frame and the tolerance band",
    adjustments: "Adjustments",
    clinics_title: "Clinics",
    clinic_title: "The clinic's control",
    findings: "Findings",
    no_findings: "No findings.",
    rule: "Rule",
    explanation: "Explanation",
    patient: "Patient",
    claims: "Claims lines",
    date: "Date",
    count: "Count",
    by_rule: "Findings per rule",
    corrections_title: "Correcting isolated 6101s",
    corrections_intro: "For an isolated 6101 with a 0101 on the same day a correction is proposed: 0101 −1 and 6101 +1 on two cards of the same date.",
    no_corrections: "No corrections to propose.",
    download: "Download the correction cards (CSV)",
    index_title: "Standardised activity index",
    index_overall: "Overall index",
    group: "Service group",
    observed_dkk: "Observed (DKK)",
    expected_dkk: "Expected (DKK)",
    index: "Index",
    not_flagged: "Not flagged.",
    shown_first: "Showing the first",
    all_rules: "all rules",
    fees_title: "Fee-structure simulation",
    fees_intro: "Today's flat capitation plus fee-for-service against the scenario's differentiated capitation.",
    histogram: "Clinics' change in %",
    winners: "Winners",
    losers: "Losers",
    clinic: "Clinic",
    clinic_type: "Clinic type",
    listed: "Listed",
    today: "Today (DKK)",
    scenario: "Scenario (DKK)",
    change: "Change",
    by_clinic_type: "By clinic type",
    by_area: "By area",
    by_morbidity: "By list morbidity",
    year: "Year",
    open: "Open",
};

impl EconomyText {
    pub fn of(lang: Lang) -> &'static EconomyText {
        match lang {
            Lang::Da => &DA,
            Lang::En => &EN,
        }
    }

    /// A number with `places` decimals and the language's decimal mark.
    pub fn dec(&self, v: f64, places: usize) -> String {
        let s = format!("{v:.places$}");
        match self.lang {
            Lang::Da => s.replace('.', ","),
            Lang::En => s,
        }
    }

    /// Millions of DKK with one decimal: `135,0 mio. kr.` / `DKK 135.0 M`; amounts under a
    /// million in whole DKK (a small dataset's frame).
    pub fn mdkk(&self, v: f64) -> String {
        if v.abs() < 1e6 {
            return match self.lang {
                Lang::Da => format!("{} kr.", self.dkk(v)),
                Lang::En => format!("DKK {}", self.dkk(v)),
            };
        }
        let tenths = (v / 1e5).round() as i64;
        let whole = self.dkk((tenths / 10) as f64);
        let frac = (tenths % 10).unsigned_abs();
        let mark = match self.lang {
            Lang::Da => ',',
            Lang::En => '.',
        };
        let sign = if tenths < 0 && tenths / 10 == 0 {
            "−"
        } else {
            ""
        };
        let m = format!("{sign}{whole}{mark}{frac}");
        match self.lang {
            Lang::Da => format!("{m} mio. kr."),
            Lang::En => format!("DKK {m} M"),
        }
    }

    /// Whole DKK with thousands separators.
    pub fn dkk(&self, v: f64) -> String {
        let sep = match self.lang {
            Lang::Da => '.',
            Lang::En => ',',
        };
        let n = v.round() as i64;
        let s = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
        if n < 0 {
            out.push('−');
        }
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }

    /// A signed percentage with two decimals; `–` for none.
    pub fn pct(&self, v: Option<f64>) -> String {
        v.map_or_else(|| "–".to_string(), |v| format!("{} %", self.dec(v, 2)))
    }
}
