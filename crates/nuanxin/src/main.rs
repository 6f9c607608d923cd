//! `nuanxin`: one binary for the server, the demo, migrations and the operator's commands.

#![expect(
    clippy::print_stdout,
    reason = "a command line prints its answers; the library crates never print"
)]
#![expect(
    clippy::expect_used,
    reason = "operator commands and benchmarks state invariants of their own data with expect"
)]

mod cli;

use clap::Parser;

/// mimalloc for Rust and, through its `override` feature, for SQLite's own allocations too:
/// glibc's allocator spent 35-40% of a million-row import consolidating small freed chunks
/// (`malloc_consolidate`, `unlink_chunk`) each time SQLite asked for a page (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // The config file becomes environment variables before anything else runs (no other thread
    // exists yet), so that clap reads it after the command line and the environment.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Err(e) = cli::config::apply_file(&args) {
        eprintln!("error: {e}");
        return std::process::ExitCode::from(2);
    }
    let args = cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("NUANXIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // JSON: one object per line (with the request's span and id), for a log collector.
    match args.log_format {
        cli::LogFormat::Json => logs.json().with_current_span(true).init(),
        cli::LogFormat::Text => logs.init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
