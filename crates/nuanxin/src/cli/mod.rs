//! Command line: `serve`, `migrate`, `demo`, `admin`, `regions`, `import`, `report`, `bench`.

mod admin;
mod backup;
mod bench;
mod bench_joins;
mod bench_stations;
pub mod config;
mod import;
mod regions;
mod report;
mod serve;

use clap::{Parser, Subcommand};
use nuanxin_core::Store;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "nuanxin",
    version,
    about = "暖新 Nuanxin: the union platform for new-employment-form workers"
)]
pub struct Cli {
    /// A TOML file of settings, keyed as the long flags (`database = "postgres://…"`,
    /// `sms_per_hour = 500`); the command line and the environment come first.
    #[arg(long, global = true, env = "NUANXIN_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    /// Database URL: sqlite://PATH (embedded, default) or postgres://USER:PASSWORD@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "NUANXIN_DATABASE_URL",
        default_value = "sqlite://nuanxin.db",
        hide_env_values = true
    )]
    pub database: String,
    /// Use the public development keys for ID numbers when NUANXIN_ID_KEYS and
    /// NUANXIN_ID_HASH_KEY are not set: test data only (`demo` and `bench` imply it).
    #[arg(long, global = true, env = "NUANXIN_DEV_KEYS", value_parser = clap::builder::BoolishValueParser::new())]
    pub dev_keys: bool,
    /// The keys that seal ID numbers (`nuanxin admin keys` makes a pair).
    #[arg(long, global = true, env = "NUANXIN_ID_KEYS", hide_env_values = true)]
    pub id_keys: Option<config::Secret>,
    /// The key of the ID numbers' lookup hash (`nuanxin admin keys` makes a pair).
    #[arg(
        long,
        global = true,
        env = "NUANXIN_ID_HASH_KEY",
        hide_env_values = true
    )]
    pub id_hash_key: Option<config::Secret>,
    /// Log lines as `text` for people or `json` for a collector (which lines: NUANXIN_LOG, e.g.
    /// `info,sqlx=warn`).
    #[arg(
        long,
        global = true,
        env = "NUANXIN_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the web console and the API.
    Serve(serve::ServeArgs),
    /// Create or upgrade the database schema and load the built-in regions, then exit.
    Migrate,
    /// Create the database if needed, load the Liaocheng demo once, and serve.
    Demo(serve::ServeArgs),
    /// Accounts and API tokens.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// The region tree.
    #[command(subcommand)]
    Regions(regions::RegionsCommand),
    /// Import a spreadsheet (.xlsx or .csv).
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Reports: `report coverage`.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Write a consistent copy of the database to a file (SQLite: VACUUM INTO; PostgreSQL: pg_dump).
    Backup(backup::BackupArgs),
    /// Restore a copy written by `backup` into an empty database (or any with --force).
    Restore(backup::RestoreArgs),
    /// Measure performance on generated data (see BENCHMARKS.md).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Opens and migrates the database, and makes sure the built-in regions are loaded.
pub async fn open(url: &str) -> anyhow::Result<Store> {
    // The driver's own error may repeat the URL: it is shown with the password hidden too.
    let shown = config::redact_url(url);
    let store = Store::open(url)
        .await
        .map_err(|e| anyhow::anyhow!("opening {shown}: {}", e.to_string().replace(url, &shown)))?;
    nuanxin_core::regions::ensure_builtin(&store).await?;
    Ok(store)
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    serve::set_keys(
        cli.id_keys.clone(),
        cli.id_hash_key.clone(),
        cli.dev_keys || matches!(cli.command, Command::Demo(_) | Command::Bench(_)),
    );
    match cli.command {
        Command::Serve(args) => serve::serve(&cli.database, args, false).await,
        Command::Demo(args) => serve::serve(&cli.database, args, true).await,
        Command::Migrate => {
            open(&cli.database).await?;
            println!("migrated {}", config::redact_url(&cli.database));
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin(cmd) => admin::run(&cli.database, cmd).await,
        Command::Regions(cmd) => regions::run(&cli.database, cmd).await,
        Command::Import(cmd) => import::run(&cli.database, cmd).await,
        Command::Report(cmd) => report::run(&cli.database, cmd).await,
        Command::Bench(cmd) => bench::run(cmd).await,
        Command::Backup(args) => backup::backup(&cli.database, args).await,
        Command::Restore(args) => backup::restore(&cli.database, args).await,
    }
}
