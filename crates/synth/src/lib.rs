//! Synthetic Denmark: a deterministic generator of extract-format datasets.
//!
//! [`generate`] writes a dataset folder (clinics, doctors, patients, diagnoses, prescriptions,
//! observations, claims and out-of-hours calls; Parquet or CSV) for the whole country, a
//! region, a municipality or a single clinic; [`generate_tables`] returns the same content in
//! memory. The same seed and options always give byte-identical files.
//!
//! # The model
//!
//! 1. **Clinics and doctors** (`world.rs`). Every municipality gets clinics whose capacities
//!    (mostly 1-6, half of them solo practices) hold its listed residents at the region's mean
//!    list size per capacity (1,563 in Midtjylland, 1,714 in Nordjylland, 1,600 nationally),
//!    varying clinic to clinic. About 95 % run under the PLO agreement; region-run and tendered
//!    clinics, closed lists (~60 %) and unlisted residents (a few per cent) concentrate in the
//!    areas with GP shortage (`data/kommuner_synth.csv`). Clinic ids are six-digit provider
//!    numbers, unique nationally. A few owners hold several clinics, occasionally far apart.
//!    Doctors are owners, employed, trainees and locums, with fte, birth year and the
//!    out-of-hours district of their municipality.
//! 2. **Patients** (`people.rs`) are drawn per clinic from the municipality's age/sex structure
//!    (Statistics Denmark, via `almen-reference`), tilted per clinic towards older or younger
//!    lists; 7 % live in a neighbouring municipality; ~1.5 % of adults are in insurance group 2
//!    (not on any list: `clinic_id` empty, but their visits are billed at the clinic they use);
//!    ~3.5 % joined the clinic during the year; deaths follow the life table, raised by frailty
//!    and severe illness (~57,000 a year nationally). Ids are `P` + 8 digits, a scrambled
//!    national ordinal (not CPR-like).
//! 3. **Conditions** (`medical.rs`): 13 chronic conditions and recent fragility fractures at
//!    the age/sex prevalence of `data/prevalence.csv`, correlated through two latent factors
//!    (somatic frailty, mental vulnerability) so multimorbidity clusters while each margin stays
//!    as published. Diagnoses are ICPC-2 (GP) and SKS/ICD-10 (hospital) rows; some are resolved.
//!    Acute ICPC-2 diagnoses with an end date are recorded at some contacts.
//! 4. **Prescriptions** follow the conditions (treatment shares next to each rule), with stops,
//!    switches, pauses and combination products; plus age-dependent background drugs, NSAID
//!    courses, opioid courses and long-term opioid series (some with a 15+ day pause), GLP-1
//!    with and without other antidiabetics; one drug per class (no two beta-blockers). The share
//!    with ≥5 distinct drugs in the first half-year comes out at the published Danish figures
//!    (Kornholt & Christensen 2020: 12 % of everyone, 51 % of the 75+, 66 % of the 90+); on a
//!    single day it is about 9 % and 43 %.
//! 5. **Observations**: HbA1c, blood pressure, eGFR and DXA T-scores; the latest scan puts the
//!    scanned in the FLS groups about 18/51/19/12 % (the seed: 16/53/20/11 %), group 3 as the
//!    cockpit defines it (T ≤ −3.5, or T ≤ −2.5 after a hip or spine fracture).
//! 6. **Claims** (`claims.rs`): bill cards at the contact rates of `data/contacts.csv`
//!    (Statistics Denmark), raised by chronic illness; consultations, phone, e-mail, video,
//!    home visits with travel supplements, annual checks, blood samples, procedures, cytology,
//!    service 2150, talk-therapy series (6101) including isolated 6101s and forgotten ones
//!    billed as 0101, some of them corrected (0101 −1 / 6101 +1), and other corrections with
//!    negative quantities. Fees come from `almen_reference::fee_on` where the catalogue has one.
//! 7. **Calls** (`calls.rs`): the out-of-hours service's call log at ~0.5 calls per inhabitant,
//!    in its opening hours with the published hour and weekday profile, waits, outcomes and
//!    follow-up times set so the service-target KPIs land near the Q2-2023 figures. Timestamps
//!    are real instants, DST-correct.
//!
//! # Determinism under parallelism
//!
//! The whole country's clinics are planned first, each municipality from its own random stream
//! (ChaCha8, seeded from the master seed and the municipality code). Patients are generated per
//! *unit* — one clinic's list, or one municipality's unlisted residents — each from a stream
//! seeded by the master seed and the unit's national number, so a region, a municipality or a
//! clinic is identical to the same part of a national run. Units are batched into chunks of
//! ~24,000 patients, generated in parallel with rayon in bounded windows and written in a fixed
//! order while the next window is generated: the claims table (two thirds of the encoding work)
//! by one writer thread, the other tables by another, each table's batches always in chunk
//! order. Memory stays at about 0.5 GB for the whole country.
//!
//! The population structure is Statistics Denmark's (2024 estimate) whatever `year` is; the
//! calendar (holidays, weekdays, DST), fees in force and dates follow `year`.
//!
//! `cargo run --release -p almen-synth --example stats -- kommune 751 7` prints the calibration
//! figures (prevalences, polypharmacy, FLS groups, contact rates, call KPIs) of a generated scale;
//! `--example synth` writes a dataset like `almen synth` does, for timing.
//!
//! # Sources
//!
//! Every rate is written next to its use or in `data/` with its source; the main ones:
//! Statistics Denmark (population FOLK1A/FOLK1AM via `almen-reference`; GP contacts SYGK/SYGFAM;
//! life tables), Sundhedsdatastyrelsen (practices, capacities and list sizes per region; RUKS
//! chronic-disease register; drug statistics), Kornholt & Christensen, Dan Med J 2020 (polypharmacy),
//! Hegelund et al., Clin Epidemiol 2022 (atrial fibrillation), Danske Regioner (COPD), the seed
//! documents as restated in `shared/DOMAIN.md` (out-of-hours volumes, waits, targets and outcome
//! shares; FLS groups; the 6101 control; closed lists and shortage areas). Figures marked
//! approximate are shaped to the published totals, not copied from official tables.

mod calendar;
mod calls;
mod claims;
mod data;
mod ids;
mod medical;
mod merge;
mod people;
mod rng;
mod world;

use almen_dataset::{DatasetWriter, Format, Table, Tables, WriteError};
use almen_reference::{KommuneCode, Region};
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};

/// How much of Denmark to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// All 98 municipalities, about 6 million citizens.
    National,
    /// The municipalities of one region.
    Region(Region),
    /// One municipality: its clinics, their listed patients and its unlisted residents.
    Kommune(KommuneCode),
    /// One ordinary clinic in Region Midtjylland (chosen by the seed) and its listed patients.
    Clinic,
}

impl Scale {
    /// `Scale::Kommune` from a municipality code, with a clear error for an unknown one.
    pub fn kommune(code: u16) -> Result<Scale, SynthError> {
        KommuneCode::new(code)
            .map(Scale::Kommune)
            .map_err(|_| SynthError::UnknownKommune(code.to_string()))
    }
    /// `Scale::Region` from a slug or name (`midt`, `Region Midtjylland` …).
    pub fn region(name: &str) -> Result<Scale, SynthError> {
        Region::parse(name)
            .map(Scale::Region)
            .map_err(|_| SynthError::UnknownRegion(name.to_string()))
    }
}

#[derive(Debug, Clone)]
pub struct SynthOptions {
    pub scale: Scale,
    pub seed: u64,
    /// Claims and calls cover 1 January - 31 December of this year (default 2025).
    pub year: i32,
    pub format: Format,
    pub out: PathBuf,
}

/// Reported regularly while generating (`done` of `total` patients).
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub stage: &'static str,
}

#[derive(Debug, Clone)]
pub struct Summary {
    /// Rows written per table, in table order.
    pub rows: Vec<(Table, u64)>,
    /// Patients listed with a clinic (clinic_id set).
    pub patients_listed: u64,
    /// Patients not listed: residents without a list place and insurance group 2.
    pub patients_unlisted: u64,
    /// Patients who died during the year.
    pub deaths: u64,
    /// What was generated, e.g. "Region Midtjylland".
    pub scope: String,
    /// The files written.
    pub files: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("unknown municipality code {0:?}: use one of the 98 official codes, e.g. 751 (Aarhus)")]
    UnknownKommune(String),
    #[error("unknown region {0:?}: use nord, midt, syd, hovedstaden or sjaelland")]
    UnknownRegion(String),
    #[error("year {0} is outside the supported range 1990-2100")]
    Year(i32),
    #[error("writing the dataset: {0}")]
    Write(#[from] WriteError),
    #[error("the generator thread failed: {0}")]
    Internal(String),
}

fn check_year(year: i32) -> Result<(), SynthError> {
    if (1990..=2100).contains(&year) {
        Ok(())
    } else {
        Err(SynthError::Year(year))
    }
}

/// Chunks generated in parallel at a time: a bounded window keeps memory flat.
fn window() -> usize {
    (rayon::current_num_threads() * 2).max(2)
}

/// Generates the dataset and writes it to `opts.out` (created if missing; existing table files
/// replaced). `progress` is called after every chunk written (from the calling thread).
pub fn generate(
    opts: &SynthOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Summary, SynthError> {
    check_year(opts.year)?;
    progress(Progress {
        done: 0,
        total: 1,
        stage: "planning clinics",
    });
    let world = world::World::build(&opts.scale, opts.seed, opts.year);
    let svc = claims::Services::new();
    let total = world.total_patients();
    progress(Progress {
        done: 0,
        total,
        stage: "generating",
    });
    // Two writers on the same folder, each owning its own table files: claims (two thirds of
    // the encoding work) on a thread of their own, everything else here. Both are created
    // before anything is written (creating a writer clears stale table files).
    let mut w = DatasetWriter::create(&opts.out, opts.format)?;
    let mut wc = DatasetWriter::create(&opts.out, opts.format)?;
    w.write_clinics(&world.clinics)?;
    w.write_doctors(&world.doctors, &world.clinics)?;
    let mut rows = [0u64; 8];
    rows[Table::Clinics as usize] = world.clinics.len() as u64;
    rows[Table::Doctors as usize] = world.doctors.len() as u64;
    let mut deaths = 0u64;
    let mut listed = 0u64;
    let win = window();
    let (tx, rx) = mpsc::sync_channel::<Arc<Tables>>(win);
    let (tx_claims, rx_claims) = mpsc::sync_channel::<Arc<Tables>>(win);
    let result: Result<DatasetWriter, SynthError> = std::thread::scope(|s| {
        let world = &world;
        let svc = &svc;
        s.spawn(move || {
            for chunk_window in world.chunks.chunks(win) {
                let outs: Vec<Tables> = chunk_window
                    .par_iter()
                    .map(|range| people::chunk(world, svc, range.clone()))
                    .collect();
                for t in outs {
                    let t = Arc::new(t);
                    if tx_claims.send(Arc::clone(&t)).is_err() || tx.send(t).is_err() {
                        return;
                    }
                }
            }
        });
        let claims_writer = s.spawn(move || -> Result<DatasetWriter, WriteError> {
            for t in rx_claims {
                wc.write_claims(&t.claims, &t.patients, &world.clinics, &world.doctors)?;
            }
            wc.touch(Table::Claims)?;
            Ok(wc)
        });
        let mut done = 0u64;
        let own = || -> Result<(), SynthError> {
            for t in rx {
                w.write_patients(&t.patients, &world.clinics)?;
                w.write_diagnoses(&t.diagnoses, &t.patients)?;
                w.write_prescriptions(&t.prescriptions, &t.patients)?;
                w.write_observations(&t.observations, &t.patients)?;
                w.write_calls(&t.calls, &t.patients)?;
                for table in Table::ALL.iter().skip(2) {
                    rows[*table as usize] += t.rows(*table) as u64;
                }
                deaths += t.patients.deceased.iter().filter(|d| d.is_some()).count() as u64;
                listed += t
                    .patients
                    .clinic
                    .iter()
                    .filter(|c| **c != almen_dataset::NONE)
                    .count() as u64;
                done += t.patients.len() as u64;
                progress(Progress {
                    done,
                    total,
                    stage: "generating",
                });
            }
            Ok(())
        };
        // On an error here the channel closes, the generator stops and the claims writer
        // drains what it has; its result is then irrelevant.
        let mine = own();
        progress(Progress {
            done: total,
            total,
            stage: "finishing files",
        });
        let theirs = claims_writer
            .join()
            .map_err(|_| SynthError::Internal("the claims writer panicked".into()))?;
        mine?;
        Ok(theirs?)
    });
    let wc = result?;
    for t in Table::ALL {
        if t != Table::Claims {
            w.touch(t)?;
        }
    }
    let mut files = w.finish()?;
    files.extend(wc.finish()?);
    files.sort_by_key(|f| {
        Table::ALL.iter().position(|t| {
            f.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(t.name()))
        })
    });
    Ok(Summary {
        rows: Table::ALL.iter().map(|t| (*t, rows[*t as usize])).collect(),
        patients_listed: listed,
        patients_unlisted: total - listed,
        deaths,
        scope: world.scope.clone(),
        files,
    })
}

/// The same content as [`generate`] writes, in memory: for tests and small scales (a clinic, a
/// municipality; a region fits too, the country needs several GiB).
pub fn generate_tables(scale: Scale, seed: u64, year: i32) -> Result<Tables, SynthError> {
    check_year(year)?;
    let world = world::World::build(&scale, seed, year);
    let svc = claims::Services::new();
    let mut out = Tables {
        present: almen_dataset::Present::ALL,
        ..Default::default()
    };
    for chunk_window in world.chunks.chunks(window()) {
        let parts: Vec<Tables> = chunk_window
            .par_iter()
            .map(|range| people::chunk(&world, &svc, range.clone()))
            .collect();
        for t in parts {
            merge::append(&mut out, t);
        }
    }
    out.clinics = world.clinics;
    out.doctors = world.doctors;
    Ok(out)
}
