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

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NUANXIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // NUANXIN_LOG_FORMAT=json: one JSON object per line (with the request's span and id), for a
    // log collector; plain text for people otherwise.
    if std::env::var("NUANXIN_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json().with_current_span(true).init();
    } else {
        logs.init();
    }
    let args = cli::Cli::parse();
    match cli::run(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
