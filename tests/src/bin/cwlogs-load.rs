//! `cwlogs-load`: drives a CloudWatch Logs endpoint on loopback with raw PutLogEvents requests
//! and prints what it measured. See `cwlogs_tests::load` for the details.
//!
//! Loopback only, on purpose: an endpoint that does not resolve to 127.0.0.0/8 or `::1` is refused
//! before anything is sent (a flood aimed at a shared service is not a benchmark; see
//! `cwlogs_tests::load` for the reasons).

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use cwlogs_tests::load::{self, Args, LoadConfig};

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line with the whole cause chain; a backtrace helps nobody with a bad flag.
            eprintln!("cwlogs-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    let cfg = LoadConfig::try_from(args)?;
    // One thread is the default because the server under test usually shares the machine; a
    // current-thread runtime also avoids cross-thread wake-ups on every response.
    let runtime = if cfg.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cfg.threads)
            .enable_all()
            .build()
    }
    .context("starting the tokio runtime")?;
    let report = runtime.block_on(load::run(cfg))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}
