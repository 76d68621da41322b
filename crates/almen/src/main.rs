//! `almen`: the command line of Almen. Thin glue: parse the arguments, call the library
//! crates, print the result, map errors to exit codes.

mod cmd_capacity;
mod cmd_cockpit;
mod cmd_data;
mod cmd_economy;
mod cmd_planning;
mod cmd_serve;
mod cmd_synth;
mod cmd_vagt;
mod common;
mod progress;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Almen — open software for Danish general practice.
///
/// Start with `almen demo`: it generates a synthetic Region Midtjylland the first time,
/// opens the embedded SQLite database and serves the web UI on http://127.0.0.1:8080.
/// Every command explains itself with `--help`, e.g. `almen synth --help`.
#[derive(Parser)]
#[command(
    name = "almen",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate synthetic data (first run only), open SQLite and serve the web UI with demo users.
    Demo(cmd_serve::DemoArgs),
    /// Serve the web UI and API on a database (SQLite file or PostgreSQL).
    Serve(cmd_serve::ServeArgs),
    /// Generate a synthetic dataset ("Synthetic Denmark") in the extract format.
    Synth(cmd_synth::SynthArgs),
    /// Work with dataset folders: validate one with `almen data check DIR`.
    #[command(subcommand)]
    Data(cmd_data::DataCommand),
    /// The out-of-hours service (lægevagten): KPIs against the targets, replay, API tokens.
    #[command(subcommand)]
    Vagt(cmd_vagt::VagtCommand),
    /// The clinic cockpit: population lists per clinic, prevalence, members with reasons.
    Cockpit(cmd_cockpit::CockpitCommand),
    /// The national capacity model: disease weights, minimum patient numbers, PLO's alternative.
    Capacity(cmd_capacity::CapacityCommand),
    /// The economy: the regions' controls on bill cards, 6101 corrections, the economic frame.
    Economy(cmd_economy::EconomyCommand),
    /// Out-of-hours planning: Erlang C/A visitators for the phone targets, the queue simulator.
    #[command(subcommand)]
    Planning(cmd_planning::PlanningCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ALMEN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Demo(a) => cmd_serve::demo(a),
        Command::Serve(a) => cmd_serve::serve(a),
        Command::Synth(a) => cmd_synth::run(a),
        Command::Data(c) => cmd_data::run(c),
        Command::Vagt(c) => cmd_vagt::run(c),
        Command::Cockpit(c) => cmd_cockpit::run(c),
        Command::Capacity(c) => cmd_capacity::run(c),
        Command::Economy(c) => cmd_economy::run(c),
        Command::Planning(c) => cmd_planning::run(c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
