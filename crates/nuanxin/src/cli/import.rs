//! `nuanxin import orgs FILE [--dry-run]`. Exit status 0 when every row was taken, 1 when rows
//! were rejected (the report lists them), 2 on unusable input.

use clap::Subcommand;
use indicatif::ProgressBar;
use nuanxin_core::accounts::Caller;
use nuanxin_core::census::prospects::ProspectsSheet;
use nuanxin_core::census::sheet::EnterprisesSheet;
use nuanxin_core::clock::Clock;
use nuanxin_core::members::sheet::MembersSheet;
use nuanxin_core::orgs::sheet::OrgsSheet;
use nuanxin_core::sheets::import::{ImportReport, SheetImport, Tally};
use nuanxin_core::stations::sheet::StationsSheet;
use nuanxin_web::{Catalogue, Lang};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Org units (SPEC section 5: 工会编码, 工会名称, 上级工会编码, 组织类型, 区划代码, 成立日期).
    Orgs(ImportArgs),
    /// Members (SPEC section 5: 姓名, 身份证号, 手机号, 职业群体, 所属工会编码, …).
    Members(ImportArgs),
    /// Prospects: known workers who are not members (姓名, 身份证号, 手机号, 职业群体, 工作单位,
    /// 工作单位统一社会信用代码, 工作地区划代码, 来源).
    Prospects(ImportArgs),
    /// Stations (SPEC section 5: 名称, 类型, 经度, 纬度, 坐标系, 地址, 开放时间, 设施, …).
    Stations(ImportArgs),
    /// Census enterprises (SPEC section 5: 统一社会信用代码, 企业名称, 行业, 职工人数, …).
    Enterprises(ImportArgs),
    /// Rights cases (案件编号, 受理工会编码, 类型, 处理方式, 姓名, 身份证号, 手机号, 企业统一社会信用代码,
    /// 受理日期, 诉求金额（元）, 追回金额（元）, 结案日期, 结果): a case number the union has updates it.
    Cases(ImportArgs),
    /// Labour-law checks (统一社会信用代码, 体检日期, 实施工会编码, 发现问题数, 已整改数): the same
    /// union's check of an enterprise on the same day updates it.
    LabourChecks(ImportArgs),
    /// Care recipients (活动编号, 身份证号 or 会员编号, 领取日期, 物品): a person receives once per
    /// activity; a repeat is refused, naming the earlier row or receipt.
    CareRecipients(ImportArgs),
}

/// What every import takes: the file, and how to run and report.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The sheet: .xlsx, or .csv in UTF-8 or GBK.
    file: PathBuf,
    /// Check every row and report, but write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// One body for every `nuanxin import NAME FILE`: reads the file (exit 2 when it cannot), imports
/// it with a progress bar, prints the report (or its JSON) and exits 0 when every row was taken,
/// 1 when some were rejected.
async fn import_sheet<S: SheetImport>(
    database: &str,
    ImportArgs {
        file,
        dry_run,
        json,
    }: ImportArgs,
) -> anyhow::Result<ExitCode> {
    let read = std::fs::read(&file)
        .map_err(|e| e.to_string())
        .and_then(|b| S::read(&b).map_err(|e| e.to_string()));
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
    let bar = ProgressBar::new(table.rows.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")?
            .progress_chars("=> "),
    );
    bar.set_message(S::NAME);
    let report = S::import(
        &store,
        &vault,
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
        print_report(&report);
    }
    Ok(if report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The rejected cells and any further rows (in Chinese, as the sheet is), then one summary line.
fn print_report<T: Tally>(report: &ImportReport<T>) {
    let zh = Catalogue::of(Lang::ZhCn);
    for e in &report.rejected {
        println!(
            "第 {} 行 · {} · {} ({})",
            e.row,
            e.column,
            zh.get(e.code),
            e.code
        );
    }
    if let Some(extra) = report.tally.extra() {
        for (row, cells) in &extra.rows {
            println!(
                "第 {row} 行 · {} · {}",
                zh.get(extra.title),
                cells.join(" · ")
            );
        }
    }
    let en = Catalogue::of(Lang::En);
    let mut parts: Vec<String> = report
        .counts()
        .iter()
        .map(|c| en.get(c.key).replace("{n}", &c.n.to_string()))
        .collect();
    parts.push(format!("{} rejected", report.rejected.len()));
    println!(
        "{} rows: {}{}",
        report.rows,
        parts.join(", "),
        if report.dry_run {
            " (dry run, nothing written)"
        } else {
            ""
        }
    );
}

pub async fn run(database: &str, cmd: ImportCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ImportCommand::Orgs(args) => import_sheet::<OrgsSheet>(database, args).await,
        ImportCommand::Members(args) => import_sheet::<MembersSheet>(database, args).await,
        ImportCommand::Enterprises(args) => import_sheet::<EnterprisesSheet>(database, args).await,
        ImportCommand::Stations(args) => import_sheet::<StationsSheet>(database, args).await,
        ImportCommand::Cases(args) => {
            import_sheet::<nuanxin_core::services::cases_sheet::CasesSheet>(database, args).await
        }
        ImportCommand::LabourChecks(args) => {
            import_sheet::<nuanxin_core::services::labour_checks_sheet::LabourChecksSheet>(
                database, args,
            )
            .await
        }
        ImportCommand::Prospects(args) => import_sheet::<ProspectsSheet>(database, args).await,
        ImportCommand::CareRecipients(args) => {
            import_sheet::<nuanxin_core::services::care_sheet::CareRecipientsSheet>(database, args)
                .await
        }
    }
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
            super::bench::members::id_number(offset + person),
            (offset + person) % 100_000_000,
            groups[i % groups.len()],
            unions[i % unions.len()],
        ));
    }
    let file = std::env::temp_dir().join("nuanxin-bench-members.csv");
    std::fs::write(&file, &csv)?;
    drop(csv);
    let started = std::time::Instant::now();
    let table = MembersSheet::read(&std::fs::read(&file)?)?;
    let read_s = started.elapsed().as_secs_f64();
    let vault = super::serve::vault()?;
    let caller = Caller::operator(&clock);
    let bar = ProgressBar::new(rows as u64);
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
