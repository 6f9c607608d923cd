//! `nuanxin report coverage --org CODE [--from DATE --to DATE] --format json|xlsx [--output FILE]`:
//! the coverage report of a unit's subtree, as JSON on standard output or the statistics sheet.
//! `nuanxin report services --org CODE [--from DATE --to DATE] --format json`: the worker
//! services figures (rights cases, labour-law checks) of the subtree, as JSON.

use clap::{Subcommand, ValueEnum};
use nuanxin_core::accounts::Caller;
use nuanxin_core::clock::Clock;
use nuanxin_core::coverage::{self, Period};
use nuanxin_core::sheets::parse_date;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Json,
    Xlsx,
}

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Members, unions, census figures and rates of a unit's subtree and of each child.
    Coverage {
        /// Code of the org unit.
        #[arg(long)]
        org: String,
        /// First day of the period (default: 1 January of this year).
        #[arg(long)]
        from: Option<String>,
        /// Last day of the period (default: today).
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        /// Write here instead of standard output (required for xlsx).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Worker services of a unit's subtree for a period: rights cases (opened, closed, workers
    /// helped, amounts claimed and recovered, by kind) and labour-law checks (checks,
    /// enterprises, findings, rectified).
    Services {
        /// Code of the org unit.
        #[arg(long)]
        org: String,
        /// First day of the period (default: 1 January of this year).
        #[arg(long)]
        from: Option<String>,
        /// Last day of the period (default: today).
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: ServicesFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ServicesFormat {
    Json,
}

fn date(arg: &str, s: &Option<String>) -> Result<Option<chrono::NaiveDate>, String> {
    match s {
        None => Ok(None),
        Some(s) => parse_date(s)
            .map(Some)
            .ok_or_else(|| format!("--{arg}: not a date: {s}")),
    }
}

/// The period of `--from` and `--to`, or the message to print.
fn period_of(
    from: &Option<String>,
    to: &Option<String>,
    today: chrono::NaiveDate,
) -> Result<Period, String> {
    match (date("from", from), date("to", to)) {
        (Ok(f), Ok(t)) => {
            Period::or_this_year(f, t, today).map_err(|_| "--from is after --to".to_string())
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

pub async fn run(database: &str, cmd: ReportCommand) -> anyhow::Result<ExitCode> {
    let (org, from, to, format, output) = match cmd {
        ReportCommand::Coverage {
            org,
            from,
            to,
            format,
            output,
        } => (org, from, to, format, output),
        ReportCommand::Services { org, from, to, .. } => {
            return services(database, &org, &from, &to).await;
        }
    };
    let clock = Clock::system();
    let caller = Caller::operator(&clock);
    let period = match period_of(&from, &to, caller.today) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if matches!(format, Format::Xlsx) && output.is_none() {
        eprintln!("error: --format xlsx needs --output FILE");
        return Ok(ExitCode::from(2));
    }
    let store = super::open(database).await?;
    let mut tx = store.read().await?;
    let report = match coverage::coverage(&mut tx, &caller.scope, &org, period).await {
        Ok(r) => r,
        Err(nuanxin_core::Error::NotFound) => {
            eprintln!("error: no org unit with code {org}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    drop(tx);
    let bytes = match format {
        Format::Json => {
            let mut b = serde_json::to_vec_pretty(&report)?;
            b.push(b'\n');
            b
        }
        Format::Xlsx => coverage::sheet::statistics_xlsx(&report, true)?,
    };
    match output {
        Some(path) => std::fs::write(&path, bytes)?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    let mut tx = store.write().await?;
    nuanxin_core::audit::record(
        &mut tx,
        &caller.actor,
        caller.at,
        "coverage.export",
        &org,
        None,
        serde_json::json!({"from": period.from, "to": period.to}),
    )
    .await?;
    tx.commit().await?;
    Ok(ExitCode::SUCCESS)
}

/// `report services`: the services figures as one JSON object on standard output.
async fn services(
    database: &str,
    org: &str,
    from: &Option<String>,
    to: &Option<String>,
) -> anyhow::Result<ExitCode> {
    let clock = Clock::system();
    let caller = Caller::operator(&clock);
    let period = match period_of(from, to, caller.today) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let store = super::open(database).await?;
    let mut tx = store.read().await?;
    let report =
        match nuanxin_core::services::report::services(&mut tx, &caller.scope, org, period).await {
            Ok(r) => r,
            Err(nuanxin_core::Error::NotFound) => {
                eprintln!("error: no org unit with code {org}");
                return Ok(ExitCode::from(2));
            }
            Err(e) => return Err(e.into()),
        };
    drop(tx);
    let mut out = serde_json::to_vec_pretty(&report)?;
    out.push(b'\n');
    std::io::stdout().lock().write_all(&out)?;
    Ok(ExitCode::SUCCESS)
}
