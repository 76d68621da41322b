use almen_core::{Day, Timestamp};
use almen_dataset::{ReadOptions, read_calls_file};
use almen_kpi::{AbandonedRule, CallLog, GroupBy, KpiOptions};
use almen_server::Db;
use almen_server::vagt::{DEMO_PHONE_TOKEN, ReplayOptions, TokenScope};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum VagtCommand {
    /// Out-of-hours KPIs against the service targets, from a call log.
    ///
    /// Targets (Region Midtjylland): average wait ≤ 12 min; ≥ 70 % answered within 15 min and
    /// ≥ 80 % within 20 min; ≥ 80 % of consultations finished within 1 h of the booked time;
    /// ≥ 90 % of home visits started within 3 h of triage. "Within 15 min" means a wait of at
    /// most 15:00. By default waits and service levels are over answered calls, with abandoned
    /// calls reported beside them; `--abandoned counted_as_missed` counts them as missed.
    ///
    ///   almen vagt kpi --calls data/midt/calls.parquet --by hour
    ///
    ///   almen vagt kpi --calls data/midt --weekend-0745 2025-03-01
    ///
    ///   almen vagt kpi --database sqlite://almen-data/almen.sqlite --from 2025-03-01
    #[command(verbatim_doc_comment)]
    Kpi(KpiArgs),
    /// Play a call log into a running server, as the phone system would, so the board goes live.
    ///
    /// Each call becomes its events (entered, answered, ended or abandoned) at its times, and
    /// by default also what the doctors recorded (outcome, booked time, consultation end, home
    /// visit start). Time runs `--speed` times faster than the wall clock; the calls are moved
    /// to today unless `--keep-dates`. Running it twice is harmless: repeated events are
    /// acknowledged, not applied again.
    ///
    ///   almen demo &                      # serves http://127.0.0.1:8080 with the demo token
    ///   almen vagt replay --calls almen-data/dataset --from 2025-03-07T16:00 --speed 60
    ///
    /// Against another server, with a token from `almen vagt token create`:
    ///
    ///   ALMEN_VAGT_TOKEN=… almen vagt replay --calls calls.csv --url https://vagt.example
    #[command(verbatim_doc_comment)]
    Replay(ReplayArgs),
    /// API tokens for the phone system and for replays (`create` prints the token once).
    ///
    ///   almen vagt token create --name phone-system --database-url postgres://almen@db/almen
    ///
    ///   almen vagt token revoke --name phone-system --database-url postgres://almen@db/almen
    #[command(subcommand, verbatim_doc_comment)]
    Token(TokenCommand),
}

/// The database of a server, for commands that read or change it directly.
#[derive(Args)]
pub struct DatabaseArg {
    /// `sqlite://FILE` or `postgres://USER@HOST/DB` (default: $ALMEN_DATABASE_URL, else the
    /// demo's `sqlite://almen-data/almen.sqlite`).
    #[arg(
        long = "database-url",
        visible_alias = "database",
        env = "ALMEN_DATABASE_URL"
    )]
    pub database_url: Option<String>,
}

impl DatabaseArg {
    fn url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| DEMO_DATABASE_URL.to_string())
    }
}

const DEMO_DATABASE_URL: &str = "sqlite://almen-data/almen.sqlite";

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (only its hash is stored: keep the printed token safe).
    Create {
        /// A name for the client, unique: `phone-system`, `replay-demo`.
        #[arg(long)]
        name: String,
        /// `phone` sends call events; `simulator` may also record outcomes (replays).
        #[arg(long, default_value = "phone", value_parser = ["phone", "simulator"])]
        scope: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Revoke a token by name (servers stop accepting it within 30 s).
    Revoke {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

#[derive(Args)]
pub struct ReplayArgs {
    /// A calls file (CSV, CSV.gz or Parquet in the extract format) or a dataset folder.
    #[arg(long)]
    pub calls: PathBuf,
    /// Replayed seconds per second: 60 plays an hour in a minute; 0 sends as fast as possible.
    #[arg(long, default_value_t = 60.0, allow_negative_numbers = true)]
    pub speed: f64,
    /// The running server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// API token (default: $ALMEN_VAGT_TOKEN, else the demo server's token).
    #[arg(long, env = "ALMEN_VAGT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Only calls received at or after this time (date or RFC 3339; Danish time). Without
    /// --from and --to a whole year would take days even at 60×: pick an evening.
    #[arg(long)]
    pub from: Option<String>,
    /// Only calls received before this time (exclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// Keep the calls' own dates instead of moving them to today.
    #[arg(long)]
    pub keep_dates: bool,
    /// Send only the phone system's events, not outcomes (for a token of scope `phone`).
    #[arg(long)]
    pub no_outcomes: bool,
}

#[derive(Args)]
pub struct KpiArgs {
    /// A calls file (CSV, CSV.gz or Parquet in the extract format) or a dataset folder.
    #[arg(
        long,
        required_unless_present = "database_url",
        conflicts_with = "database_url"
    )]
    pub calls: Option<PathBuf>,
    /// Score the calls in a server's database instead (`sqlite://FILE`, `postgres://…`).
    #[arg(long = "database", visible_alias = "database-url")]
    pub database_url: Option<String>,
    /// Only calls received at or after this time (date `2025-01-01` or RFC 3339; Danish time).
    #[arg(long)]
    pub from: Option<String>,
    /// Only calls received before this time (exclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// Group by hour, day, weekday (weekday vs weekend/holiday), district, week or quarter.
    #[arg(long)]
    pub by: Option<String>,
    /// How abandoned calls count in the service levels: excluded or counted_as_missed.
    #[arg(long, default_value = "excluded")]
    pub abandoned: String,
    /// The ready-made weekend report: calls 07:30-08:00 on weekends and holidays, before and
    /// after the day answering started at 07:45 (give that day).
    #[arg(long, value_name = "CHANGE_DATE")]
    pub weekend_0745: Option<String>,
    /// `table` for people, `json` for scripts (shares as fractions 0-1, waits in seconds).
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

pub fn run(c: VagtCommand) -> Result<ExitCode> {
    match c {
        VagtCommand::Kpi(a) => kpi(a),
        VagtCommand::Replay(a) => replay(a),
        VagtCommand::Token(c) => token(c),
    }
}

/// A date means its local midnight; anything else must be a timestamp.
fn instant(flag: &str, s: &str) -> Result<Timestamp> {
    if let Ok(d) = Day::parse(s) {
        let midnight = d
            .to_naive()
            .and_hms_opt(0, 0, 0)
            .ok_or_else(|| anyhow!("{flag}: not a date ({s})"))?;
        return Timestamp::from_local(midnight).map_err(|e| anyhow!("{flag}: {e}"));
    }
    Timestamp::parse(s).map_err(|e| anyhow!("{flag}: {e}"))
}

fn kpi(a: KpiArgs) -> Result<ExitCode> {
    let opts = KpiOptions {
        abandoned: a.abandoned.parse::<AbandonedRule>()?,
        from: a
            .from
            .as_deref()
            .map(|s| instant("--from", s))
            .transpose()?,
        to: a.to.as_deref().map(|s| instant("--to", s)).transpose()?,
        by: a.by.as_deref().map(str::parse::<GroupBy>).transpose()?,
    };
    if let (Some(f), Some(t)) = (opts.from, opts.to)
        && t <= f
    {
        bail!("--to must be after --from");
    }
    let change = a
        .weekend_0745
        .as_deref()
        .map(|s| Day::parse(s).map_err(|e| anyhow!("--weekend-0745: {e}")))
        .transpose()?;
    let calls: Box<dyn CallLog> = match (&a.calls, &a.database_url) {
        (Some(path), _) => Box::new(read_calls(path)?),
        (None, Some(url)) => {
            let db = open_existing(url)?;
            // Read it all: the period filter is the KPI options', as for a file.
            Box::new(runtime()?.block_on(async {
                let calls = almen_server::vagt::calls_in_database(&db, None, None).await;
                db.close().await;
                calls.with_context(|| format!("reading the calls in {}", redact(url)))
            })?)
        }
        (None, None) => bail!("give --calls FILE or --database URL"),
    };
    let calls = calls.as_ref();
    if let Some(change) = change {
        let report = almen_kpi::weekend_0745_report(calls, change, &opts);
        if a.format == "json" {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", almen_kpi::render_weekend_0745(&report));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let report = almen_kpi::kpis(calls, &opts);
    if a.format == "json" {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", almen_kpi::render_table(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn read_calls(path: &std::path::Path) -> Result<almen_dataset::Calls> {
    match read_calls_file(path, &ReadOptions::default()) {
        Ok((calls, warnings)) => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            Ok(calls)
        }
        Err(errs) => {
            eprint!("{errs}");
            bail!(
                "the call log {} has errors; nothing was done",
                path.display()
            )
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// A URL as it may be printed: without a password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:•••{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Opens a server's database that must exist already: a mistyped SQLite path must not quietly
/// create an empty database (and report zero calls).
fn open_existing(url: &str) -> Result<Db> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        if !path.is_empty() && path != ":memory:" && !std::path::Path::new(path).exists() {
            bail!(
                "there is no database at {path} (give the --database-url of a server; `almen demo` keeps its database in almen-data/almen.sqlite)"
            );
        }
    } else if !url.starts_with("postgres:") && !url.starts_with("postgresql:") {
        bail!("--database-url: expected sqlite://FILE or postgres://USER@HOST/DB, got {url}");
    }
    runtime()?
        .block_on(Db::connect(url))
        .with_context(|| format!("opening the database {}", redact(url)))
}

fn token(c: TokenCommand) -> Result<ExitCode> {
    let rt = runtime()?;
    match c {
        TokenCommand::Create { name, scope, db } => {
            let url = db.url();
            let scope =
                TokenScope::parse(&scope).ok_or_else(|| anyhow!("--scope: phone or simulator"))?;
            let db = open_existing(&url)?;
            let token = rt.block_on(async {
                let t = almen_server::vagt::create_api_token(&db, &name, scope).await;
                db.close().await;
                t
            });
            let token = token.with_context(|| format!("creating the token {name:?}"))?;
            eprintln!(
                "token {name:?} (scope {}) created in {}; it is shown once, keep it safe:",
                scope.as_str(),
                redact(&url)
            );
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Revoke { name, db } => {
            let url = db.url();
            let db = open_existing(&url)?;
            let revoked = rt.block_on(async {
                let r = almen_server::vagt::revoke_api_token(&db, &name).await;
                db.close().await;
                r
            })?;
            if revoked {
                println!("token {name:?} revoked");
                Ok(ExitCode::SUCCESS)
            } else {
                bail!(
                    "there is no active token named {name:?} in {}",
                    redact(&url)
                )
            }
        }
    }
}

fn replay(a: ReplayArgs) -> Result<ExitCode> {
    if !(a.speed >= 0.0 && a.speed.is_finite()) {
        bail!(
            "--speed must be 0 (as fast as possible) or a positive number, got {}",
            a.speed
        );
    }
    let from = a
        .from
        .as_deref()
        .map(|s| instant("--from", s))
        .transpose()?;
    let to = a.to.as_deref().map(|s| instant("--to", s)).transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && t <= f
    {
        bail!("--to must be after --from");
    }
    let calls = read_calls(&a.calls)?;
    let token = match a.token {
        Some(t) => t,
        None => {
            eprintln!("no --token or ALMEN_VAGT_TOKEN: using the demo server's token");
            DEMO_PHONE_TOKEN.to_string()
        }
    };
    let opts = ReplayOptions {
        speed: a.speed,
        from,
        to,
        move_to_today: !a.keep_dates,
        outcomes: !a.no_outcomes,
        ..ReplayOptions::new(a.url.trim_end_matches('/'), token)
    };
    let bar = crate::progress::bar(0, "replaying");
    let stats = runtime()?.block_on(almen_server::vagt::replay(&calls, &opts, |s| {
        bar.set_length(s.total as u64);
        bar.set_position(s.sent as u64);
    }));
    bar.finish_and_clear();
    let stats = stats.with_context(|| format!("replaying into {}", opts.base_url))?;
    println!(
        "{} calls replayed into {}: {} events stored, {} already there, {} outcomes recorded, {} refused",
        stats.calls, opts.base_url, stats.events, stats.duplicates, stats.records, stats.rejected
    );
    for r in &stats.first_rejections {
        eprintln!("refused: {r}");
    }
    Ok(if stats.rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
