//! `nuanxin admin create` (password read as one line from standard input), `admin token`,
//! `admin reseal-ids`, `admin recount`, `admin keys` and `admin purge`.

use clap::Subcommand;
use nuanxin_core::accounts::{self, AccountInput, Caller};
use nuanxin_core::clock::Clock;
use std::io::BufRead;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a cadre account with a post at an org unit; reads the password from standard input.
    Create {
        /// Code of the org unit of the post.
        #[arg(long)]
        org: String,
        #[arg(long)]
        username: String,
        /// admin, staff, liaison, viewer, keeper (of the station given by --station) or partner.
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// For a keeper: the id of the station they keep (inside the unit's subtree).
        #[arg(long)]
        station: Option<String>,
    },
    /// Re-seal stored ID numbers with the newest key of NUANXIN_ID_KEYS (after adding a key).
    ResealIds,
    /// Recount every coverage figure from the base records and compare; `--repair` fixes
    /// differences. Exit status 1 when differences were found.
    Recount {
        #[arg(long)]
        repair: bool,
    },
    /// Print a fresh pair of ID-number keys in the environment format (needs no database).
    Keys,
    /// Delete rate-limit windows and SMS codes that can no longer matter, and complete transfers
    /// whose objection window closed (serve does both hourly).
    Purge,
    /// Create an API token for an account (printed once).
    Token {
        #[arg(long)]
        username: String,
        /// What the token is for, e.g. "交通运输局窗口".
        #[arg(long)]
        name: String,
    },
}

pub async fn run(database: &str, cmd: AdminCommand) -> anyhow::Result<ExitCode> {
    if let AdminCommand::Keys = cmd {
        let (keys, hash) = nuanxin_core::members::id_vault::IdVault::new_key_pair();
        println!("NUANXIN_ID_KEYS={keys}");
        println!("NUANXIN_ID_HASH_KEY={hash}");
        eprintln!("Keep both secret and backed up: without them no stored ID number can be read or found again.");
        return Ok(ExitCode::SUCCESS);
    }
    let store = super::open(database).await?;
    let clock = Clock::system();
    let caller = Caller::operator(&clock);
    match cmd {
        AdminCommand::Create {
            org,
            username,
            role,
            display_name,
            station,
        } => {
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let input = AccountInput {
                username: username.clone(),
                display_name,
                password,
                org_code: org.clone(),
                role,
                station,
            };
            let mut tx = store.write().await?;
            match accounts::create_account(&mut tx, &caller, &input).await {
                Ok(_) => {
                    tx.commit().await?;
                    println!("account {username} created with a post at {org}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    let msg = nuanxin_web::Catalogue::of(nuanxin_web::Lang::ZhCn).get(e.code());
                    eprintln!("error: {} {msg} ({})", e.field().unwrap_or(""), e.code());
                    Ok(ExitCode::from(1))
                }
            }
        }
        AdminCommand::Keys => unreachable!("answered before the database is opened"),
        AdminCommand::Purge => {
            let p = nuanxin_core::housekeeping::purge(&store, clock.now()).await?;
            println!(
                "purged {} rate-limit windows and {} SMS codes",
                p.rate_limits, p.sms_codes
            );
            let n = nuanxin_core::members::transfers::complete_due(&store, clock.now()).await?;
            println!("{n} transfers completed (objection window closed)");
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::ResealIds => {
            let n = nuanxin_core::members::reseal_all(&store, &super::serve::vault()?).await?;
            println!("{n} ID numbers re-sealed with the newest key");
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::Recount { repair } => {
            let report = nuanxin_core::coverage::recount(&store, repair).await?;
            for d in report.differences.iter().take(50) {
                println!(
                    "{} {}:{} stored {} counted {}",
                    d.scope_path, d.metric, d.key, d.stored, d.counted
                );
            }
            println!(
                "{} counters, {} differences{}",
                report.counters,
                report.differences.len(),
                if report.repaired { ", repaired" } else { "" }
            );
            Ok(if report.differences.is_empty() || report.repaired {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        AdminCommand::Token { username, name } => {
            let mut tx = store.write().await?;
            let token = accounts::create_token(&mut tx, &caller, &username, &name).await?;
            tx.commit().await?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
