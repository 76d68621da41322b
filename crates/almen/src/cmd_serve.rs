use crate::common::{load_dataset, runtime};
use almen_server::{DEMO_USERS, ServerConfig};
use anyhow::{Context, Result};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Serve the web UI and the API.
///
/// The database is an SQLite file by default; give a PostgreSQL URL for production:
///
///   almen serve --database-url postgres://almen@db.example/almen --data data/midt
#[derive(Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// `sqlite://FILE?mode=rwc` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(long, default_value = "sqlite://almen.sqlite?mode=rwc")]
    pub database_url: String,
    /// A dataset folder to load for the cockpit and reports.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Create one demo user per role (see the README) if they do not exist.
    #[arg(long)]
    pub demo_users: bool,
}

/// Generate a synthetic Region Midtjylland on first run, then serve it with demo users.
///
/// Everything lives in the folder given by --dir (default ./almen-data): the dataset in
/// `dataset/` and the SQLite database `almen.sqlite`. Later runs reuse both.
#[derive(Args)]
pub struct DemoArgs {
    /// Folder for the demo's dataset and database.
    #[arg(long, default_value = "almen-data")]
    pub dir: PathBuf,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Seed of the synthetic region.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Generate a small single-clinic dataset instead of the whole region (seconds, not a minute).
    #[arg(long)]
    pub small: bool,
}

fn run_server(
    config: ServerConfig,
    dataset: Option<Arc<almen_dataset::Dataset>>,
    banner: bool,
) -> Result<ExitCode> {
    let rt = runtime()?;
    rt.block_on(almen_server::serve(config, dataset, move |addr| {
        println!("Almen is serving on http://{addr}");
        if banner {
            println!("Log in with one of the demo users (username / password):");
            for (user, password, role) in DEMO_USERS {
                println!("  {user:<12} {password:<18} {}", role.as_str());
            }
            println!("Stop with Ctrl-C.");
        }
    }))?;
    Ok(ExitCode::SUCCESS)
}

pub fn serve(a: ServeArgs) -> Result<ExitCode> {
    let dataset = a
        .data
        .as_deref()
        .map(|d| load_dataset(d).map(Arc::new))
        .transpose()?;
    let config = ServerConfig {
        bind: a.bind,
        database_url: a.database_url,
        data_dir: a.data,
        demo_users: a.demo_users,
    };
    run_server(config, dataset, false)
}

pub fn demo(a: DemoArgs) -> Result<ExitCode> {
    let data = a.dir.join("dataset");
    if almen_dataset::table_file(&data, almen_dataset::Table::Patients).is_none() {
        let scale = if a.small {
            almen_synth::Scale::Clinic
        } else {
            almen_synth::Scale::Region(almen_reference::Region::Midtjylland)
        };
        eprintln!(
            "First run: generating a synthetic {} into {} …",
            if a.small {
                "clinic"
            } else {
                "Region Midtjylland"
            },
            data.display()
        );
        let opts = almen_synth::SynthOptions {
            scale,
            seed: a.seed,
            year: 2025,
            format: almen_dataset::Format::Parquet,
            out: data.clone(),
        };
        crate::cmd_synth::generate_with_bar(&opts)?;
    }
    let dataset = Arc::new(load_dataset(&data)?);
    std::fs::create_dir_all(&a.dir).with_context(|| format!("creating {}", a.dir.display()))?;
    let db = a.dir.join("almen.sqlite");
    let config = ServerConfig {
        bind: a.bind,
        database_url: format!("sqlite://{}?mode=rwc", db.display()),
        data_dir: Some(data),
        demo_users: true,
    };
    run_server(config, Some(dataset), true)
}
