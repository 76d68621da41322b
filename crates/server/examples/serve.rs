//! A stand-in for `almen serve` with the same command line, for trying the server and running
//! the browser tests without the `almen` binary:
//!
//! ```text
//! cargo run -p almen-server --example serve -- serve --bind 127.0.0.1:8080 \
//!     --database-url 'sqlite://almen.sqlite?mode=rwc' --demo-users [--data DIR]
//! ALMEN_BIN=target/debug/examples/serve node --test tests/browser/*.test.mjs
//! ```
//!
//! It prints `Almen is serving on http://ADDR` once ready, as `almen serve` does.

use almen_server::{ServerConfig, serve};
use anyhow::{Context, bail};
use std::path::PathBuf;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut config = ServerConfig {
        bind: "127.0.0.1:8080".parse()?,
        database_url: "sqlite://almen.sqlite?mode=rwc".to_string(),
        data_dir: None,
        demo_users: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "serve" => {}
            "--bind" => {
                let value = args.next().context("--bind needs an address")?;
                config.bind = value
                    .parse()
                    .with_context(|| format!("not an address: {value}"))?;
            }
            "--database-url" => {
                config.database_url = args.next().context("--database-url needs a URL")?;
            }
            "--data" => {
                config.data_dir =
                    Some(PathBuf::from(args.next().context("--data needs a folder")?));
            }
            "--demo-users" => config.demo_users = true,
            other => bail!("unknown argument {other:?}"),
        }
    }
    // The dataset, if any, is read by the server from `data_dir`.
    serve(config, None, |addr| {
        println!("Almen is serving on http://{addr}")
    })
    .await
}
