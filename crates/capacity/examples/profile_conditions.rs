//! Times the condition evaluation behind the capacity model against the cockpit's own
//! evaluation: `cargo run --release -p almen-capacity --example profile_conditions -- DIR`.

use almen_cockpit::{ListSet, evaluate_all, memberships};
use almen_dataset::{ReadOptions, read_dataset};
use std::time::Instant;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: profile_conditions DIR");
    let t = Instant::now();
    let (ds, _) = read_dataset(dir.as_ref(), &ReadOptions::default()).expect("a valid dataset");
    eprintln!("load {:.1} s", t.elapsed().as_secs_f64());
    let date = ds.last_date().expect("dates");
    let lists = ListSet::shipped();
    let conditions = almen_capacity::DEFAULT_FIT_CONDITIONS;
    for _ in 0..2 {
        let t = Instant::now();
        let c = evaluate_all(&ds, &lists, date);
        eprintln!(
            "cockpit evaluate_all: {:.3} s ({} clinics)",
            t.elapsed().as_secs_f64(),
            c.len()
        );
        let t = Instant::now();
        let m = memberships(&ds, &lists, conditions, date).unwrap();
        eprintln!(
            "memberships (conditions): {:.3} s ({} citizens)",
            t.elapsed().as_secs_f64(),
            m.population()
        );
        let t = Instant::now();
        let _ = memberships(&ds, &lists, &["low_continuity", "osteoporosis"], date).unwrap();
        eprintln!(
            "memberships (claims and observations): {:.3} s",
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let _ = memberships(&ds, &lists, &[], date).unwrap();
        eprintln!("memberships (nothing): {:.3} s", t.elapsed().as_secs_f64());
    }
}
