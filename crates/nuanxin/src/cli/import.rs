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
    /// Members (SPEC section 5: 姓名, 身份证号, 手机号, 职业群体, 所属工会编码, …).
    Members {
        file: PathBuf,
        /// Check every row and report, but write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Prospects: known workers who are not members (姓名, 身份证号, 手机号, 职业群体, 工作单位,
    /// 工作单位统一社会信用代码, 工作地区划代码, 来源).
    Prospects {
        file: PathBuf,
        /// Check every row and report, but write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stations (SPEC section 5: 名称, 类型, 经度, 纬度, 坐标系, 地址, 开放时间, 设施, …).
    Stations {
        file: PathBuf,
        /// Check every row and report, but write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Census enterprises (SPEC section 5: 统一社会信用代码, 企业名称, 行业, 职工人数, …).
    Enterprises {
        file: PathBuf,
        /// Check every row and report, but write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Reads the file as a spreadsheet of the given layout; on failure says why on stderr and gives
/// exit status 2.
fn read_table(
    file: &std::path::Path,
    read: fn(&[u8]) -> Result<nuanxin_core::sheets::Table, nuanxin_core::sheets::SheetError>,
) -> Result<nuanxin_core::sheets::Table, ExitCode> {
    std::fs::read(file)
        .map_err(|e| e.to_string())
        .and_then(|b| read(&b).map_err(|e| e.to_string()))
        .map_err(|e| {
            eprintln!("error: {}: {e}", file.display());
            ExitCode::from(2)
        })
}

/// What the summary line says was done.
fn verb(dry_run: bool) -> &'static str {
    if dry_run {
        "would be recorded (dry run, nothing written)"
    } else {
        "recorded"
    }
}

/// 0 when every row was taken, 1 when some were rejected.
fn exit_for(rejected: &[nuanxin_core::error::RowError]) -> ExitCode {
    if rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn bar(len: usize, msg: &'static str) -> anyhow::Result<ProgressBar> {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")?
            .progress_chars("=> "),
    );
    bar.set_message(msg);
    Ok(bar)
}

async fn enterprises(
    database: &str,
    file: PathBuf,
    dry_run: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let table = match read_table(&file, nuanxin_core::census::sheet::read) {
        Ok(t) => t,
        Err(code) => return Ok(code),
    };
    let store = super::open(database).await?;
    let clock = Clock::system();
    let bar = bar(table.rows.len(), "enterprises")?;
    let report = nuanxin_core::census::sheet::import(
        &store,
        &Caller::operator(&clock),
        &table,
        dry_run,
        |done, _| bar.set_position(done as u64),
    )
    .await?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_rejected(&report.rejected);
        let verb = verb(dry_run);
        println!(
            "{} rows {verb}: {} new, {} updated, {} confirmed by another source, {} disputed (see the merge view), {} rejected",
            report.rows,
            report.created,
            report.updated,
            report.confirmed,
            report.disputed,
            report.rejected.len()
        );
    }
    Ok(exit_for(&report.rejected))
}

async fn prospects(
    database: &str,
    file: PathBuf,
    dry_run: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use nuanxin_core::census::prospects;
    let table = match read_table(&file, prospects::read) {
        Ok(t) => t,
        Err(code) => return Ok(code),
    };
    let store = super::open(database).await?;
    let clock = Clock::system();
    let bar = bar(table.rows.len(), "prospects")?;
    let report = prospects::import(
        &store,
        &super::serve::vault()?,
        &Caller::operator(&clock),
        &table,
        dry_run,
        |done, _| bar.set_position(done as u64),
    )
    .await?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_rejected(&report.rejected);
        let verb = verb(dry_run);
        println!(
            "{} rows {verb}: {} new, {} updated, {} linked to a census enterprise, {} rejected",
            report.rows,
            report.created,
            report.updated,
            report.linked_to_enterprise,
            report.rejected.len()
        );
    }
    Ok(exit_for(&report.rejected))
}

async fn stations(
    database: &str,
    file: PathBuf,
    dry_run: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let table = match read_table(&file, nuanxin_core::stations::sheet::read) {
        Ok(t) => t,
        Err(code) => return Ok(code),
    };
    let store = super::open(database).await?;
    let clock = Clock::system();
    let bar = bar(table.rows.len(), "stations")?;
    let report = nuanxin_core::stations::sheet::import(
        &store,
        &Caller::operator(&clock),
        &table,
        dry_run,
        |done, _| bar.set_position(done as u64),
    )
    .await?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_rejected(&report.rejected);
        let verb = verb(dry_run);
        println!(
            "{} rows {verb}: {} new, {} updated, {} rejected",
            report.rows,
            report.created,
            report.updated,
            report.rejected.len()
        );
    }
    Ok(exit_for(&report.rejected))
}

fn print_rejected(rejected: &[nuanxin_core::error::RowError]) {
    let cat = Catalogue::of(Lang::ZhCn);
    for e in rejected {
        println!(
            "第 {} 行 · {} · {} ({})",
            e.row,
            e.column,
            cat.get(e.code),
            e.code
        );
    }
}

async fn members(
    database: &str,
    file: PathBuf,
    dry_run: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let read = std::fs::read(&file)
        .map_err(|e| e.to_string())
        .and_then(|b| nuanxin_core::members::sheet::read(&b).map_err(|e| e.to_string()));
    let table = match read {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            return Ok(ExitCode::from(2));
        }
    };
    let store = super::open(database).await?;
    let vault = super::serve::vault()?;
    let clock = Clock::system();
    let bar = indicatif::ProgressBar::new(table.rows.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")?
            .progress_chars("=> "),
    );
    bar.set_message("members");
    let caller = Caller::operator(&clock);
    let report = nuanxin_core::members::sheet::import(
        &store,
        &vault,
        &caller,
        &table,
        dry_run,
        |done, _| bar.set_position(done as u64),
    )
    .await?;
    bar.finish_and_clear();
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
        for m in &report.matched {
            println!(
                "第 {} 行 · 已是会员 {} ({})",
                m.row,
                m.member_no.as_deref().unwrap_or("-"),
                m.org_code.as_deref().unwrap_or("-")
            );
        }
        let verb = if dry_run {
            "would be imported (dry run, nothing written)"
        } else {
            "imported"
        };
        println!(
            "{} rows: {} {verb}, {} already members, {} rejected",
            report.rows,
            report.imported,
            report.matched.len(),
            report.rejected.len()
        );
    }
    Ok(exit_for(&report.rejected))
}

pub async fn run(database: &str, cmd: ImportCommand) -> anyhow::Result<ExitCode> {
    let (file, dry_run, json) = match cmd {
        ImportCommand::Orgs {
            file,
            dry_run,
            json,
        } => (file, dry_run, json),
        ImportCommand::Members {
            file,
            dry_run,
            json,
        } => return members(database, file, dry_run, json).await,
        ImportCommand::Enterprises {
            file,
            dry_run,
            json,
        } => return enterprises(database, file, dry_run, json).await,
        ImportCommand::Stations {
            file,
            dry_run,
            json,
        } => return stations(database, file, dry_run, json).await,
        ImportCommand::Prospects {
            file,
            dry_run,
            json,
        } => return prospects(database, file, dry_run, json).await,
    };
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
    Ok(exit_for(&report.rejected))
}

/// `nuanxin bench import`: writes a CSV of `rows` generated members (valid ID numbers, five
/// township joint unions of 东昌府区, back-dated joins, one row in a hundred repeating an earlier
/// row's ID number), then reads and imports it as `nuanxin import members` does, and prints the
/// time of each step and the peak memory.
pub async fn bench_members(database: &str, rows: usize) -> anyhow::Result<()> {
    let store = super::open(database).await?;
    let clock = Clock::system();
    nuanxin_core::demo::load(&store, &clock).await?;
    let unions = nuanxin_core::demo::TOWNSHIP_JOINT_UNIONS;
    let groups = [
        "delivery_rider",
        "courier",
        "truck_driver",
        "domestic_worker",
    ];
    let offset = clock.now() as usize % 1_000_000 * 7;
    let mut csv = String::with_capacity(rows * 120);
    csv.push_str("姓名,身份证号,手机号,职业群体,工作单位,所属工会编码,工作地区划代码,入会日期\n");
    for i in 0..rows {
        let person = if i % 100 == 99 { i - 50 } else { i };
        let joined = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid")
            + chrono::Days::new((i % 700) as u64);
        csv.push_str(&format!(
            "会员{},{},139{:08},{},某某配送站,{},371502,{joined}\n",
            ["甲", "乙", "丙", "丁"][i % 4],
            nuanxin_core::members::bench::id_number(offset + person),
            (offset + person) % 100_000_000,
            groups[i % groups.len()],
            unions[i % unions.len()],
        ));
    }
    let file = std::env::temp_dir().join("nuanxin-bench-members.csv");
    std::fs::write(&file, &csv)?;
    drop(csv);
    let started = std::time::Instant::now();
    let table = nuanxin_core::members::sheet::read(&std::fs::read(&file)?)?;
    let read_s = started.elapsed().as_secs_f64();
    let vault = super::serve::vault()?;
    let caller = Caller::operator(&clock);
    let bar = indicatif::ProgressBar::new(rows as u64);
    let report =
        nuanxin_core::members::sheet::import(&store, &vault, &caller, &table, false, |done, _| {
            bar.set_position(done as u64)
        })
        .await?;
    bar.finish_and_clear();
    let total_s = started.elapsed().as_secs_f64();
    let peak = super::bench::peak_memory();
    println!(
        "| {:?} | {rows} rows | read {read_s:.1} s | read + import {total_s:.1} s | {:.0} rows/s | {} imported, {} matched, {} rejected | peak memory {peak} |",
        store.backend(),
        rows as f64 / total_s,
        report.imported,
        report.matched.len(),
        report.rejected.len(),
    );
    Ok(())
}
