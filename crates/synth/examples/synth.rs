//! Writes a dataset like `almen synth` does (for timing without the CLI):
//! `cargo run --release -p almen-synth --example synth -- national 7 /tmp/out parquet`.
use almen_dataset::Format;
use almen_synth::{Scale, SynthOptions, generate};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let scale = match a[1].as_str() {
        "national" => Scale::National,
        "clinic" => Scale::Clinic,
        s if s.starts_with("region=") => Scale::region(&s[7..]).unwrap(),
        s if s.starts_with("kommune=") => Scale::kommune(s[8..].parse().unwrap()).unwrap(),
        _ => panic!("scale"),
    };
    let opts = SynthOptions {
        scale,
        seed: a[2].parse().unwrap(),
        year: 2025,
        format: if a.get(4).map(String::as_str) == Some("csv") {
            Format::Csv
        } else {
            Format::Parquet
        },
        out: a[3].clone().into(),
    };
    let t = std::time::Instant::now();
    let last = std::sync::atomic::AtomicU64::new(0);
    let s = generate(&opts, &|p| {
        let pct = p.done * 10 / p.total.max(1);
        if last.swap(pct, std::sync::atomic::Ordering::Relaxed) != pct {
            eprintln!(
                "{:>5.1}s {} {}/{}",
                t.elapsed().as_secs_f64(),
                p.stage,
                p.done,
                p.total
            );
        }
    })
    .unwrap();
    for (t, n) in &s.rows {
        println!("{:<14} {:>12}", t.name(), n);
    }
    println!(
        "{} listed, {} unlisted, {} deaths; {} in {:.1} s",
        s.patients_listed,
        s.patients_unlisted,
        s.deaths,
        s.scope,
        t.elapsed().as_secs_f64()
    );
}
