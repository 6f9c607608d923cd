//! `nuanxin bench`: performance measurements on generated data; results go to BENCHMARKS.md.

pub mod care;
pub mod coverage;
pub mod grid;
pub mod members;
pub mod orgs;
pub mod services;
pub mod stations;

use clap::Subcommand;
use nuanxin_core::new_id;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Durable joins from many concurrent clients: in process through `members::join`, or with
    /// `--http` through the JSON API on loopback (SMS code, then join), as phones do.
    Joins {
        /// Database to use (the demo is loaded into it if missing).
        #[arg(long, default_value = "sqlite:///tmp/nuanxin-bench-joins.db")]
        database: String,
        #[arg(long, default_value_t = 200)]
        clients: usize,
        #[arg(long, default_value_t = 5_000)]
        joins: usize,
        /// Write through the group-commit queue (as the server does) instead of one commit per join.
        #[arg(long)]
        group_commit: bool,
        /// Through the server's JSON API over loopback, with the server in this process.
        #[arg(long)]
        http: bool,
        /// With `--http`: joins per second offered by all clients together (open loop, latency
        /// counted from when each join was due); 0 sends as fast as answers come.
        #[arg(long, default_value_t = 2_000.0)]
        rate: f64,
    },
    /// Member import of generated rows (valid ID numbers, five township unions, back-dated
    /// joins, a share of rows repeating existing members): time and rows per second.
    Import {
        /// Database to use (the demo is loaded into it if missing).
        #[arg(long, default_value = "sqlite:///tmp/nuanxin-bench-import.db")]
        database: String,
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
    },
    /// The coverage report of random subtrees against a plain GROUP BY over the base tables.
    Coverage {
        /// Database to fill (a fresh one: generated rows are inserted once).
        #[arg(long, default_value = "sqlite:///tmp/nuanxin-bench-coverage.db")]
        database: String,
        #[arg(long, default_value_t = 100_000)]
        units: usize,
        #[arg(long, default_value_t = 10_000_000)]
        members: usize,
        #[arg(long, default_value_t = 3_000_000)]
        enterprises: usize,
        /// Reports timed per depth.
        #[arg(long, default_value_t = 200)]
        queries: usize,
    },
    /// A mass handout: members of one union scanned into a care activity by several scanners at
    /// once, then scanned again (refused). SQLite.
    Care {
        /// Database to fill (a fresh one).
        #[arg(long, default_value = "sqlite:///tmp/nuanxin-bench-care.db")]
        database: String,
        #[arg(long, default_value_t = 5_000)]
        members: usize,
        /// Scanners working at once (phones and scanner guns at one station).
        #[arg(long, default_value_t = 4)]
        scanners: usize,
    },
    /// The services report (rights cases and mutual-aid claims) of random subtrees of a
    /// generated province, and the import of a sheet of new cases. SQLite.
    Services {
        /// Database to fill (a fresh one: generated rows are inserted once).
        #[arg(long, default_value = "sqlite:///tmp/nuanxin-bench-services.db")]
        database: String,
        #[arg(long, default_value_t = 10_000)]
        units: usize,
        #[arg(long, default_value_t = 1_000_000)]
        cases: usize,
        #[arg(long, default_value_t = 1_000_000)]
        claims: usize,
        /// Rows of the case sheet imported at the end (0: none).
        #[arg(long, default_value_t = 100_000)]
        import: usize,
        /// Reports timed per depth.
        #[arg(long, default_value_t = 200)]
        queries: usize,
    },
    /// Grid reports with a photo of about 200 KB each, through the API at a fixed rate (open
    /// loop), routed and stored on SQLite: p50/p99 of each report's answer.
    Grid {
        /// Database to use (the demo and its members are loaded into it if missing).
        #[arg(long, default_value = "sqlite:///tmp/nuanxin-bench-grid.db")]
        database: String,
        #[arg(long, default_value_t = 1_000)]
        reports: usize,
        /// Reports offered per minute by all clients together.
        #[arg(long, default_value_t = 500.0)]
        per_minute: f64,
        #[arg(long, default_value_t = 20)]
        clients: usize,
    },
    /// Stations: 10-nearest in process, through the HTTP endpoint, against PostGIS; the index
    /// rebuilt from the database; the 15-minute circle analysis at national scale.
    Stations(super::bench_stations::Args),
    /// The member export (xlsx, streamed) of every member of a database, e.g. the one `bench
    /// coverage` filled: time, rows and the process's peak memory.
    Export {
        #[arg(long, default_value = "sqlite:///tmp/nuanxin-bench-coverage.db")]
        database: String,
    },
    /// Subtree listing and counting over a generated tree of org units.
    Subtree {
        /// Database to fill (a fresh SQLite file is best).
        #[arg(long, default_value = "sqlite:///tmp/nuanxin-bench.db")]
        database: String,
        /// Number of org units to generate.
        #[arg(long, default_value_t = 1_000_000)]
        units: usize,
        /// Number of queries of each kind.
        #[arg(long, default_value_t = 500)]
        queries: usize,
    },
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Joins {
            database,
            clients,
            joins,
            group_commit,
            http,
            rate,
        } => {
            if http {
                super::bench_joins::run(super::bench_joins::Args {
                    database,
                    clients,
                    joins,
                    rate,
                })
                .await?;
            } else {
                members::joins(&database, clients, joins, group_commit).await?;
            }
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Import { database, rows } => {
            super::import::bench_members(&database, rows).await?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Coverage {
            database,
            units,
            members,
            enterprises,
            queries,
        } => {
            coverage::run(&database, units, members, enterprises, queries).await?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Services {
            database,
            units,
            cases,
            claims,
            import,
            queries,
        } => {
            services::run(&database, units, cases, claims, import, queries).await?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Care {
            database,
            members,
            scanners,
        } => {
            care::run(&database, members, scanners).await?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Grid {
            database,
            reports,
            per_minute,
            clients,
        } => {
            grid::run(&database, reports, per_minute, clients).await?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Stations(args) => {
            super::bench_stations::run(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Export { database } => {
            let store = super::open(&database).await?;
            let clock = nuanxin_core::clock::Clock::system();
            let caller = nuanxin_core::accounts::Caller::operator(&clock);
            let started = std::time::Instant::now();
            let mut tx = store.write().await?;
            let (bytes, rows) = nuanxin_core::members::sheet::export_xlsx(
                &mut tx,
                &caller,
                &super::serve::vault()?,
                &nuanxin_core::members::MemberFilter::default(),
            )
            .await?;
            drop(tx);
            let took = started.elapsed().as_secs_f64();
            let peak = peak_memory();
            println!(
                "| member export, {rows} rows | {took:.1} s | {:.1} MB file | peak memory {peak} |",
                bytes.len() as f64 / 1e6
            );
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Subtree {
            database,
            units,
            queries,
        } => {
            orgs::subtree(&database, units, queries).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The process's peak resident memory so far (`VmHWM`, Linux), as the kernel prints it.
pub fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_default()
}

/// One generated unit: id, code, parent, path, depth.
pub(crate) type TreeRow = (uuid::Uuid, String, Option<uuid::Uuid>, String, i32);

/// A generated tree of `units` units under a root coded `root`, ten children to a parent, level
/// by level: every benchmark's org network.
pub(crate) fn tree(root: &str, units: usize) -> Vec<TreeRow> {
    let mut rows: Vec<TreeRow> = Vec::with_capacity(units);
    let root_path = format!("/{root}/");
    let mut frontier = vec![(new_id(), root.to_string(), root_path.clone())];
    rows.push((frontier[0].0, root.into(), None, root_path, 0));
    let mut depth = 0;
    while rows.len() < units {
        depth += 1;
        let mut next = Vec::new();
        'outer: for (pid, pcode, ppath) in &frontier {
            for d in 0..10 {
                if rows.len() >= units {
                    break 'outer;
                }
                let code = format!("{pcode}{d}");
                let path = format!("{ppath}{code}/");
                let id = new_id();
                rows.push((id, code.clone(), Some(*pid), path.clone(), depth));
                next.push((id, code, path));
            }
        }
        frontier = next;
    }
    rows
}
