//! The capacity pages' strings, in Danish and English, and their number formats (the pattern
//! of `i18n.rs` and the cockpit's `text.rs`: a field per string, so a missing translation does
//! not compile).

use crate::i18n::Lang;

#[derive(Debug)]
pub(crate) struct CapText {
    pub lang: Lang,
    pub module: &'static str,
    pub nav_overview: &'static str,
    pub nav_hearing: &'static str,
    pub nav_own: &'static str,

    pub overview_title: &'static str,
    pub overview_intro: &'static str,
    pub weights: &'static str,
    pub weights_default_note: &'static str,
    pub weights_other_note: &'static str,
    pub as_of: &'static str,
    pub reference: &'static str,
    pub reference_note: &'static str,
    pub citizens: &'static str,
    pub weighted_citizens: &'static str,
    pub capacities: &'static str,
    pub level: &'static str,
    pub level_kommune: &'static str,
    pub level_sundhedsraad: &'static str,
    pub region: &'static str,
    pub all_regions: &'static str,
    pub show: &'static str,
    pub gap_title: &'static str,
    pub gap_intro: &'static str,
    pub gap: &'static str,
    pub gap_short: &'static str,
    pub gap_over: &'static str,
    pub area: &'static str,
    pub mean_weight: &'static str,
    pub average_per_capacity: &'static str,
    pub clinics: &'static str,
    pub open_clinics: &'static str,
    pub listed: &'static str,
    pub without_list_place: &'static str,
    pub no_areas: &'static str,

    pub area_intro: &'static str,
    pub clinic: &'static str,
    pub clinic_id: &'static str,
    pub clinic_type: &'static str,
    pub open_for_new: &'static str,
    pub minimum: &'static str,
    pub final_number: &'static str,
    pub limited_by: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub no_clinics: &'static str,

    pub clinic_title: &'static str,
    pub your_number: &'static str,
    pub computed_number: &'static str,
    pub how_title: &'static str,
    pub step_weights: &'static str,
    pub step_reference: &'static str,
    pub step_area: &'static str,
    pub step_listed: &'static str,
    pub step_listed_none: &'static str,
    pub step_minimum: &'static str,
    pub step_limits: &'static str,
    pub step_no_limits: &'static str,
    pub step_no_limit_applied: &'static str,
    pub limit_floor: &'static str,
    pub limit_ceiling: &'static str,
    pub limit_transition: &'static str,
    pub listed_today: &'static str,
    pub plo_title: &'static str,
    pub plo_intro: &'static str,
    pub model: &'static str,
    pub clinic_model: &'static str,
    pub area_model_kommune: &'static str,
    pub area_model_sundhedsraad: &'static str,
    pub difference: &'static str,
    pub gains: &'static str,
    pub loses: &'static str,
    pub unchanged: &'static str,

    pub hearing_title: &'static str,
    pub hearing_intro: &'static str,
    pub hearing_clinic_intro: &'static str,
    pub comments: &'static str,
    pub no_comments: &'static str,
    pub comment: &'static str,
    pub comment_on: &'static str,
    pub submit_comment: &'static str,
    pub answer: &'static str,
    pub submit_answer: &'static str,
    pub open: &'static str,
    pub answered: &'static str,
    pub author: &'static str,
    pub at: &'static str,
    pub open_comments: &'static str,
    pub no_open_comments: &'static str,
    pub decide_title: &'static str,
    pub decide_intro: &'static str,
    pub final_minimum: &'static str,
    pub reason: &'static str,
    pub submit_final: &'static str,
    pub decisions: &'static str,
    pub version: &'static str,
    pub no_final: &'static str,
    pub final_in_force: &'static str,
    pub done_comment: &'static str,
    pub done_answer: &'static str,
    pub done_final: &'static str,
    pub not_your_clinic: &'static str,

    pub err_comment_empty: &'static str,
    pub err_too_long: &'static str,
    pub err_answer_empty: &'static str,
    pub err_final_number: &'static str,
    pub err_reason_empty: &'static str,
    pub err_unknown_comment: &'static str,
}

impl CapText {
    pub fn of(lang: Lang) -> &'static CapText {
        match lang {
            Lang::Da => &DA,
            Lang::En => &EN,
        }
    }

    /// A number with `places` decimals, with the language's decimal mark.
    pub fn dec(&self, v: f64, places: usize) -> String {
        let s = format!("{v:.places$}");
        match self.lang {
            Lang::Da => s.replace('.', ","),
            Lang::En => s,
        }
    }

    /// A whole number with the language's thousands separator (`1.234` in Danish).
    pub fn int(&self, n: i64) -> String {
        let sep = match self.lang {
            Lang::Da => '.',
            Lang::En => ',',
        };
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

    /// A figure rounded to whole patients, as tables show it.
    pub fn whole(&self, v: f64) -> String {
        self.int(v.round() as i64)
    }

    /// A signed figure with one decimal (`+1,5`, `−0,3`).
    pub fn signed(&self, v: f64, places: usize) -> String {
        let s = self.dec(v.abs(), places);
        if v > 0.0 {
            format!("+{s}")
        } else if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
            format!("−{s}")
        } else {
            s
        }
    }

    pub fn opt(&self, v: Option<f64>, places: usize) -> String {
        v.map_or_else(|| "–".to_string(), |v| self.dec(v, places))
    }

    pub fn level(&self, level: &str) -> &'static str {
        match level {
            "sundhedsraad" => self.level_sundhedsraad,
            _ => self.level_kommune,
        }
    }

    pub fn limit(&self, l: almen_capacity::Limit) -> &'static str {
        match l {
            almen_capacity::Limit::Floor => self.limit_floor,
            almen_capacity::Limit::Ceiling => self.limit_ceiling,
            almen_capacity::Limit::Transition => self.limit_transition,
        }
    }

    pub fn yes_no(&self, b: bool) -> &'static str {
        if b { self.yes } else { self.no }
    }
}

pub(crate) static DA: CapText = CapText {
    lang: Lang::Da,
    module: "Kapacitet",
    nav_overview: "Områder",
    nav_hearing: "Høring",
    nav_own: "Min kliniks tal",

    overview_title: "Kapacitet efter behandlingsbehov",
    overview_intro: "Den nationale model fordeler lægekapacitet efter borgernes sygdomsvægt: hver borger får en vægt efter køn, alder og kroniske sygdomme (middelvægten er 1,0), og R er de sygdomsvægtede borgere pr. lægekapacitet på landsplan. Et områdes behov er dets sygdomsvægtede borgere ÷ R; forskellen til de kapaciteter, området har, er behovsgabet.",
    weights: "Vægttabel",
    weights_default_note: "Almens egen standardtabel, estimeret på syntetiske data – ikke den officielle vægttabel. Tallene viser modellens opbygning, ikke de officielle tal.",
    weights_other_note: "En vægttabel valgt af installationen (ikke Almens standardtabel).",
    as_of: "Opgjort pr.",
    reference: "Referencestørrelse R",
    reference_note: "sygdomsvægtede borgere pr. lægekapacitet",
    citizens: "Borgere",
    weighted_citizens: "Sygdomsvægtede borgere",
    capacities: "Kapaciteter",
    level: "Niveau",
    level_kommune: "Kommune",
    level_sundhedsraad: "Sundhedsråd",
    region: "Region",
    all_regions: "Hele landet",
    show: "Vis",
    gap_title: "Behovsgab pr. område",
    gap_intro: "Behovsgab = sygdomsvægtede borgere ÷ R − kapaciteter i området. Rød: området mangler kapacitet; grøn: området har mere end sin andel.",
    gap: "Behovsgab",
    gap_short: "mangler kapacitet",
    gap_over: "over sin andel",
    area: "Område",
    mean_weight: "Middelvægt",
    average_per_capacity: "Gns. patienter pr. kapacitet",
    clinics: "Klinikker",
    open_clinics: "Åbne for tilgang",
    listed: "Tilmeldte",
    without_list_place: "Uden lægeplads",
    no_areas: "Ingen områder i denne region i datasættet.",

    area_intro: "Områdets borgere (hvor de bor) og kapaciteter (hvor klinikken ligger). Gennemsnittet pr. kapacitet er R ÷ områdets middelvægt: områder med mere sygdom får mindre lister.",
    clinic: "Klinik",
    clinic_id: "Ydernummer",
    clinic_type: "Klinikform",
    open_for_new: "Åben for tilgang",
    minimum: "Minimumspatienttal",
    final_number: "Endeligt tal",
    limited_by: "Begrænset af",
    yes: "ja",
    no: "nej",
    no_clinics: "Ingen klinikker i området.",

    clinic_title: "Minimumspatienttal",
    your_number: "Klinikkens minimumspatienttal",
    computed_number: "Beregnet af modellen",
    how_title: "Sådan er tallet beregnet",
    step_weights: "Sygdomsvægte: hver borgers vægt (køn × aldersgruppe + kroniske sygdomme) skaleres, så middelvægten over landets {n} borgere er præcis 1,0.",
    step_reference: "R = {w} sygdomsvægtede borgere ÷ {c} kapaciteter = {r} pr. kapacitet.",
    step_area: "Klinikkens område {a}: middelvægt {m}, gennemsnit pr. kapacitet R ÷ middelvægt = {avg}.",
    step_listed: "Klinikkens {n} tilmeldte patienter vejer {w} tilsammen: middelvægt {m}.",
    step_listed_none: "Klinikken har ingen tilmeldte patienter: middelvægt 1,0 bruges.",
    step_minimum: "Minimum = kapaciteter × R ÷ middelvægt = {c} × {r} ÷ {m} = {x}.",
    step_limits: "Grænser: gulv {f}, loft {c} pr. kapacitet, overgang {t}.",
    step_no_limits: "Ingen gulv, loft eller overgangsgrænse er sat, så modellens tal gælder.",
    step_no_limit_applied: "Ingen af grænserne ændrer tallet.",
    limit_floor: "gulvet",
    limit_ceiling: "loftet",
    limit_transition: "overgangsgrænsen",
    listed_today: "Tilmeldte i dag",
    plo_title: "PLO's alternativ: et mål for området",
    plo_intro: "PLO foreslår et gennemsnit for området, som klinikkerne i området når sammen, i stedet for en lukkegrænse pr. klinik. Klinikkens andel er områdets gennemsnit pr. kapacitet × klinikkens kapaciteter.",
    model: "Model",
    clinic_model: "Klinikmodellen (minimumspatienttal)",
    area_model_kommune: "Områdemodellen, kommune",
    area_model_sundhedsraad: "Områdemodellen, sundhedsråd",
    difference: "Forskel til klinikmodellen",
    gains: "klinikmodellen giver et lavere tal",
    loses: "klinikmodellen giver et højere tal",
    unchanged: "samme tal",

    hearing_title: "Høring",
    hearing_intro: "Klinikkerne kan kommentere deres minimumspatienttal. Her er de kommentarer, der ikke er besvaret endnu; svar dem, og fastsæt det endelige tal på klinikkens side. Væsentlige ændringer af en kliniks tal skal søges aftalt med lægen.",
    hearing_clinic_intro: "Klinikken kan kommentere sit tal; regionens analytiker svarer og fastsætter det endelige tal. Alt gemmes og registreres i adgangsloggen.",
    comments: "Kommentarer",
    no_comments: "Ingen kommentarer endnu.",
    comment: "Kommentar",
    comment_on: "til tallet",
    submit_comment: "Send kommentar",
    answer: "Svar",
    submit_answer: "Send svar",
    open: "åben",
    answered: "besvaret",
    author: "Af",
    at: "Tid",
    open_comments: "Åbne kommentarer",
    no_open_comments: "Ingen åbne kommentarer.",
    decide_title: "Fastsæt det endelige tal",
    decide_intro: "Det endelige minimumspatienttal gælder fra beslutningen. En ny beslutning bliver en ny version; de tidligere bevares.",
    final_minimum: "Endeligt minimumspatienttal",
    reason: "Begrundelse",
    submit_final: "Fastsæt tal",
    decisions: "Beslutninger",
    version: "Version",
    no_final: "Intet endeligt tal endnu: modellens tal er foreløbigt.",
    final_in_force: "Endeligt tal, fastsat",
    done_comment: "Kommentaren er sendt.",
    done_answer: "Svaret er gemt.",
    done_final: "Det endelige tal er fastsat.",
    not_your_clinic: "Kun klinikkens egne læger (og en administrator) kan kommentere dens tal.",

    err_comment_empty: "Skriv en kommentar.",
    err_too_long: "Højst 4.000 tegn.",
    err_answer_empty: "Skriv et svar.",
    err_final_number: "Det endelige tal skal være et helt antal patienter mellem 0 og 100.000.",
    err_reason_empty: "Skriv en begrundelse.",
    err_unknown_comment: "Kommentaren findes ikke for denne klinik.",
};

pub(crate) static EN: CapText = CapText {
    lang: Lang::En,
    module: "Capacity",
    nav_overview: "Areas",
    nav_hearing: "Hearing",
    nav_own: "My clinic's number",

    overview_title: "Capacity by treatment need",
    overview_intro: "The national model distributes doctor capacity by citizens' disease weight: each citizen gets a weight from sex, age and chronic conditions (the mean weight is 1.0), and R is the disease-weighted citizens per doctor capacity nationally. An area's need is its weighted citizens ÷ R; the difference to the capacities the area holds is the need gap.",
    weights: "Weight table",
    weights_default_note: "Almen's own default table, fitted on synthetic data – not the official weight table. The figures show how the model works, not the official numbers.",
    weights_other_note: "A weight table chosen by this installation (not Almen's default table).",
    as_of: "As of",
    reference: "Reference list size R",
    reference_note: "disease-weighted citizens per doctor capacity",
    citizens: "Citizens",
    weighted_citizens: "Weighted citizens",
    capacities: "Capacities",
    level: "Level",
    level_kommune: "Municipality",
    level_sundhedsraad: "Health council",
    region: "Region",
    all_regions: "The whole country",
    show: "Show",
    gap_title: "Need gap by area",
    gap_intro: "Need gap = weighted citizens ÷ R − capacities in the area. Red: the area lacks capacity; green: the area holds more than its share.",
    gap: "Need gap",
    gap_short: "lacks capacity",
    gap_over: "over its share",
    area: "Area",
    mean_weight: "Mean weight",
    average_per_capacity: "Avg. patients per capacity",
    clinics: "Clinics",
    open_clinics: "Open for new patients",
    listed: "Listed",
    without_list_place: "Without a list place",
    no_areas: "No areas of this region in the dataset.",

    area_intro: "The area's citizens (where they live) and capacities (where the clinic is). The average per capacity is R ÷ the area's mean weight: sicker areas get smaller lists.",
    clinic: "Clinic",
    clinic_id: "Provider number",
    clinic_type: "Clinic type",
    open_for_new: "Open for new patients",
    minimum: "Minimum patient number",
    final_number: "Final number",
    limited_by: "Limited by",
    yes: "yes",
    no: "no",
    no_clinics: "No clinics in the area.",

    clinic_title: "Minimum patient number",
    your_number: "The clinic's minimum patient number",
    computed_number: "Computed by the model",
    how_title: "How the number was computed",
    step_weights: "Disease weights: each citizen's weight (sex × age band + chronic conditions) is scaled so that the mean over the country's {n} citizens is exactly 1.0.",
    step_reference: "R = {w} weighted citizens ÷ {c} capacities = {r} per capacity.",
    step_area: "The clinic's area {a}: mean weight {m}, average per capacity R ÷ mean weight = {avg}.",
    step_listed: "The clinic's {n} listed patients weigh {w} together: mean weight {m}.",
    step_listed_none: "The clinic has no listed patients: mean weight 1.0 is used.",
    step_minimum: "Minimum = capacities × R ÷ mean weight = {c} × {r} ÷ {m} = {x}.",
    step_limits: "Limits: floor {f}, ceiling {c} per capacity, transition {t}.",
    step_no_limits: "No floor, ceiling or transition cap is set, so the model's number applies.",
    step_no_limit_applied: "None of the limits changes the number.",
    limit_floor: "the floor",
    limit_ceiling: "the ceiling",
    limit_transition: "the transition cap",
    listed_today: "Listed today",
    plo_title: "PLO's alternative: a target for the area",
    plo_intro: "PLO proposes an average for the area that its clinics meet together, instead of a closure limit per clinic. The clinic's share is the area's average per capacity × the clinic's capacities.",
    model: "Model",
    clinic_model: "Clinic model (minimum patient number)",
    area_model_kommune: "Area model, municipality",
    area_model_sundhedsraad: "Area model, health council",
    difference: "Difference to the clinic model",
    gains: "the clinic model gives a lower number",
    loses: "the clinic model gives a higher number",
    unchanged: "the same number",

    hearing_title: "Hearing",
    hearing_intro: "Clinics may comment on their minimum patient number. These are the comments not answered yet; answer them, and fix the final number on the clinic's page. Substantial changes to a clinic's number must be sought agreed with the doctor.",
    hearing_clinic_intro: "The clinic may comment on its number; the region's analyst answers and fixes the final number. Everything is stored and recorded in the audit log.",
    comments: "Comments",
    no_comments: "No comments yet.",
    comment: "Comment",
    comment_on: "on the number",
    submit_comment: "Send comment",
    answer: "Answer",
    submit_answer: "Send answer",
    open: "open",
    answered: "answered",
    author: "By",
    at: "Time",
    open_comments: "Open comments",
    no_open_comments: "No open comments.",
    decide_title: "Fix the final number",
    decide_intro: "The final minimum patient number applies from the decision. A new decision becomes a new version; earlier ones are kept.",
    final_minimum: "Final minimum patient number",
    reason: "Reason",
    submit_final: "Fix number",
    decisions: "Decisions",
    version: "Version",
    no_final: "No final number yet: the model's number is provisional.",
    final_in_force: "Final number, fixed",
    done_comment: "The comment has been sent.",
    done_answer: "The answer has been saved.",
    done_final: "The final number has been fixed.",
    not_your_clinic: "Only the clinic's own GPs (and an administrator) may comment on its number.",

    err_comment_empty: "Write a comment.",
    err_too_long: "At most 4,000 characters.",
    err_answer_empty: "Write an answer.",
    err_final_number: "The final number must be a whole number of patients between 0 and 100,000.",
    err_reason_empty: "Write a reason.",
    err_unknown_comment: "The comment does not exist for this clinic.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(DA.int(1_234_567), "1.234.567");
        assert_eq!(EN.int(-1234), "−1,234");
        assert_eq!(DA.whole(1553.57), "1.554");
        assert_eq!(DA.signed(1.26, 1), "+1,3");
        assert_eq!(EN.signed(-0.04, 1), "0.0");
        assert_eq!(EN.signed(-0.36, 1), "−0.4");
        assert_eq!(DA.opt(None, 2), "–");
    }
}
