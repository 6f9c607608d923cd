//! The configuration of every command: each setting is a clap field (see `Cli` and `ServeArgs`)
//! with its environment variable, default and help; secrets are `Secret`s and their values are
//! never shown by `--help` (`hide_env_values`). Operators who prefer one file write the same
//! settings in `--config nuanxin.toml`; the command line, then the environment, then the file,
//! then the default decide.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub use nuanxin_web::Secret;

/// The keys a config file may hold (the long flag without `--`, `-` or `_` alike), each with the
/// environment variable of the same setting.
pub const KEYS: &[(&str, &str)] = &[
    ("database", "NUANXIN_DATABASE_URL"),
    ("dev_keys", "NUANXIN_DEV_KEYS"),
    ("id_keys", "NUANXIN_ID_KEYS"),
    ("id_hash_key", "NUANXIN_ID_HASH_KEY"),
    ("log_format", "NUANXIN_LOG_FORMAT"),
    ("listen", "NUANXIN_LISTEN"),
    ("secure_cookies", "NUANXIN_SECURE_COOKIES"),
    ("public_url", "NUANXIN_PUBLIC_URL"),
    ("tile_url", "NUANXIN_TILE_URL"),
    ("tile_gcj02", "NUANXIN_TILE_GCJ02"),
    ("tile_attribution", "NUANXIN_TILE_ATTRIBUTION"),
    ("region_boundaries", "NUANXIN_REGION_BOUNDARIES"),
    ("nearest_per_minute", "NUANXIN_NEAREST_PER_MINUTE"),
    ("trust_forwarded_for", "NUANXIN_TRUST_FORWARDED_FOR"),
    ("sms_per_hour", "NUANXIN_SMS_PER_HOUR"),
    ("webhook_allow_private", "NUANXIN_WEBHOOK_ALLOW_PRIVATE"),
    ("sms_url", "NUANXIN_SMS_URL"),
    ("sms_token", "NUANXIN_SMS_TOKEN"),
    ("metrics_token", "NUANXIN_METRICS_TOKEN"),
    ("dev_assets", "NUANXIN_DEV_ASSETS"),
    ("font_dir", "NUANXIN_FONT_DIR"),
];

/// The config file named by `--config FILE` (or `--config=FILE`) on the command line, else by
/// `NUANXIN_CONFIG`.
pub fn file_named(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let a = a.to_string_lossy();
        if a == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(path) = a.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os("NUANXIN_CONFIG").map(PathBuf::from)
}

/// The settings of a config file as (environment variable, value), checked: a key that is not a
/// setting, or a value that is not text, a number or true/false, is an error naming it.
pub fn read_file(path: &Path) -> Result<Vec<(&'static str, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("{}: not a TOML file: {e}", path.display()))?;
    let mut settings = Vec::new();
    for (key, value) in table {
        let name = key.replace('-', "_");
        let Some((_, var)) = KEYS.iter().find(|(k, _)| *k == name) else {
            let known: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
            return Err(format!(
                "{}: unknown setting `{key}` (the settings are: {})",
                path.display(),
                known.join(", ")
            ));
        };
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(format!(
                    "{}: `{key}` must be text, a number or true/false, not {}",
                    path.display(),
                    other.type_str()
                ))
            }
        };
        settings.push((*var, value));
    }
    Ok(settings)
}

/// Applies the config file, if one is named: each setting the environment does not already hold
/// is put into this process's environment, where clap reads it after the command line. Called at
/// the very start of `main`, before any other thread exists.
pub fn apply_file(args: &[OsString]) -> Result<(), String> {
    let Some(path) = file_named(args) else {
        return Ok(());
    };
    for (var, value) in read_file(&path)? {
        if std::env::var_os(var).is_none() {
            std::env::set_var(var, value);
        }
    }
    Ok(())
}

/// A database URL fit to print: the password, if any, replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_passwords_are_never_shown() {
        let s = Secret::new("tok-secret");
        assert_eq!(format!("{s:?} {s}"), "*** ***");
        assert_eq!(s.expose(), "tok-secret");
        assert_eq!(
            redact_url("postgres://union:hunter2@db.example.cn:5432/nuanxin"),
            "postgres://union:***@db.example.cn:5432/nuanxin"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(redact_url("sqlite://nuanxin.db"), "sqlite://nuanxin.db");
    }

    #[test]
    fn a_config_file_names_settings_and_refuses_unknown_keys() {
        let dir = std::env::temp_dir().join(format!("nuanxin-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(
            &good,
            "database = \"sqlite:///srv/nuanxin.db\"\nsms-per-hour = 500\nsecure_cookies = true\n",
        )
        .unwrap();
        let mut read = read_file(&good).unwrap();
        read.sort();
        assert_eq!(
            read,
            [
                (
                    "NUANXIN_DATABASE_URL",
                    "sqlite:///srv/nuanxin.db".to_string()
                ),
                ("NUANXIN_SECURE_COOKIES", "true".to_string()),
                ("NUANXIN_SMS_PER_HOUR", "500".to_string()),
            ]
        );
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "databse = \"x\"\n").unwrap();
        let e = read_file(&bad).unwrap_err();
        assert!(
            e.contains("unknown setting `databse`") && e.contains("bad.toml"),
            "{e}"
        );
        let args: Vec<OsString> = ["nuanxin", "--config", "x.toml", "migrate"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(file_named(&args), Some(PathBuf::from("x.toml")));
    }
}
