//! One configuration: `--help` never shows a secret from the environment, a config file sets
//! what the flags set, the environment wins over the file, and an unknown key stops the command.

#![expect(
    clippy::expect_used,
    reason = "tests: a step that fails fails the test"
)]

use std::process::{Command, Output};

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nuanxin"));
    cmd.args(args).env("NUANXIN_LOG", "warn");
    for var in [
        "NUANXIN_DATABASE_URL",
        "NUANXIN_CONFIG",
        "NUANXIN_METRICS_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn help_never_prints_a_secret_from_the_environment() {
    let env = [
        (
            "NUANXIN_DATABASE_URL",
            "postgres://union:hunter2@db.example.cn/nuanxin",
        ),
        ("NUANXIN_METRICS_TOKEN", "tok-secret-metrics"),
        (
            "NUANXIN_ID_KEYS",
            "1:c2VjcmV0LWlkLWtleXMtMzItYnl0ZXMtbG9uZy0xMjM0NTY=",
        ),
        ("NUANXIN_ID_HASH_KEY", "c2VjcmV0LWhhc2gta2V5"),
        ("NUANXIN_SMS_TOKEN", "tok-secret-sms"),
    ];
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["import", "orgs", "--help"],
    ] {
        let out = run(args, &env);
        assert!(out.status.success(), "{}", text(&out));
        let help = text(&out);
        assert!(help.contains("--database"), "{help}");
        for (_, secret) in env {
            assert!(!help.contains(secret), "{args:?} shows {secret}: {help}");
        }
        assert!(!help.contains("hunter2"), "{help}");
    }
}

#[test]
fn a_config_file_sets_the_database_and_the_environment_wins() {
    let dir = std::env::temp_dir().join(format!("nuanxin-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let from_file = dir.join("from-file.db");
    let from_env = dir.join("from-env.db");
    let config = dir.join("nuanxin.toml");
    std::fs::write(
        &config,
        format!(
            "database = \"sqlite://{}\"\nlog-format = \"text\"\n",
            from_file.display()
        ),
    )
    .unwrap();
    let out = run(&["--config", config.to_str().unwrap(), "migrate"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(from_file.exists(), "the file's database was created");

    let env_url = format!("sqlite://{}", from_env.display());
    let out = run(
        &["migrate"],
        &[
            ("NUANXIN_CONFIG", config.to_str().unwrap()),
            ("NUANXIN_DATABASE_URL", &env_url),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(from_env.exists(), "the environment's database was used");

    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "databse = \"sqlite://x.db\"\n").unwrap();
    let out = run(&["--config", bad.to_str().unwrap(), "migrate"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("unknown setting `databse`") && said.contains("bad.toml"),
        "{said}"
    );
}

#[test]
fn printed_database_urls_hide_the_password() {
    // An unreachable PostgreSQL: the error names the URL, without its password.
    let out = run(
        &["migrate"],
        &[(
            "NUANXIN_DATABASE_URL",
            "postgres://union:hunter2@127.0.0.1:1/nuanxin",
        )],
    );
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains("union:***@127.0.0.1:1"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
    // A URL of a database Nuanxin does not support: the store's own error names it, hidden too.
    let out = run(
        &["migrate"],
        &[("NUANXIN_DATABASE_URL", "mysql://union:hunter2@db/nuanxin")],
    );
    assert!(!out.status.success());
    let said = text(&out);
    assert!(!said.contains("hunter2"), "{said}");
    // Backup names the database in its messages without the password.
    let out = run(
        &["restore", "/nonexistent.db"],
        &[("NUANXIN_DATABASE_URL", "sqlite://:hunter2@/x.db")],
    );
    assert!(!text(&out).contains("hunter2"), "{}", text(&out));
}
