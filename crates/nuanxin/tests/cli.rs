//! The command line contract: `admin create` reads the password from standard input; `import
//! orgs` exits 0 when every row was taken, 1 when rows were rejected, 2 on unusable input; a dry
//! run writes nothing. On SQLite, and on PostgreSQL when `NUANXIN_TEST_DATABASE_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "tests: a step that fails fails the test, with its message"
)]

use nuanxin_testkit::TestDb;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn nuanxin(db: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nuanxin"))
        .args(args)
        .args(["--database", db])
        .env("NUANXIN_LOG", "warn")
        .env("NUANXIN_DEV_KEYS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn count(url: &str, sql: &str) -> i64 {
    let store = nuanxin_core::Store::open(url).await.unwrap();
    let mut tx = store.read().await.unwrap();
    let n =
        nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await)
            .unwrap();
    drop(tx);
    store.close().await;
    n
}

async fn contract(db: TestDb) {
    let url = db.url.clone();
    let dir = std::env::temp_dir().join(format!(
        "nuanxin-cli-{}-{}",
        std::process::id(),
        url.len() + url.as_bytes()[url.len() - 1] as usize
    ));
    std::fs::create_dir_all(&dir).unwrap();

    let out = nuanxin(&url, &["migrate"], "");
    assert!(out.status.success(), "{}", text(&out));

    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        "工会编码,工会名称,上级工会编码,组织类型,区划代码,成立日期\n\
        F37,山东省总工会,,总工会,370000000000,1950-05-01\n\
        F3715,聊城市总工会,F37,总工会,371500000000,2024/9/6\n",
    )
    .unwrap();
    let out = nuanxin(
        &url,
        &["import", "orgs", good.to_str().unwrap(), "--dry-run"],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("2 would be imported"), "{}", text(&out));
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM org_units").await,
        0,
        "a dry run writes nothing"
    );
    let out = nuanxin(&url, &["import", "orgs", good.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(count(&url, "SELECT COUNT(*) FROM org_units").await, 2);

    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "code,name,parent_code,type,region_code\nF371502,东昌府区总工会,F3715,federation,371502\nX,坏,F3715,federation,99\n").unwrap();
    let out = nuanxin(
        &url,
        &["import", "orgs", bad.to_str().unwrap(), "--json"],
        "",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["imported"], 1);
    assert_eq!(
        report["rejected"],
        serde_json::json!([{"row": 3, "column": "region_code", "code": "regions.unknown"}])
    );

    let unusable = dir.join("unusable.csv");
    std::fs::write(&unusable, "名字,别的\n甲,乙\n").unwrap();
    let out = nuanxin(&url, &["import", "orgs", unusable.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("工会编码"),
        "names the missing column: {}",
        text(&out)
    );
    let out = nuanxin(
        &url,
        &["import", "orgs", dir.join("missing.xlsx").to_str().unwrap()],
        "",
    );
    assert_eq!(out.status.code(), Some(2));

    let out = nuanxin(
        &url,
        &[
            "admin",
            "create",
            "--org",
            "F3715",
            "--username",
            "chief",
            "--role",
            "admin",
        ],
        "s3cret-pass\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = nuanxin(
        &url,
        &[
            "admin",
            "create",
            "--org",
            "F3715",
            "--username",
            "chief2",
            "--role",
            "admin",
        ],
        "short\n",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("accounts.password_too_short"));
    let out = nuanxin(
        &url,
        &[
            "admin",
            "create",
            "--org",
            "NOPE",
            "--username",
            "chief3",
            "--role",
            "staff",
        ],
        "long-enough\n",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // A station's keeper: without a station it keeps nothing yet; a station that is not there
    // is refused by name.
    let keeper = |name: &str, station: Option<&str>| {
        let mut args = vec![
            "admin",
            "create",
            "--org",
            "F3715",
            "--username",
            name,
            "--role",
            "keeper",
        ];
        if let Some(s) = station {
            args.extend(["--station", s]);
        }
        nuanxin(&url, &args, "long-enough\n")
    };
    let out = keeper("keeper-a", None);
    assert!(out.status.success(), "{}", text(&out));
    let out = keeper("keeper-b", Some("00000000-0000-7000-8000-000000000000"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("accounts.bad_station"),
        "{}",
        text(&out)
    );

    // Members: per-row report, dry run, back-dated joins, people already members matched.
    let members = dir.join("members.csv");
    std::fs::write(
        &members,
        "姓名,身份证号,手机号,职业群体,所属工会编码,入会日期\n\
        张三,371502199001011234,13806351234,快递员,F371502,2025-03-01\n\
        李四,371502198512123225,139 0635 1111,外卖配送员,F371502,\n\
        坏号,371502199001011230,13806351235,快递员,F371502,\n\
        重复,371502199001011234,13806351234,快递员,F371502,\n\
        越界,371502198512123233,13806351236,快递员,NOPE,\n",
    )
    .unwrap();
    let out = nuanxin(
        &url,
        &[
            "import",
            "members",
            members.to_str().unwrap(),
            "--dry-run",
            "--json",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["imported"], 2);
    assert_eq!(
        report["rejected"],
        serde_json::json!([
        {"row": 4, "column": "身份证号", "code": "members.id_bad_check"},
        {"row": 5, "column": "身份证号", "code": "members.duplicate_in_file"},
        {"row": 6, "column": "所属工会编码", "code": "orgs.unknown_parent"}])
    );
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM memberships").await,
        0,
        "a dry run writes nothing"
    );
    let out = nuanxin(&url, &["import", "members", members.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(*) FROM memberships WHERE status = 'active'"
        )
        .await,
        2
    );
    assert_eq!(count(&url, "SELECT COUNT(*) FROM membership_events WHERE event = 'joined' AND on_date = '2025-03-01'").await, 1);
    let again = dir.join("again.csv");
    std::fs::write(&again, "name,id_number,phone,group,union_code\n张三,371502199001011234,13806351234,courier,F3715\n").unwrap();
    let out = nuanxin(
        &url,
        &["import", "members", again.to_str().unwrap(), "--json"],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            report["imported"].as_i64(),
            report["matched"][0]["org_code"].as_str()
        ),
        (Some(0), Some("F371502"))
    );
    assert!(report["matched"][0]["member_no"]
        .as_str()
        .unwrap()
        .starts_with("37150225"));

    // Census import, then the coverage report (its JSON is a contract) and the recount.
    let enterprises = dir.join("enterprises.csv");
    std::fs::write(
        &enterprises,
        "统一社会信用代码,企业名称,行业,职工人数,新就业形态劳动者人数,区划代码,建会状态,来源\n\
        91350100M000100Y43,聊城顺达物流有限公司,货运物流,30,20,371502,未建会,排查\n\
        91110000802100433b,聊城速达配送有限公司,外卖,120,80,371502003,已建会,排查\n\
        91371500789201168J,校验位错误公司,快递,10,5,371502,未建会,排查\n",
    )
    .unwrap();
    let out = nuanxin(
        &url,
        &[
            "import",
            "enterprises",
            enterprises.to_str().unwrap(),
            "--json",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["created"], 2);
    assert_eq!(
        report["rejected"],
        serde_json::json!([{"row": 4, "column": "统一社会信用代码", "code": "census.uscc_check"}])
    );
    let out = nuanxin(
        &url,
        &[
            "report",
            "coverage",
            "--org",
            "F3715",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let cov: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cov["members_total"], 2);
    assert_eq!(cov["members_by_group"]["courier"], 1);
    assert_eq!(cov["members_by_group"]["delivery_rider"], 1);
    assert_eq!(
        cov["members_by_group"].as_object().unwrap().len(),
        11,
        "every group code is a key"
    );
    assert_eq!(
        cov["unions_by_type"],
        serde_json::json!({"federation": 2, "industry_federation": 0, "joint_union": 0, "enterprise_union": 0})
    );
    assert_eq!(
        (
            cov["enterprises_surveyed"].as_i64(),
            cov["enterprises_unionised"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(cov["unionisation_rate"], 0.5);
    assert_eq!(
        cov["membership_rate"], 0.02,
        "2 members ÷ 100 census workers"
    );
    assert_eq!(cov["new_members"], 1, "one join dated in 2025");
    assert_eq!(cov["children"][0]["org_code"], "F371502");
    assert_eq!(cov["children"][0]["members_total"], 2);
    let xlsx = dir.join("statistics.xlsx");
    let out = nuanxin(
        &url,
        &[
            "report",
            "coverage",
            "--org",
            "F3715",
            "--format",
            "xlsx",
            "--output",
            xlsx.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        std::fs::read(&xlsx).unwrap().starts_with(b"PK"),
        "an xlsx file"
    );
    let out = nuanxin(&url, &["report", "coverage", "--org", "NOPE"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // The services report: one object, its cases member with every kind.
    let out = nuanxin(
        &url,
        &["report", "services", "--org", "F3715", "--format", "json"],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let services: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            services["cases"]["opened"].as_i64(),
            services["cases"]["recovered_fen"].as_i64()
        ),
        (Some(0), Some(0)),
        "{services}"
    );
    assert_eq!(services["cases"]["by_kind"].as_object().unwrap().len(), 6);
    let out = nuanxin(&url, &["report", "services", "--org", "NOPE"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // Rights cases from a ledger: a bad row named by row and column, the rest counted.
    let ledger = dir.join("cases.csv");
    std::fs::write(
        &ledger,
        "案件编号,受理工会编码,类型,处理方式,姓名,身份证号,手机号,企业统一社会信用代码,受理日期,诉求金额（元）,追回金额（元）,结案日期,结果\n\
        WQ-1,F371502,欠薪,调解,王五,,13800000001,,2025-03-01,12000,9600,2025-03-20,调解成功\n\
        WQ-2,F371502,工伤,咨询,赵六,,13800000002,,2025-04-01,800.5,,,\n\
        WQ-3,F371502,欠薪,咨询,钱七,,13800000003,,2025-04-02,100,,2025-04-05,\n\
        WQ-4,F371502,欠薪,咨询,孙八,,13800000004,,2025-04-02,1.234,,,\n",
    )
    .unwrap();
    let out = nuanxin(
        &url,
        &["import", "cases", ledger.to_str().unwrap(), "--json"],
        "",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let imported: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(imported["created"], 2, "{imported}");
    assert_eq!(
        imported["rejected"],
        serde_json::json!([{"row": 4, "column": "结果", "code": "cases.outcome_required"},
            {"row": 5, "column": "诉求金额（元）", "code": "money.bad_amount"}])
    );
    let out = nuanxin(
        &url,
        &[
            "report",
            "services",
            "--org",
            "F3715",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
        ],
        "",
    );
    let services: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            services["cases"]["opened"].as_i64(),
            services["cases"]["closed"].as_i64(),
            services["cases"]["claimed_fen"].as_i64(),
            services["cases"]["recovered_fen"].as_i64(),
            services["cases"]["workers_helped"].as_i64()
        ),
        (Some(2), Some(1), Some(1_280_050), Some(960_000), Some(1)),
        "{services}"
    );
    // Labour-law checks of the census enterprises above: bad rows named, the report counts.
    let checks = dir.join("checks.csv");
    std::fs::write(
        &checks,
        "统一社会信用代码,体检日期,实施工会编码,发现问题数,已整改数\n\
        91350100M000100Y43,2025-05-01,F371502,3,2\n\
        91110000802100433b,2025-05-02,F371502,1,1\n\
        91350100M000100Y43,2025-05-03,F371502,2,3\n\
        91110000802100433B,2099-01-01,F371502,1,0\n",
    )
    .unwrap();
    let out = nuanxin(
        &url,
        &[
            "import",
            "labour-checks",
            checks.to_str().unwrap(),
            "--json",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let imported: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (imported["created"].as_i64(), imported["findings"].as_i64()),
        (Some(2), Some(4)),
        "{imported}"
    );
    assert_eq!(
        imported["rejected"],
        serde_json::json!([{"row": 4, "column": "已整改数", "code": "checks.rectified_too_high"},
            {"row": 5, "column": "体检日期", "code": "errors.bad_date"}])
    );
    let out = nuanxin(
        &url,
        &[
            "report",
            "services",
            "--org",
            "F3715",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
        ],
        "",
    );
    let services: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        services["labour_checks"],
        serde_json::json!({"checks": 2, "enterprises": 2, "findings": 4, "rectified": 3}),
        "{services}"
    );
    // Stations: dry run, import with a rejected row, import again (updates, not duplicates).
    let stations = dir.join("stations.csv");
    std::fs::write(
        &stations,
        "名称,类型,经度,纬度,坐标系,地址,开放时间,设施,管理员,电话,所属工会编码\n\
        古楼骑手之家,骑手之家,115.9822,36.4558,WGS84,古楼街道东关街12号,每天 8:00-22:00,饮水、充电、热饭,王芳,0635-8123456,F371502\n\
        光岳楼岗亭驿站,工会驿站,115.9855,36.4565,GCJ02,楼西大街,每天 24小时,饮水、充电,张强,0635-8333110,F371502\n\
        坐标填反驿站,工会驿站,36.4558,115.9822,WGS84,某路,,饮水,,,F371502\n",
    )
    .unwrap();
    let out = nuanxin(
        &url,
        &[
            "import",
            "stations",
            stations.to_str().unwrap(),
            "--dry-run",
            "--json",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["dry_run"].as_bool(), report["created"].as_i64()),
        (Some(true), Some(2))
    );
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM stations").await,
        0,
        "a dry run writes nothing"
    );
    let out = nuanxin(
        &url,
        &["import", "stations", stations.to_str().unwrap(), "--json"],
        "",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["created"], 2);
    assert_eq!(
        report["rejected"],
        serde_json::json!([{"row": 4, "column": "纬度", "code": "stations.swapped"}])
    );
    let out = nuanxin(
        &url,
        &["import", "stations", stations.to_str().unwrap(), "--json"],
        "",
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["created"].as_i64(), report["updated"].as_i64()),
        (Some(0), Some(2))
    );
    assert_eq!(count(&url, "SELECT COUNT(*) FROM stations").await, 2);
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM station_changes").await,
        4,
        "every write is in the change log the servers follow"
    );
    let out = nuanxin(&url, &["admin", "recount"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains(" 0 differences"), "{}", text(&out));

    // Key rotation: add key 2, re-seal, and the numbers still open (with the new key).
    let rotated = Command::new(env!("CARGO_BIN_EXE_nuanxin"))
        .args(["admin", "reseal-ids", "--database", &url])
        .env("NUANXIN_ID_KEYS", "1:bnVhbnhpbi1kZXYtaWQta2V5LTEtTk9ULVNFQ1JFVCE=,2:cm90YXRlZC1rZXktbnVtYmVyLXR3by0zMi1ieXRlcyE=")
        .env("NUANXIN_ID_HASH_KEY", "bnVhbnhpbi1kZXYtaWQtaGFzaC1OT1QtU0VDUkVUISE=")
        .env("NUANXIN_LOG", "warn")
        .output()
        .unwrap();
    assert!(rotated.status.success(), "{}", text(&rotated));
    assert!(
        String::from_utf8_lossy(&rotated.stdout).starts_with("2 ID numbers re-sealed"),
        "{}",
        text(&rotated)
    );
    let vault = nuanxin_core::members::id_vault::IdVault::from_env_values("1:bnVhbnhpbi1kZXYtaWQta2V5LTEtTk9ULVNFQ1JFVCE=,2:cm90YXRlZC1rZXktbnVtYmVyLXR3by0zMi1ieXRlcyE=", "bnVhbnhpbi1kZXYtaWQtaGFzaC1OT1QtU0VDUkVUISE=").unwrap();
    let store = nuanxin_core::Store::open(&url).await.unwrap();
    let mut tx = store.read().await.unwrap();
    let sealed: Vec<Vec<u8>> = nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar("SELECT id_sealed FROM people").fetch_all(c).await).unwrap();
    drop(tx);
    store.close().await;
    assert!(sealed
        .iter()
        .all(|s| !vault.needs_reseal(s) && vault.open(s).is_ok()));
    assert!(
        sealed
            .iter()
            .all(|s| nuanxin_core::members::id_vault::IdVault::development().needs_reseal(s)),
        "sealed with key 2 now"
    );

    // The account signs in with the password given on standard input.
    let store = nuanxin_core::Store::open(&url).await.unwrap();
    let clock = nuanxin_core::clock::Clock::system();
    let (_, session) =
        nuanxin_core::accounts::login(&store, &clock, "chief", "s3cret-pass", None, None)
            .await
            .unwrap();
    assert_eq!(
        session.scope.role_at("/F37/F3715/"),
        Some(nuanxin_core::Role::Admin)
    );
    assert_eq!(session.scope.role_at("/F37/"), None);
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_line_contract_on_sqlite() {
    contract(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_line_contract_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        contract(db).await;
    }
}

/// `nuanxin serve` on a free port with `envs` (and no keys of the caller's environment): whether
/// it answers `/healthz`, or its exit status and output when it stops first.
fn serve_with(envs: &[(&str, &str)]) -> Result<String, (Option<i32>, String)> {
    use std::io::Read;
    let dir = std::env::temp_dir().join(format!("nx-keys-{}", nuanxin_core::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nuanxin"));
    cmd.args(["--database", &format!("sqlite://{}/k.db", dir.display())])
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("NUANXIN_LOG", "warn")
        .env_remove("NUANXIN_ID_KEYS")
        .env_remove("NUANXIN_ID_HASH_KEY")
        .env_remove("NUANXIN_DEV_KEYS")
        .env_remove("NUANXIN_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let answer = loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            break Err((status.code(), out));
        }
        if let Ok(mut conn) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            conn.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").unwrap();
            let mut reply = String::new();
            let _ = conn.read_to_string(&mut reply);
            if reply.starts_with("HTTP/1.0 200") || reply.starts_with("HTTP/1.1 200") {
                break Ok(String::new());
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "serve neither answered nor stopped within 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    answer.map(|_| {
        let mut out = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut out);
        }
        out
    })
}

#[test]
fn serve_refuses_to_start_without_keys_and_says_how_to_make_them() {
    let (code, out) = serve_with(&[]).expect_err("serve must not start without keys");
    assert_ne!(code, Some(0), "{out}");
    for needed in ["NUANXIN_ID_KEYS", "--dev-keys", "nuanxin admin keys"] {
        assert!(out.contains(needed), "the message names {needed}: {out}");
    }
    // One of the two is not enough, and a malformed key is refused by name.
    let (_, out) = serve_with(&[(
        "NUANXIN_ID_KEYS",
        "1:bnVhbnhpbi1kZXYtaWQta2V5LTEtTk9ULVNFQ1JFVCE=",
    )])
    .unwrap_err();
    assert!(out.contains("NUANXIN_ID_HASH_KEY is not set"), "{out}");
    let (_, out) = serve_with(&[
        ("NUANXIN_ID_KEYS", "1:short"),
        ("NUANXIN_ID_HASH_KEY", "also-short"),
    ])
    .unwrap_err();
    assert!(out.contains("NUANXIN_ID_KEYS: key 1"), "{out}");
}

#[test]
fn serve_starts_with_dev_keys_or_with_the_keys_admin_keys_prints() {
    serve_with(&[("NUANXIN_DEV_KEYS", "1")]).expect("NUANXIN_DEV_KEYS=1 starts as before");
    let printed = Command::new(env!("CARGO_BIN_EXE_nuanxin"))
        .args(["admin", "keys"])
        .env_remove("NUANXIN_DATABASE_URL")
        .output()
        .unwrap();
    assert!(printed.status.success(), "{}", text(&printed));
    let stdout = String::from_utf8(printed.stdout).unwrap();
    let var = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} in {stdout}"))
            .to_string()
    };
    let (keys, hash) = (var("NUANXIN_ID_KEYS"), var("NUANXIN_ID_HASH_KEY"));
    assert!(
        keys.starts_with("1:") && keys.len() == 2 + 44 && hash.len() == 44,
        "{stdout}"
    );
    nuanxin_core::members::id_vault::IdVault::from_env_values(&keys, &hash).expect("valid keys");
    let again = Command::new(env!("CARGO_BIN_EXE_nuanxin"))
        .args(["admin", "keys"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8(again.stdout).unwrap().contains(&hash),
        "fresh keys each time"
    );
    serve_with(&[("NUANXIN_ID_KEYS", &keys), ("NUANXIN_ID_HASH_KEY", &hash)])
        .expect("serve starts with the printed keys");
}

#[test]
fn json_logs_have_one_line_per_request_with_its_id() {
    let log = serve_with(&[
        ("NUANXIN_DEV_KEYS", "1"),
        ("NUANXIN_LOG_FORMAT", "json"),
        ("NUANXIN_LOG", "info"),
    ])
    .unwrap();
    let request = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["span"]["uri"] == "/healthz")
        .unwrap_or_else(|| panic!("a JSON line for the request to /healthz in:\n{log}"));
    let id = request["span"]["request_id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {request}");
    assert!(
        request["fields"]["status"].as_u64() == Some(200) || request["fields"]["status"] == "200",
        "{request}"
    );
    assert!(
        log.lines()
            .all(|l| l.trim().is_empty() || serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "every line is JSON:\n{log}"
    );
}

/// Every row of every table, as text, in a stable order: for comparing two databases.
async fn all_rows(url: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let store = nuanxin_core::Store::open(url).await.unwrap();
    let mut tx = store.read().await.unwrap();
    let mut out = std::collections::BTreeMap::new();
    match tx.backend() {
        nuanxin_core::Backend::Sqlite => {
            let tables: Vec<String> = nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").fetch_all(c).await).unwrap();
            for t in tables {
                let cols: Vec<String> = nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{t}')")).fetch_all(c).await).unwrap();
                let expr = cols
                    .iter()
                    .map(|c| format!("quote(\"{c}\")"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                let mut rows: Vec<String> = nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar(&format!("SELECT {expr} FROM \"{t}\"")).fetch_all(c).await).unwrap();
                rows.sort();
                out.insert(t, rows);
            }
        }
        nuanxin_core::Backend::Postgres => {
            let tables: Vec<String> = nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1").fetch_all(c).await).unwrap();
            for t in tables {
                let mut rows: Vec<String> = nuanxin_core::on_db!(tx.conn(), c => sqlx::query_scalar(&format!("SELECT t::text FROM \"{t}\" t")).fetch_all(c).await).unwrap();
                rows.sort();
                out.insert(t, rows);
            }
        }
    }
    drop(tx);
    store.close().await;
    out
}

async fn backup_and_restore(from: TestDb, into: TestDb) {
    // A filled database: the demo's units, accounts, members, census and stations.
    let store = nuanxin_core::Store::open(&from.url).await.unwrap();
    let clock = nuanxin_core::clock::Clock::system();
    nuanxin_core::demo::load(&store, &clock).await.unwrap();
    nuanxin_core::demo::load_members(
        &store,
        &nuanxin_core::members::id_vault::IdVault::development(),
        &clock,
    )
    .await
    .unwrap();
    nuanxin_core::demo::load_census(&store, &clock)
        .await
        .unwrap();
    nuanxin_core::demo::load_stations(&store, &clock)
        .await
        .unwrap();
    store.close().await;
    let file = std::env::temp_dir().join(format!("nx-backup-{}.bak", nuanxin_core::new_id()));
    let file = file.to_string_lossy().to_string();
    let out = nuanxin(&from.url, &["backup", "--output", &file], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // A database that holds data is not overwritten without --force.
    let out = nuanxin(&from.url, &["restore", "--input", &file], "");
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out).contains("already holds data"), "{}", text(&out));
    let out = nuanxin(&into.url, &["restore", "--input", &file], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (before, after) = (all_rows(&from.url).await, all_rows(&into.url).await);
    assert!(
        before["people"].len() >= 40 && before["org_units"].len() > 10,
        "the source was filled"
    );
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, rows) in &before {
        assert_eq!(
            rows, &after[table],
            "table {table} differs after the restore"
        );
    }
    let _ = std::fs::remove_file(&file);
    from.drop_database().await;
    into.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_keep_every_row_on_sqlite() {
    backup_and_restore(TestDb::sqlite().await, TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_keep_every_row_on_postgres() {
    if let (Some(from), Some(into)) = (TestDb::postgres().await, TestDb::postgres().await) {
        backup_and_restore(from, into).await;
    }
}
