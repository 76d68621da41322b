use almen_dataset::Format;
use almen_reference::{KommuneCode, Region};
use almen_synth::{Scale, SynthOptions};
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum)]
pub enum ScaleArg {
    /// All of Denmark, about 6 million citizens.
    National,
    /// One region (give --region).
    Region,
    /// One municipality (give --kommune).
    Kommune,
    /// One clinic and its listed patients: small and fast, for trying things out.
    Clinic,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Parquet,
    Csv,
    #[value(name = "csv.gz")]
    CsvGz,
}

/// Generate a synthetic dataset in the extract format.
///
/// The same seed and options always give byte-identical files. Rates and their sources are
/// documented in the synth crate. Examples:
///
///   almen synth --scale region --region midt --seed 7 --out data/midt
///
///   almen synth --scale kommune --kommune 751 --seed 1 --out data/aarhus --format csv
#[derive(Args)]
pub struct SynthArgs {
    /// How much of Denmark to generate.
    #[arg(long, value_enum)]
    pub scale: ScaleArg,
    /// Region for --scale region: nord, midt, syd, hovedstaden, sjaelland (or the full name).
    #[arg(long)]
    pub region: Option<String>,
    /// Municipality code for --scale kommune, e.g. 751 (Aarhus) or 101 (København).
    #[arg(long)]
    pub kommune: Option<String>,
    /// Random seed: the same seed gives the same dataset.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The year the claims and out-of-hours calls cover.
    #[arg(long, default_value_t = 2025)]
    pub year: i32,
    /// Output folder (created if missing; existing table files in it are replaced).
    #[arg(long)]
    pub out: PathBuf,
    /// File format of the tables.
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: FormatArg,
}

pub fn options(a: &SynthArgs) -> Result<SynthOptions> {
    let scale = match a.scale {
        ScaleArg::National => Scale::National,
        ScaleArg::Clinic => Scale::Clinic,
        ScaleArg::Region => {
            let r = a.region.as_deref().context(
                "--scale region needs --region (nord, midt, syd, hovedstaden or sjaelland)",
            )?;
            Scale::Region(Region::parse(r).map_err(|e| anyhow::anyhow!("--region: {e}"))?)
        }
        ScaleArg::Kommune => {
            let k = a
                .kommune
                .as_deref()
                .context("--scale kommune needs --kommune CODE, e.g. --kommune 751 for Aarhus")?;
            Scale::Kommune(KommuneCode::parse(k).map_err(|e| anyhow::anyhow!("--kommune: {e}"))?)
        }
    };
    if a.region.is_some() && !matches!(a.scale, ScaleArg::Region) {
        bail!("--region is only used with --scale region");
    }
    if a.kommune.is_some() && !matches!(a.scale, ScaleArg::Kommune) {
        bail!("--kommune is only used with --scale kommune");
    }
    if !(1990..=2100).contains(&a.year) {
        bail!("--year must be between 1990 and 2100 (got {})", a.year);
    }
    let format = match a.format {
        FormatArg::Parquet => Format::Parquet,
        FormatArg::Csv => Format::Csv,
        FormatArg::CsvGz => Format::CsvGz,
    };
    Ok(SynthOptions {
        scale,
        seed: a.seed,
        year: a.year,
        format,
        out: a.out.clone(),
    })
}

pub fn run(a: SynthArgs) -> Result<ExitCode> {
    let opts = options(&a)?;
    let started = std::time::Instant::now();
    let summary = generate_with_bar(&opts)?;
    for (t, n) in &summary.rows {
        println!("{:<14} {:>12}", t.name(), n);
    }
    println!(
        "{} patients listed; written to {} in {:.1} s",
        summary.patients_listed,
        opts.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn generate_with_bar(opts: &SynthOptions) -> Result<almen_synth::Summary> {
    let bar = crate::progress::bar(1, "generating");
    let summary = almen_synth::generate(opts, &|p: almen_synth::Progress| {
        bar.set_length(p.total.max(1));
        bar.set_position(p.done);
        bar.set_message(p.stage);
    });
    bar.finish_and_clear();
    summary.with_context(|| format!("generating into {}", opts.out.display()))
}
