//! Prints calibration figures of a generated scale: `cargo run --release -p almen-synth --example stats -- kommune 751 7`.
use almen_dataset::{Outcome, Priority, Table, Tables};
use almen_synth::{Scale, generate_tables};
use std::collections::HashMap;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let scale = match args.get(1).map(String::as_str) {
        Some("kommune") => Scale::kommune(args[2].parse().unwrap()).unwrap(),
        Some("region") => Scale::region(&args[2]).unwrap(),
        Some("national") => Scale::National,
        _ => Scale::Clinic,
    };
    let seed: u64 = args.last().and_then(|s| s.parse().ok()).unwrap_or(1);
    let t0 = std::time::Instant::now();
    let t = generate_tables(scale, seed, 2025).unwrap();
    println!("generated in {:?}", t0.elapsed());
    report(&t);
}

fn report(t: &Tables) {
    for tb in Table::ALL {
        println!("{:<14} {:>10}", tb.name(), t.rows(tb));
    }
    let year_end = almen_core::Day::parse("2025-12-31").unwrap();
    let jan1 = almen_core::Day::parse("2025-01-01").unwrap();
    let np = t.patients.len();
    let listed = t
        .patients
        .clinic
        .iter()
        .filter(|c| **c != almen_dataset::NONE)
        .count();
    let dead = t.patients.deceased.iter().filter(|d| d.is_some()).count();
    let g2 = t.patients.group.iter().filter(|g| **g == 2).count();
    println!(
        "patients {np} listed {listed} ({:.1}%) deaths {dead} ({:.2}%) group2 {:.2}%",
        100.0 * listed as f64 / np as f64,
        100.0 * dead as f64 / np as f64,
        100.0 * g2 as f64 / np as f64
    );
    // prevalence of codes (active, any system)
    let mut by_code: HashMap<&str, std::collections::HashSet<u32>> = HashMap::new();
    for i in 0..t.diagnoses.len() {
        if t.diagnoses.end_date[i].is_some() {
            continue;
        }
        by_code
            .entry(t.diagnoses.codes.get(t.diagnoses.code[i]))
            .or_default()
            .insert(t.diagnoses.patient[i]);
    }
    let groups: [(&str, &[&str]); 13] = [
        ("diabetes", &["T89", "T90", "DE10", "DE11"]),
        ("copd", &["R95", "DJ44", "DJ449"]),
        ("asthma", &["R96", "DJ45"]),
        ("hypertension", &["K86", "K87", "DI10"]),
        ("ihd", &["K74", "K76", "DI25", "DI21"]),
        ("hf", &["K77", "DI50", "DI11"]),
        ("af", &["K78", "DI48"]),
        ("dementia", &["P70", "DF03", "DG30", "DF00"]),
        ("osteoporosis", &["L95", "DM81"]),
        ("depression", &["P76", "DF32", "DF33"]),
        ("adhd", &["P81", "DF90", "DF900"]),
        ("schizo", &["P72", "DF20"]),
        ("bipolar", &["P73", "DF31"]),
    ];
    for (name, codes) in groups {
        let mut s = std::collections::HashSet::new();
        for c in codes {
            if let Some(x) = by_code.get(c) {
                s.extend(x.iter().copied());
            }
        }
        println!("  {name:<14} {:.2}%", 100.0 * s.len() as f64 / np as f64);
    }
    let resolved = t.diagnoses.end_date.iter().filter(|e| e.is_some()).count();
    println!(
        "  diagnoses resolved {:.1}%",
        100.0 * resolved as f64 / t.diagnoses.len() as f64
    );
    // polypharmacy: distinct atc active at 2025-07-01 / during H1
    let mid = almen_core::Day::parse("2025-07-01").unwrap();
    let mut at: Vec<std::collections::HashSet<u32>> = vec![Default::default(); np];
    let mut h1: Vec<std::collections::HashSet<u32>> = vec![Default::default(); np];
    for i in 0..t.prescriptions.len() {
        let p = t.prescriptions.patient[i] as usize;
        let s = t.prescriptions.start[i];
        let e = t.prescriptions.end[i].unwrap_or(year_end);
        if s <= mid && e >= mid {
            at[p].insert(t.prescriptions.atc[i]);
        }
        if s <= mid && e >= jan1 {
            h1[p].insert(t.prescriptions.atc[i]);
        }
    }
    let ages: Vec<u32> = t
        .patients
        .birth_date
        .iter()
        .map(|b| b.age_at(jan1))
        .collect();
    let share = |sets: &Vec<std::collections::HashSet<u32>>, f: &dyn Fn(usize) -> bool| {
        let n = (0..np).filter(|i| f(*i)).count();
        let k = (0..np).filter(|i| f(*i) && sets[*i].len() >= 5).count();
        100.0 * k as f64 / n.max(1) as f64
    };
    println!(
        "polypharmacy >=5 at 1 Jul: all {:.1}% 75+ {:.1}% 40-49 {:.1}% | during H1: all {:.1}% 75+ {:.1}% 90+ {:.1}%",
        share(&at, &|_| true),
        share(&at, &|i| ages[i] >= 75),
        share(&at, &|i| (40..50).contains(&ages[i])),
        share(&h1, &|_| true),
        share(&h1, &|i| ages[i] >= 75),
        share(&h1, &|i| ages[i] >= 90)
    );
    // AF on OAC
    let af = by_code
        .get("K78")
        .cloned()
        .unwrap_or_default()
        .union(&by_code.get("DI48").cloned().unwrap_or_default())
        .copied()
        .collect::<std::collections::HashSet<u32>>();
    let mut oac = std::collections::HashSet::new();
    for i in 0..t.prescriptions.len() {
        let a = t.prescriptions.atcs.get(t.prescriptions.atc[i]);
        if (a.starts_with("B01AF") || a.starts_with("B01AE07") || a.starts_with("B01AA"))
            && t.prescriptions.end[i].is_none_or(|e| e >= mid)
        {
            oac.insert(t.prescriptions.patient[i]);
        }
    }
    println!(
        "AF on OAC {:.1}%",
        100.0 * af.iter().filter(|p| oac.contains(p)).count() as f64 / af.len().max(1) as f64
    );
    // DXA groups (latest)
    let mut latest: HashMap<u32, (almen_core::Day, f64)> = HashMap::new();
    for i in 0..t.observations.len() {
        if t.observations.codes.get(t.observations.code[i]) == "DXA_TSCORE" {
            let e = latest
                .entry(t.observations.patient[i])
                .or_insert((t.observations.date[i], t.observations.value[i]));
            if t.observations.date[i] >= e.0 {
                *e = (t.observations.date[i], t.observations.value[i]);
            }
        }
    }
    let mut fracture: HashMap<u32, almen_core::Day> = HashMap::new();
    for i in 0..t.diagnoses.len() {
        let c = t.diagnoses.codes.get(t.diagnoses.code[i]);
        if ["L75", "DS720", "DS721", "DS722", "DS220", "DS320", "DM485"].contains(&c) {
            let e = fracture
                .entry(t.diagnoses.patient[i])
                .or_insert(t.diagnoses.date[i]);
            *e = (*e).min(t.diagnoses.date[i]);
        }
    }
    let g3c = latest
        .iter()
        .filter(|(p, v)| v.1 <= -3.5 || (v.1 <= -2.5 && fracture.get(p).is_some_and(|d| *d <= v.0)))
        .count() as f64;
    println!(
        "DXA cockpit G3 share {:.0}%",
        100.0 * g3c / latest.len() as f64
    );
    let n = latest.len() as f64;
    let g1 = latest.values().filter(|v| v.1 > -1.0).count() as f64;
    let g3 = latest.values().filter(|v| v.1 <= -2.5).count() as f64;
    println!(
        "DXA scanned {} groups normal {:.0}% osteopenia {:.0}% osteoporosis {:.0}%",
        n,
        100.0 * g1 / n,
        100.0 * (n - g1 - g3) / n,
        100.0 * g3 / n
    );
    // contacts
    let mut cards = std::collections::HashSet::new();
    let mut contacts = 0u64;
    let mut by_code: HashMap<&str, i64> = HashMap::new();
    for i in 0..t.claims.len() {
        *by_code.entry(t.claims.service[i].as_str()).or_default() += t.claims.quantity[i] as i64;
        if t.claims.quantity[i] > 0 && cards.insert(t.claims.card_id.get(i)) {
            contacts += 1;
        }
    }
    let mut v: Vec<_> = by_code.into_iter().collect();
    v.sort();
    println!(
        "cards/listed {:.2} lines/listed {:.2}; services {:?}",
        contacts as f64 / listed as f64,
        t.claims.len() as f64 / listed as f64,
        v
    );
    // 6101 isolated
    let mut n6101: HashMap<u32, i32> = HashMap::new();
    for i in 0..t.claims.len() {
        if t.claims.service[i].as_str() == "6101" {
            *n6101.entry(t.claims.patient[i]).or_default() += t.claims.quantity[i];
        }
    }
    println!(
        "6101 patients {} isolated {}",
        n6101.len(),
        n6101.values().filter(|v| **v == 1).count()
    );
    // calls
    let c = &t.calls;
    let n = c.len() as f64;
    let ab = c
        .outcome
        .iter()
        .filter(|o| **o == Outcome::Abandoned)
        .count() as f64;
    let waits: Vec<f64> = (0..c.len())
        .filter_map(|i| c.answered_at[i].map(|a| c.received_at[i].seconds_until(a) as f64 / 60.0))
        .collect();
    let mw = waits.iter().sum::<f64>() / waits.len() as f64;
    let w15 = waits.iter().filter(|w| **w <= 15.0).count() as f64 / waits.len() as f64;
    let w20 = waits.iter().filter(|w| **w <= 20.0).count() as f64 / waits.len() as f64;
    let urgent = c
        .priority
        .iter()
        .filter(|p| **p == Priority::Urgent)
        .count() as f64
        / n;
    let mut oc: HashMap<&str, usize> = HashMap::new();
    for o in &c.outcome {
        *oc.entry(o.as_str()).or_default() += 1;
    }
    let mut oc: Vec<_> = oc
        .into_iter()
        .map(|(k, v)| (k, (1000.0 * v as f64 / n).round() / 10.0))
        .collect();
    oc.sort_by(|a, b| a.0.cmp(b.0));
    let cons: Vec<usize> = (0..c.len())
        .filter(|i| c.outcome[*i] == Outcome::Consultation)
        .collect();
    let cons60 = cons
        .iter()
        .filter(|i| {
            c.booked_for[**i]
                .unwrap()
                .seconds_until(c.finished_at[**i].unwrap())
                <= 3600
        })
        .count() as f64
        / cons.len() as f64;
    let hv: Vec<usize> = (0..c.len())
        .filter(|i| c.outcome[*i] == Outcome::HomeVisit)
        .collect();
    let hv3 = hv
        .iter()
        .filter(|i| {
            c.ended_at[**i]
                .unwrap()
                .seconds_until(c.visit_started_at[**i].unwrap())
                <= 3 * 3600
        })
        .count() as f64
        / hv.len() as f64;
    let talk: f64 = (0..c.len())
        .filter_map(|i| c.answered_at[i].map(|a| a.seconds_until(c.ended_at[i].unwrap()) as f64))
        .sum::<f64>()
        / waits.len() as f64
        / 60.0;
    let known = c
        .patient
        .iter()
        .filter(|p| **p != almen_dataset::NONE)
        .count() as f64
        / n;
    println!(
        "calls {} per inhabitant {:.2}; abandoned {:.1}% urgent {:.1}% known {:.0}%; wait mean {:.1} min <=15 {:.0}% <=20 {:.0}%; talk {:.1} min; cons<=60 {:.0}% hv<=3h {:.0}%",
        n,
        n / np as f64,
        100.0 * ab / n,
        100.0 * urgent,
        100.0 * known,
        mw,
        100.0 * w15,
        100.0 * w20,
        talk,
        100.0 * cons60,
        100.0 * hv3
    );
    println!("outcomes {:?}", oc);
    // hour profile / weekend
    let mut hours = [0usize; 24];
    let mut wk = [0usize; 7];
    for r in &c.received_at {
        let l = r.to_local();
        hours[chrono::Timelike::hour(&l) as usize] += 1;
        wk[chrono::Datelike::weekday(&l).num_days_from_monday() as usize] += 1;
    }
    println!("hours {:?}\nweekdays {:?}", hours, wk);
}
