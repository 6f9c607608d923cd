//! `nuanxin import orgs FILE [--dry-run]`. Exit status 0 when every row was taken, 1 when rows
//! were rejected (the report lists them), 2 on unusable input.

use clap::Subcommand;
use indicatif::ProgressBar;
use nuanxin_core::accounts::Caller;
use nuanxin_core::clock::Clock;
use nuanxin_core::orgs::sheet;
use nuanxin_web::{Catalogue, Lang};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Org units (SPEC section 5: 工会编码, 工会名称, 上级工会编码, 组织类型, 区划代码, 成立日期).
    Orgs {
        file: PathBuf,
        /// Check every row and report, but write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(database: &str, cmd: ImportCommand) -> anyhow::Result<ExitCode> {
    let ImportCommand::Orgs {
        file,
        dry_run,
        json,
    } = cmd;
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            return Ok(ExitCode::from(2));
        }
    };
    let table = match sheet::read(&bytes) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            return Ok(ExitCode::from(2));
        }
    };
    let store = super::open(database).await?;
    let clock = Clock::system();
    let spinner = ProgressBar::new_spinner().with_message(format!("{} rows", table.rows.len()));
    spinner.enable_steady_tick(Duration::from_millis(120));
    let report = sheet::import(&store, &Caller::operator(&clock), &table, dry_run).await?;
    spinner.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let cat = Catalogue::of(Lang::ZhCn);
        for e in &report.rejected {
            println!(
                "第 {} 行 · {} · {} ({})",
                e.row,
                e.column,
                cat.get(e.code),
                e.code
            );
        }
        let verb = if dry_run {
            "would be imported (dry run, nothing written)"
        } else {
            "imported"
        };
        println!(
            "{} rows: {} {verb}, {} rejected",
            report.rows,
            report.imported,
            report.rejected.len()
        );
    }
    Ok(if report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
