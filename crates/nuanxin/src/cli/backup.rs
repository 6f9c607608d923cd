//! `nuanxin backup` and `nuanxin restore` (SPEC section 3.10). SQLite: a consistent copy taken
//! with `VACUUM INTO` while the server writes, restored by putting the file in place. PostgreSQL:
//! `pg_dump --format=custom` and `pg_restore`, which must be installed (same major version as
//! the server or newer).

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The file to write (it must not exist yet).
    #[arg(long)]
    pub output: PathBuf,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// A file written by `nuanxin backup`.
    #[arg(long)]
    pub input: PathBuf,
    /// Replace a database that already holds data.
    #[arg(long)]
    pub force: bool,
}

pub async fn backup(database: &str, args: BackupArgs) -> anyhow::Result<ExitCode> {
    if args.output.exists() {
        bail!(
            "{} exists already: choose a new file",
            args.output.display()
        );
    }
    if database.starts_with("postgres") {
        let (database, password) = without_password(database)?;
        run_tool(
            "pg_dump",
            &[
                "--format=custom",
                "--no-owner",
                "--file",
                &args.output.to_string_lossy(),
                "--dbname",
                &database,
            ],
            password.as_deref(),
        )?;
    } else {
        let store = super::open(database).await?;
        store
            .sqlite_copy_into(&args.output.to_string_lossy())
            .await
            .expect("an SQLite store")
            .context("VACUUM INTO")?;
        store.close().await;
    }
    let size = std::fs::metadata(&args.output)?.len();
    println!(
        "backup of {} written to {} ({size} bytes)",
        super::config::redact_url(database),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(database: &str, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    if !args.input.is_file() {
        bail!("{} is not a file", args.input.display());
    }
    if !args.force && holds_data(database).await? {
        bail!(
            "{} already holds data: restore into an empty database, or pass --force to replace it",
            super::config::redact_url(database)
        );
    }
    if database.starts_with("postgres") {
        let (database, password) = without_password(database)?;
        run_tool(
            "pg_restore",
            &[
                "--clean",
                "--if-exists",
                "--no-owner",
                "--exit-on-error",
                "--dbname",
                &database,
                &args.input.to_string_lossy(),
            ],
            password.as_deref(),
        )?;
    } else {
        let path = sqlite_path(database)?;
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        std::fs::copy(&args.input, &path)
            .with_context(|| format!("copying to {}", path.display()))?;
    }
    // Opening migrates a backup of an older version to this one.
    super::open(database).await?.close().await;
    println!(
        "{} restored from {}",
        super::config::redact_url(database),
        args.input.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Whether the database has any org unit (a fresh or missing one has none).
async fn holds_data(database: &str) -> anyhow::Result<bool> {
    if !database.starts_with("postgres") && !sqlite_path(database)?.exists() {
        return Ok(false);
    }
    let store = nuanxin_core::Store::connect(database).await?;
    let mut tx = store.read().await?;
    let n: Result<i64, _> = nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM org_units").fetch_one(c).await);
    drop(tx);
    store.close().await;
    Ok(n.unwrap_or(0) > 0)
}

fn sqlite_path(database: &str) -> anyhow::Result<PathBuf> {
    let rest = database
        .strip_prefix("sqlite://")
        .or_else(|| database.strip_prefix("sqlite:"))
        .with_context(|| format!("not an SQLite URL: {}", super::config::redact_url(database)))?;
    Ok(Path::new(rest.split('?').next().unwrap_or(rest)).to_path_buf())
}

/// The database URL without its password, and the password (decoded), which the PostgreSQL tools
/// then read from `PGPASSWORD`: a command line is visible to every local user (`ps`).
fn without_password(database: &str) -> anyhow::Result<(String, Option<String>)> {
    let mut url = url::Url::parse(database)
        .with_context(|| format!("not a URL: {}", super::config::redact_url(database)))?;
    let password = url.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    let _ = url.set_password(None);
    Ok((url.to_string(), password))
}

fn run_tool(tool: &str, args: &[&str], password: Option<&str>) -> anyhow::Result<()> {
    let mut command = std::process::Command::new(tool);
    command.args(args);
    if let Some(p) = password {
        command.env("PGPASSWORD", p);
    }
    let status = command
        .status()
        .with_context(|| format!("{tool} could not be run: install the PostgreSQL client tools (Debian: postgresql-client)"))?;
    if !status.success() {
        bail!("{tool} failed with {status}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_password_leaves_the_command_line_for_the_environment() {
        let (url, password) = super::without_password(
            "postgres://nx:p%40ss%3Aw@db.example:5432/nuanxin?sslmode=require",
        )
        .unwrap();
        assert_eq!(url, "postgres://nx@db.example:5432/nuanxin?sslmode=require");
        assert_eq!(password.as_deref(), Some("p@ss:w"));
        let (url, password) =
            super::without_password("postgres://postgres@127.0.0.1:5432/x").unwrap();
        assert_eq!(
            (url.as_str(), password),
            ("postgres://postgres@127.0.0.1:5432/x", None)
        );
    }
}
