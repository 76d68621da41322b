//! Appending chunk-local tables into one in-memory dataset (for [`crate::generate_tables`]).

use crate::ids::push_str;
use almen_dataset::{Dict, NONE, Tables};

fn remap(dst: &mut Dict, src: &Dict) -> Vec<u32> {
    src.values().iter().map(|v| dst.intern(v)).collect()
}

fn map_opt(m: &[u32], i: u32) -> u32 {
    if i == NONE { NONE } else { m[i as usize] }
}

fn shift(offset: u32, row: u32) -> u32 {
    if row == NONE { NONE } else { row + offset }
}

/// Appends `src` (whose patient references are local to it) to `dst`. Clinics and doctors are
/// shared by all chunks and not touched.
pub fn append(dst: &mut Tables, src: Tables) {
    let off = dst.patients.len() as u32;
    let p = &mut dst.patients;
    for s in src.patients.id.iter() {
        push_str(&mut p.id, s);
    }
    p.birth_date.extend(src.patients.birth_date);
    p.sex.extend(src.patients.sex);
    p.kommune.extend(src.patients.kommune);
    p.clinic.extend(src.patients.clinic);
    p.listed_since.extend(src.patients.listed_since);
    p.group.extend(src.patients.group);
    p.deceased.extend(src.patients.deceased);

    let d = &mut dst.diagnoses;
    let m = remap(&mut d.codes, &src.diagnoses.codes);
    d.patient
        .extend(src.diagnoses.patient.iter().map(|r| r + off));
    d.system.extend(src.diagnoses.system);
    d.code
        .extend(src.diagnoses.code.iter().map(|c| m[*c as usize]));
    d.date.extend(src.diagnoses.date);
    d.end_date.extend(src.diagnoses.end_date);

    let rx = &mut dst.prescriptions;
    let m = remap(&mut rx.atcs, &src.prescriptions.atcs);
    rx.patient
        .extend(src.prescriptions.patient.iter().map(|r| r + off));
    rx.atc
        .extend(src.prescriptions.atc.iter().map(|c| m[*c as usize]));
    rx.start.extend(src.prescriptions.start);
    rx.end.extend(src.prescriptions.end);
    rx.subsidised.extend(src.prescriptions.subsidised);

    let o = &mut dst.observations;
    let m = remap(&mut o.codes, &src.observations.codes);
    let mu = remap(&mut o.units, &src.observations.units);
    o.patient
        .extend(src.observations.patient.iter().map(|r| r + off));
    o.code
        .extend(src.observations.code.iter().map(|c| m[*c as usize]));
    o.value.extend(src.observations.value);
    o.unit
        .extend(src.observations.unit.iter().map(|u| map_opt(&mu, *u)));
    o.date.extend(src.observations.date);

    let c = &mut dst.claims;
    for s in src.claims.claim_id.iter() {
        push_str(&mut c.claim_id, s);
    }
    for s in src.claims.card_id.iter() {
        push_str(&mut c.card_id, s);
    }
    c.patient.extend(src.claims.patient.iter().map(|r| r + off));
    c.clinic.extend(src.claims.clinic);
    c.doctor.extend(src.claims.doctor);
    c.service.extend(src.claims.service);
    c.quantity.extend(src.claims.quantity);
    c.service_date.extend(src.claims.service_date);
    c.service_time.extend(src.claims.service_time);
    c.submitted.extend(src.claims.submitted);
    c.fee_dkk.extend(src.claims.fee_dkk);

    let k = &mut dst.calls;
    let m = remap(&mut k.districts, &src.calls.districts);
    for s in src.calls.call_id.iter() {
        push_str(&mut k.call_id, s);
    }
    k.received_at.extend(src.calls.received_at);
    k.answered_at.extend(src.calls.answered_at);
    k.ended_at.extend(src.calls.ended_at);
    k.priority.extend(src.calls.priority);
    k.district
        .extend(src.calls.district.iter().map(|d| map_opt(&m, *d)));
    k.outcome.extend(src.calls.outcome);
    k.booked_for.extend(src.calls.booked_for);
    k.finished_at.extend(src.calls.finished_at);
    k.visit_started_at.extend(src.calls.visit_started_at);
    k.patient
        .extend(src.calls.patient.iter().map(|r| shift(off, *r)));
}
