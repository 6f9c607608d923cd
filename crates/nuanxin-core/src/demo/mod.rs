//! Demo data (`nuanxin demo`): the union network of Liaocheng (聊城, region 3715) as the seed
//! articles describe it — the city federation, its 8 county-level federations with their real
//! townships, industry federations for freight, express delivery, ride-hailing and food delivery,
//! township and village flexible-employment joint unions, county holding pools and some
//! enterprise unions — and demo accounts at city, county and township level. Deterministic.

use crate::accounts::{self, AccountInput, Caller};
use crate::clock::Clock;
use crate::orgs::{self, OrgDraft, OrgKind};
use crate::regions::{self, RegionCode};
use crate::{on_db, Result, Role, Store};
use chrono::NaiveDate;
use flate2::read::GzDecoder;
use std::io::Read;

/// The villages of Liaocheng, so that the demo has village-level joint unions without the full
/// village import (see `tools/regions/demo-villages.mjs`).
const VILLAGES: &[u8] = include_bytes!("../../data/villages-3715.tsv.gz");

pub const CITY_CODE: &str = "F3715";

/// The flexible-workers' joint unions of the five townships of 东昌府区 that the demo's members
/// join.
pub const TOWNSHIP_JOINT_UNIONS: [&str; 5] = [
    "JU371502001",
    "JU371502002",
    "JU371502003",
    "JU371502004",
    "JU371502005",
];

/// Password of every demo account.
pub const PASSWORD: &str = "nuanxin-demo";

/// A demo account: username, display name, posts (org code, role), what it shows.
pub type DemoAccount = (
    &'static str,
    &'static str,
    &'static [(&'static str, Role)],
    &'static str,
);

pub const ACCOUNTS: [DemoAccount; 7] = [
    (
        "liaocheng",
        "聊城市总工会 管理员",
        &[("F3715", Role::Admin)],
        "city admin",
    ),
    (
        "dongchangfu",
        "东昌府区总工会 管理员",
        &[("F371502", Role::Admin)],
        "county admin",
    ),
    (
        "gulou",
        "古楼街道总工会 管理员",
        &[("F371502001", Role::Admin)],
        "township admin",
    ),
    (
        "liuyuan",
        "柳园街道总工会 管理员",
        &[("F371502002", Role::Admin)],
        "township admin (sibling of gulou)",
    ),
    (
        "baopian",
        "包片联系干部",
        &[("F371502003", Role::Staff), ("F371502004", Role::Staff)],
        "staff at two townships",
    ),
    (
        "guancha",
        "市总工会 观察员",
        &[("F3715", Role::Viewer)],
        "city viewer",
    ),
    (
        "lianxi",
        "东昌府区 包片联系领导",
        &[("F371502003", Role::Liaison), ("F371502004", Role::Liaison)],
        "liaison of two townships (reads, records visits)",
    ),
];

const INDUSTRIES: [(&str, &str, &str); 4] = [
    ("FR", "freight", "聊城市货运物流行业工会联合会"),
    ("EX", "express_delivery", "聊城市快递行业工会联合会"),
    ("RH", "ride_hailing", "聊城市网约车行业工会联合会"),
    ("FD", "food_delivery", "聊城市外卖配送行业工会联合会"),
];

/// Enterprise unions: (code suffix, name, industry federation or township, region).
const ENTERPRISES: [(&str, &str, &str, &str); 12] = [
    (
        "001",
        "聊城顺丰速运有限公司工会委员会",
        "IF3715EX",
        "371502001",
    ),
    (
        "002",
        "聊城市中通快递有限公司工会委员会",
        "IF3715EX",
        "371502004",
    ),
    (
        "003",
        "中国邮政速递物流聊城分公司工会",
        "IF3715EX",
        "371502002",
    ),
    (
        "004",
        "聊城韵达快递服务有限公司工会",
        "IF3715EX",
        "371581001",
    ),
    (
        "005",
        "山东鲁西物流集团有限公司工会",
        "IF3715FR",
        "371503001",
    ),
    (
        "006",
        "聊城市东昌府区宏达货运有限公司工会",
        "IF3715FR",
        "371502005",
    ),
    ("007", "高唐县通达运输有限公司工会", "IF3715FR", "371526001"),
    ("008", "聊城滴滴出行科技服务站工会", "IF3715RH", "371502003"),
    (
        "009",
        "聊城美团配送站点联合工会委员会",
        "IF3715FD",
        "371502001",
    ),
    ("010", "聊城饿了么蜂鸟配送站工会", "IF3715FD", "371502002"),
    (
        "011",
        "临清市宏图家政服务有限公司工会",
        "F371581001",
        "371581001",
    ),
    ("012", "冠县安保服务有限公司工会", "F371525001", "371525001"),
];

/// What `load` did.
#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    pub already_loaded: bool,
    pub units: usize,
    pub accounts: usize,
}

fn founded(i: usize) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(2016, 3, 1)?.checked_add_days(chrono::Days::new((i as u64 * 37) % 3300))
}

#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
fn draft(
    code: String,
    name: String,
    kind: OrgKind,
    parent: Option<&str>,
    region: &str,
    i: usize,
) -> OrgDraft {
    OrgDraft {
        code,
        name,
        kind,
        joint_kind: None,
        industry: None,
        parent_code: parent.map(str::to_string),
        region_code: RegionCode::parse(region).expect("demo region codes are valid"),
        founded_on: founded(i),
        contact_name: None,
        contact_phone: Some(format!("0635-{:07}", 8_200_000 + i * 13)),
    }
}

/// Loads the demo once: a second call finds the city federation and does nothing.
#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
pub async fn load(store: &Store, clock: &Clock) -> Result<DemoSummary> {
    let caller = Caller::operator(clock);
    let mut tx = store.write().await?;
    if orgs::get(&mut tx, &caller.scope, CITY_CODE).await.is_ok() {
        return Ok(DemoSummary {
            already_loaded: true,
            ..DemoSummary::default()
        });
    }
    let mut text = String::new();
    GzDecoder::new(VILLAGES)
        .read_to_string(&mut text)
        .map_err(anyhow::Error::from)?;
    let villages: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(c, n)| (c.to_string(), n.to_string()))
        .collect();
    let rows: Vec<regions::RegionRow> = villages
        .iter()
        .map(|(c, n)| (c.clone(), n.clone(), Some(c[..9].to_string())))
        .collect();
    regions::upsert_rows(&mut tx, &rows).await?;

    let city = RegionCode::parse("3715").expect("valid");
    let counties = regions::children(&mut tx, Some(&city)).await?;
    let mut units: Vec<OrgDraft> = Vec::new();
    units.push(draft(
        CITY_CODE.into(),
        "聊城市总工会".into(),
        OrgKind::Federation,
        None,
        "3715",
        0,
    ));
    for (code, industry, name) in INDUSTRIES {
        let mut d = draft(
            format!("IF3715{code}"),
            name.into(),
            OrgKind::IndustryFederation,
            Some(CITY_CODE),
            "3715",
            units.len(),
        );
        d.industry = orgs::Industry::parse(industry);
        units.push(d);
    }
    for county in &counties {
        let fed = format!("F{}", county.code);
        units.push(draft(
            fed.clone(),
            format!("{}总工会", county.name),
            OrgKind::Federation,
            Some(CITY_CODE),
            &county.code,
            units.len(),
        ));
        let mut pool = draft(
            format!("HP{}", county.code),
            format!("{}新就业形态劳动者周转库联合工会", county.name),
            OrgKind::JointUnion,
            Some(&fed),
            &county.code,
            units.len(),
        );
        pool.joint_kind = Some(orgs::JointKind::HoldingPool);
        units.push(pool);
        let townships =
            regions::children(&mut tx, Some(&RegionCode::from_db(county.code.clone()))).await?;
        for t in &townships {
            let tfed = format!("F{}", t.code);
            units.push(draft(
                tfed.clone(),
                format!("{}{}总工会", county.name, t.name),
                OrgKind::Federation,
                Some(&fed),
                &t.code,
                units.len(),
            ));
            let mut ju = draft(
                format!("JU{}", t.code),
                format!("{}灵活就业人员联合工会", t.name),
                OrgKind::JointUnion,
                Some(&tfed),
                &t.code,
                units.len(),
            );
            ju.joint_kind = Some(orgs::JointKind::Flexible);
            units.push(ju);
            let prefix = t.code.to_string();
            for (vcode, vname) in villages
                .iter()
                .filter(|(c, _)| c.starts_with(&prefix))
                .take(2)
            {
                let short = vname.trim_end_matches("居委会").trim_end_matches("村委会");
                let mut vj = draft(
                    format!("JU{vcode}"),
                    format!("{short}灵活就业人员联合工会"),
                    OrgKind::JointUnion,
                    Some(&tfed),
                    vcode,
                    units.len(),
                );
                vj.joint_kind = Some(orgs::JointKind::Flexible);
                units.push(vj);
            }
        }
    }
    for (suffix, name, parent, region) in ENTERPRISES {
        units.push(draft(
            format!("EU3715{suffix}"),
            name.into(),
            OrgKind::EnterpriseUnion,
            Some(parent),
            region,
            units.len(),
        ));
    }
    for d in &units {
        orgs::create(&mut tx, &caller, d).await?;
    }
    for (username, display, posts, _) in ACCOUNTS {
        let (first_org, first_role) = posts[0];
        let input = AccountInput {
            station: None,
            username: username.into(),
            display_name: Some(display.into()),
            password: PASSWORD.into(),
            org_code: first_org.into(),
            role: first_role.as_str().into(),
        };
        accounts::create_account(&mut tx, &caller, &input).await?;
        for (org, role) in &posts[1..] {
            accounts::grant(&mut tx, &caller, username, org, *role).await?;
        }
    }
    let n: i64 = on_db!(tx.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM org_units").fetch_one(c).await)?;
    tx.commit().await?;
    Ok(DemoSummary {
        already_loaded: false,
        units: n as usize,
        accounts: ACCOUNTS.len(),
    })
}

/// Demo members, for the command-line demo only (tests start from an empty register): about
/// forty workers across the township joint unions of 东昌府区, most approved, some pending, a few
/// through a mass-join event. Names and ID numbers are made up; the ID numbers are valid.
pub async fn load_members(
    store: &Store,
    vault: &crate::members::id_vault::IdVault,
    clock: &Clock,
) -> Result<usize> {
    use crate::members::{self, Channel, JoinContext, JoinDraft, JoinInput, WorkerGroup};
    let caller = Caller::operator(clock);
    let mut tx = store.read().await?;
    let n: i64 = on_db!(tx.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM memberships").fetch_one(c).await)?;
    drop(tx);
    if n > 0 {
        return Ok(0);
    }
    const SURNAMES: [&str; 12] = [
        "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "孙", "马",
    ];
    const GIVEN: [&str; 12] = [
        "伟", "芳", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "霞",
    ];
    let unions = TOWNSHIP_JOINT_UNIONS;
    let mut tx = store.write().await?;
    let mut targets = Vec::new();
    for u in unions {
        let code = members::rotate_code(&mut tx, &caller, u, "qr", false).await?;
        targets.push(members::resolve_code(&mut tx, &code.code).await?);
    }
    let event = members::events::create(
        &mut tx,
        &caller,
        "JU371502001",
        &members::events::EventInput {
            name: "古楼街道外卖骑手集中入会".into(),
            held_on: clock.today().to_string(),
            place: Some("古楼街道骑手之家".into()),
            handout: Some("清凉包".into()),
            ..members::events::EventInput::default()
        },
    )
    .await?;
    let event_target = members::resolve_code(&mut tx, &event.code).await?;
    tx.commit().await?;
    let mut joined = 0;
    for i in 0..40usize {
        const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let body = format!(
            "371502{}{:02}{:02}{:03}",
            1975 + i % 25,
            1 + i % 12,
            1 + i % 28,
            100 + i
        );
        let sum: u32 = body
            .bytes()
            .zip(W)
            .map(|(b, w)| (b - b'0') as u32 * w)
            .sum();
        let input = JoinInput {
            name: format!(
                "{}{}{}",
                SURNAMES[i % 12],
                GIVEN[(i * 5) % 12],
                if i % 3 == 0 {
                    GIVEN[(i * 7 + 1) % 12]
                } else {
                    ""
                }
            ),
            id_number: format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char),
            phone: format!("1380635{:04}", 1000 + i),
            group: WorkerGroup::ALL[i % 5].as_str().into(),
            employer: Some(
                ["美团外卖", "饿了么", "顺丰速运", "中通快递", "滴滴出行"][i % 5].into(),
            ),
            work_region: Some(format!("37150200{}", 1 + i % 5)),
            consent: true,
            ..JoinInput::default()
        };
        let draft = JoinDraft::parse(&input, clock.today())
            .map_err(|e| anyhow::anyhow!("demo member {i}: {e:?}"))?;
        let (target, channel) = if i < 5 {
            (&event_target, Channel::Event)
        } else {
            (&targets[i % 5], Channel::Qr)
        };
        let ctx = JoinContext::consented(channel, "demo", clock.now(), clock.today());
        let receipt = members::join(store, vault, target, &draft, &ctx).await?;
        if i % 7 != 3 && receipt.status == "pending" {
            let mut tx = store.write().await?;
            members::decide(
                &mut tx,
                &caller,
                &[receipt.membership_id],
                &members::Decision::Approve,
            )
            .await?;
            tx.commit().await?;
        }
        joined += 1;
    }
    Ok(joined)
}

/// Loads a few made-up rights cases of 古楼街道 (one closed with money recovered, one in
/// mediation, one just asked): the 维权 queue, the dashboard card and the services report have
/// something to show. Once: nothing happens when cases exist.
pub async fn load_cases(
    store: &Store,
    vault: &crate::members::id_vault::IdVault,
    clock: &Clock,
) -> Result<usize> {
    use crate::services::cases::{self, CaseInput, CasePatch};
    let caller = Caller::operator(clock);
    let mut tx = store.read().await?;
    let n: i64 = on_db!(tx.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM rights_cases").fetch_one(c).await)?;
    drop(tx);
    if n > 0 {
        return Ok(0);
    }
    let day = |back: i64| (clock.today() - chrono::Duration::days(back)).to_string();
    let rows = [
        (
            "wages",
            "王建军",
            "13806352001",
            "聊城速达同城配送有限公司",
            "12000",
            day(40),
            "三个月工资未结清，站点负责人联系不上。",
        ),
        (
            "platform_penalty",
            "李晓峰",
            "13806352002",
            "某外卖平台",
            "850",
            day(12),
            "恶劣天气超时被扣款，申诉未获回复。",
        ),
        (
            "injury",
            "赵春梅",
            "13806352003",
            "东昌府区顺捷快递服务部",
            "30000",
            day(2),
            "送件途中摔伤，单位不认定工伤。",
        ),
    ];
    let mut tx = store.write().await?;
    let mut made = Vec::new();
    for (kind, name, phone, employer, claimed, opened, summary) in rows {
        let input = CaseInput {
            org_code: "JU371502001".into(),
            kind: kind.into(),
            name: name.into(),
            phone: phone.into(),
            employer: employer.into(),
            claimed: claimed.into(),
            opened_on: opened,
            summary: summary.into(),
            ..CaseInput::default()
        };
        made.push(cases::create(&mut tx, &caller, vault, &input).await?.id);
    }
    let steps = [
        CasePatch {
            stage: Some("mediation".into()),
            handler: Some("古楼街道法律援助工作站".into()),
            ..CasePatch::default()
        },
        CasePatch {
            outcome: Some("mediated".into()),
            recovered: Some("12000".into()),
            closed_on: Some(day(20)),
            ..CasePatch::default()
        },
    ];
    for step in &steps {
        cases::update(&mut tx, &caller, made[0], step).await?;
    }
    cases::update(&mut tx, &caller, made[1], &steps[0]).await?;
    tx.commit().await?;
    Ok(made.len())
}

/// Loads a mutual-aid plan of 东昌府区 (the district's riders and couriers enrolled, one claim
/// filed) and two labour-law checks of census enterprises, so that 维权 › 互助保障 and 法治体检
/// show something. Once: nothing happens when a plan exists. Needs the members and the census.
pub async fn load_services(store: &Store, clock: &Clock) -> Result<usize> {
    use crate::services::{aid, labour_checks};
    let caller = Caller::operator(clock);
    let mut tx = store.read().await?;
    let n: i64 = on_db!(tx.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM aid_plans").fetch_one(c).await)?;
    drop(tx);
    if n > 0 {
        return Ok(0);
    }
    let today = clock.today();
    let year = chrono::Datelike::year(&today);
    let mut tx = store.write().await?;
    let plan = aid::create_plan(
        &mut tx,
        &caller,
        &aid::PlanInput {
            org_code: "F371502".into(),
            name: format!("{year}年东昌府区骑手快递员专项意外伤害互助保障"),
            kind: "accident".into(),
            starts_on: format!("{year}-01-01"),
            ends_on: format!("{year}-12-31"),
            premium: "30".into(),
            payer: "union".into(),
            benefits: [
                ("death", "100000"),
                ("disability", "50000"),
                ("hospital", "5000"),
                ("outpatient", "500"),
            ]
            .into_iter()
            .map(|(e, y)| (e.to_string(), y.to_string()))
            .collect(),
            cap: "100000".into(),
            groups: vec!["delivery_rider".into(), "courier".into()],
            insurer: "某保险公司聊城中心支公司".into(),
        },
    )
    .await?;
    let enrolled = aid::enrol(&mut tx, &caller, plan.id, &aid::EnrolFilter::default()).await?;
    const FIRST: &str =
        "SELECT m.member_no FROM aid_enrolments e JOIN memberships m ON m.id = e.membership_id
        WHERE e.plan_id = $1 AND m.member_no IS NOT NULL ORDER BY m.member_no LIMIT 1";
    let first: Option<String> =
        on_db!(tx.conn(), c => sqlx::query_scalar(FIRST).bind(plan.id).fetch_optional(c).await)?;
    if let Some(member_no) = first {
        aid::file_for(
            &mut tx,
            &caller,
            &aid::ClaimInput {
                plan_id: Some(plan.id),
                member_no,
                incident_on: today.to_string(),
                event: "outpatient".into(),
                claimed: "320".into(),
                summary: "送餐途中电动车侧滑，手臂擦伤，门诊处理。".into(),
            },
        )
        .await?;
    }
    let mut checks = 0;
    for (i, (findings, rectified, back)) in [("3", "2", 30), ("1", "0", 5)].into_iter().enumerate()
    {
        let uscc = crate::census::Uscc::with_check(&format!("91371502MA{:07}", 3_100_000 + i * 5))
            .map(|u| u.as_str().to_string())
            .unwrap_or_default();
        let input = labour_checks::CheckInput {
            uscc,
            org_code: "F371502001".into(),
            checked_on: (today - chrono::Duration::days(back)).to_string(),
            findings: findings.into(),
            rectified: rectified.into(),
            rectify_by: (today + chrono::Duration::days(15)).to_string(),
            follow_up: "劳动合同已补签，社保缴纳整改中。".into(),
            ..labour_checks::CheckInput::default()
        };
        if labour_checks::create(&mut tx, &caller, &input)
            .await
            .is_ok()
        {
            checks += 1;
        }
    }
    tx.commit().await?;
    Ok(enrolled.enrolled as usize + checks)
}

/// Loads made-up census enterprises in Dongchangfu district (some unionised, some disputed
/// between two sources), the city's and the district's new-member targets for this year split
/// among the units below, and contact leaders. Once: nothing happens when enterprises exist.
#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
pub async fn load_census(store: &Store, clock: &Clock) -> Result<usize> {
    use crate::census::{self, EnterpriseDraft, EnterpriseInput, Uscc};
    use crate::targets::{self, ContactInput, Share, TargetInput};
    let caller = Caller::operator(clock);
    let mut tx = store.read().await?;
    let n: i64 = on_db!(tx.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM enterprises").fetch_one(c).await)?;
    drop(tx);
    if n > 0 {
        return Ok(0);
    }
    const NAMES: [(&str, &str); 12] = [
        ("聊城速达同城配送有限公司", "food_delivery"),
        ("东昌府区顺捷快递服务部", "express_delivery"),
        ("聊城运通物流有限公司", "freight"),
        ("聊城安居房产经纪有限公司", "real_estate"),
        ("东昌府区好帮手家政服务中心", "domestic_service"),
        ("聊城仁和护理服务有限公司", "care_service"),
        ("聊城金盾保安服务有限公司", "security_service"),
        ("聊城万达广场商业管理有限公司", "retail_mall"),
        ("聊城星途网约车服务有限公司", "ride_hailing"),
        ("聊城云播电子商务有限公司", "internet_platform"),
        ("东昌府区极兔速递网点", "express_delivery"),
        ("聊城闪送同城服务站", "food_delivery"),
    ];
    let townships = [
        "371502001",
        "371502002",
        "371502003",
        "371502004",
        "371502005",
    ];
    let mut tx = store.write().await?;
    let mut count = 0;
    for i in 0..60usize {
        let (name, industry) = NAMES[i % NAMES.len()];
        let uscc =
            Uscc::with_check(&format!("91371502MA{:07}", 3_100_000 + i)).expect("valid demo USCC");
        let staff = [8, 15, 30, 45, 60, 120, 220][i % 7];
        let input = EnterpriseInput {
            uscc: uscc.to_string(),
            name: if i < NAMES.len() {
                name.to_string()
            } else {
                format!("{name}（{}分部）", i / NAMES.len() + 1)
            },
            industry: industry.into(),
            staff: staff.to_string(),
            new_form_workers: (staff * 2 / 3 + 3).to_string(),
            region_code: townships[i % townships.len()].into(),
            address: Some(format!(
                "东昌府区{}路{}号",
                ["柳园", "古楼", "新区", "湖西", "道口铺"][i % 5],
                10 + i
            )),
            has_party_org: Some((i % 4 == 0).to_string()),
            union_status: Some(
                if i % 3 == 0 {
                    "unionised"
                } else if i % 7 == 1 {
                    "preparing"
                } else {
                    "none"
                }
                .into(),
            ),
            union_code: (i % 3 == 0).then(|| format!("JU{}", townships[i % townships.len()])),
            source: Some("拉网式排查".into()),
            ..EnterpriseInput::default()
        };
        let draft = EnterpriseDraft::parse(&input)
            .map_err(|e| anyhow::anyhow!("demo enterprise {i}: {e:?}"))?;
        census::record(&mut tx, &caller, &draft).await?;
        if i % 11 == 2 {
            // The postal bureau's list gives another staff figure: the merge view shows both.
            let mut other = draft.clone();
            other.source = "邮政管理局".into();
            other.staff += 12;
            census::record(&mut tx, &caller, &other).await?;
        }
        count += 1;
    }
    let today = clock.today();
    let year = chrono::Datelike::year(&today);
    let (start, end) = (
        NaiveDate::from_ymd_opt(year, 1, 1).expect("valid"),
        NaiveDate::from_ymd_opt(year, 12, 31).expect("valid"),
    );
    let city = targets::set(
        &mut tx,
        &caller,
        &TargetInput {
            org_code: CITY_CODE.into(),
            metric: "new_members".into(),
            period_start: start,
            period_end: end,
            value: 600.0,
        },
    )
    .await?;
    let mut tx_children = Vec::new();
    let counties = orgs::children(
        &mut tx,
        &caller.scope,
        CITY_CODE,
        crate::page::PageRequest::new(Some(1), Some(200)),
    )
    .await?;
    for c in counties
        .items
        .iter()
        .filter(|c| c.kind == OrgKind::Federation)
    {
        tx_children.push(c.code.clone());
    }
    let per = 600 / tx_children.len();
    let mut shares: Vec<Share> = tx_children
        .iter()
        .map(|c| Share {
            org_code: c.clone(),
            value: per as f64,
        })
        .collect();
    if let Some(first) = shares.first_mut() {
        first.value += (600 - per * tx_children.len()) as f64;
    }
    targets::split(&mut tx, &caller, city, &shares).await?;
    let district = targets::set(
        &mut tx,
        &caller,
        &TargetInput {
            org_code: "F371502".into(),
            metric: "new_members".into(),
            period_start: start,
            period_end: end,
            value: shares[0].value,
        },
    )
    .await?;
    let townships_fed: Vec<String> = townships.iter().map(|t| format!("F{t}")).collect();
    let each = (shares[0].value as usize) / townships_fed.len();
    let mut tshares: Vec<Share> = townships_fed
        .iter()
        .map(|c| Share {
            org_code: c.clone(),
            value: each as f64,
        })
        .collect();
    tshares[0].value += shares[0].value - (each * townships_fed.len()) as f64;
    targets::split(&mut tx, &caller, district, &tshares).await?;
    targets::set(
        &mut tx,
        &caller,
        &TargetInput {
            org_code: "F371502".into(),
            metric: "membership_rate".into(),
            period_start: start,
            period_end: end,
            value: 0.9,
        },
    )
    .await?;
    for (code, leader, title) in [
        ("F371502", "刘建华", "区总工会副主席"),
        ("F371502001", "王海燕", "街道工会主席"),
        ("F371502002", "陈立新", "街道工会主席"),
        ("F371502003", "赵明", "街道工会副主席"),
    ] {
        targets::assign_contact(
            &mut tx,
            &caller,
            code,
            &ContactInput {
                leader_name: leader.into(),
                leader_title: Some(title.into()),
                leader_phone: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(count)
}

/// (org, name, type, lat, lng, address, hours, amenities, host, keeper, phone)
type DemoStation = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// Demo stations of Dongchangfu district: riders' homes, care stations in bank branches, a
/// drivers' home, a health post, around the townships' centres (WGS-84), with a few services
/// logged. Returns how many stations were added (0 when some exist).
pub async fn load_stations(store: &Store, clock: &Clock) -> Result<usize> {
    use crate::stations::{self, StationDraft, StationInput, VisitInput};
    let caller = Caller::operator(clock);
    let mut tx = store.read().await?;
    let n: i64 = on_db!(tx.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM stations").fetch_one(c).await)?;
    drop(tx);
    if n > 0 {
        return Ok(0);
    }
    const STATIONS: [DemoStation; 12] = [
        (
            "F371502001",
            "古楼街道骑手之家",
            "rider_home",
            36.4558,
            115.9822,
            "古楼街道东关街12号",
            "每天 8:00-22:00",
            "饮水、充电、热饭、休息、卫生间、无线网络",
            "古楼街道党群服务中心",
            "王芳",
            "0635-8123456",
        ),
        (
            "F371502001",
            "中国银行古楼支行爱心驿站",
            "care_station",
            36.4531,
            115.9768,
            "古楼街道柳园南路18号",
            "周一至周五 8:30-17:30；周六 9:00-16:00",
            "饮水、充电、休息、急救药箱",
            "中国银行古楼支行",
            "李静",
            "0635-8211234",
        ),
        (
            "F371502001",
            "光岳楼交警岗亭驿站",
            "union_station",
            36.4567,
            115.9855,
            "古楼街道楼西大街光岳楼北",
            "每天 24小时",
            "饮水、充电、休息",
            "交警岗亭",
            "张强",
            "0635-8333110",
        ),
        (
            "F371502002",
            "柳园街道快递员之家",
            "courier_home",
            36.4672,
            115.9731,
            "柳园街道东昌路99号",
            "周一至周六 8:00-20:00",
            "饮水、充电、热饭、休息、卫生间",
            "柳园街道总工会",
            "刘洋",
            "13806351234",
        ),
        (
            "F371502002",
            "万达广场骑手驿站",
            "rider_home",
            36.4705,
            115.9906,
            "柳园街道东昌路万达广场B1",
            "每天 10:00-22:00",
            "饮水、充电、热饭、休息、卫生间、无线网络",
            "万达广场",
            "孙丽",
            "13906352345",
        ),
        (
            "F371502002",
            "换电站骑手补给点",
            "union_station",
            36.4745,
            115.9652,
            "柳园街道兴华路换电站",
            "每天 24小时",
            "充电、饮水",
            "铁塔换电站",
            "周杰",
            "15006353456",
        ),
        (
            "F371502003",
            "新区街道司机之家",
            "driver_home",
            36.4402,
            116.0151,
            "新区街道聊城物流园3号门",
            "每天 24小时",
            "饮水、充电、热饭、休息、卫生间、急救药箱、健康监测",
            "聊城物流园",
            "吴刚",
            "0635-8456789",
        ),
        (
            "F371502003",
            "新区街道健康小站",
            "health_post",
            36.4365,
            116.0042,
            "新区街道花园北路社区卫生服务站",
            "周一至周五 8:00-17:00",
            "饮水、休息、急救药箱、健康监测",
            "社区卫生服务站",
            "郑敏",
            "0635-8567890",
        ),
        (
            "F371502004",
            "湖西街道工会驿站",
            "union_station",
            36.4480,
            115.9550,
            "湖西街道湖西路66号",
            "周一至周日 7:30-21:30",
            "饮水、充电、热饭、休息、卫生间、图书",
            "湖西街道总工会",
            "钱进",
            "0635-8678901",
        ),
        (
            "F371502004",
            "农商银行湖西爱心驿站",
            "care_station",
            36.4425,
            115.9603,
            "湖西街道建设路农商银行",
            "周一至周五 8:30-17:00",
            "饮水、充电、休息",
            "农商银行湖西支行",
            "冯雪",
            "0635-8789012",
        ),
        (
            "F371502005",
            "道口铺街道村镇服务点",
            "village_point",
            36.4150,
            115.9301,
            "道口铺街道政务服务中心",
            "周一至周五 8:30-17:30",
            "饮水、充电、休息、卫生间",
            "街道政务服务中心",
            "陈亮",
            "0635-8890123",
        ),
        (
            "F371502",
            "东昌府区总工会职工服务中心驿站",
            "union_station",
            36.4612,
            115.9870,
            "东昌府区兴华西路区总工会一楼",
            "周一至周五 8:30-17:30；周六 9:00-12:00",
            "饮水、充电、热饭、休息、卫生间、图书、无线网络",
            "东昌府区总工会",
            "何平",
            "0635-8901234",
        ),
    ];
    let mut tx = store.write().await?;
    let mut first = None;
    for (org, name, kind, lat, lng, address, hours, amenities, host, keeper, phone) in STATIONS {
        let input = StationInput {
            name: name.into(),
            kind: kind.into(),
            lat: lat.to_string(),
            lng: lng.to_string(),
            crs: None,
            address: address.into(),
            hours: hours.into(),
            amenities: amenities.into(),
            host: Some(host.into()),
            keeper: Some(keeper.into()),
            phone: Some(phone.into()),
            org_code: org.into(),
        };
        let draft = StationDraft::parse(&input).map_err(|errs| {
            crate::Error::Internal(anyhow::anyhow!("demo station {name}: {errs:?}"))
        })?;
        let s = stations::create(&mut tx, &caller, &draft).await?;
        first.get_or_insert(s.id);
    }
    if let Some(id) = first {
        for (service, headcount) in [("water", 3), ("charging", 2), ("hot_meal", 4), ("visit", 1)] {
            let v = VisitInput {
                service: service.into(),
                headcount: Some(headcount),
                member_no: None,
            };
            stations::record_visit(&mut tx, &caller, id, &v).await?;
        }
    }
    tx.commit().await?;
    Ok(STATIONS.len())
}

/// The demo's legal-aid lawyer: username, display name.
pub const LAWYER: (&str, &str) = ("lvshi", "刘律师（古楼街道法律援助工作站）");

/// Loads 古楼街道法律援助工作站, its lawyer (`lvshi`, a narrow role that sees only the cases
/// assigned to them) and assigns them the open platform-penalty case, so that the lawyer's view
/// shows something. Once: nothing happens when the lawyer exists. Needs the cases.
pub async fn load_legal_aid(store: &Store, clock: &Clock) -> Result<usize> {
    use crate::services::cases::{self, CasePatch};
    use crate::stations::{self, StationDraft, StationInput};
    let caller = Caller::operator(clock);
    let mut tx = store.write().await?;
    if accounts::account_by_username(&mut tx, LAWYER.0)
        .await?
        .is_some()
    {
        return Ok(0);
    }
    let input = StationInput {
        name: "古楼街道法律援助工作站".into(),
        kind: "legal_aid_station".into(),
        lat: "36.4549".into(),
        lng: "115.9841".into(),
        crs: None,
        address: "古楼街道东关大街 18 号街道综治中心二楼".into(),
        hours: "周一至周五 9:00-17:00".into(),
        amenities: "饮水、休息、无线网络".into(),
        host: Some("古楼街道总工会".into()),
        keeper: Some("刘律师".into()),
        phone: Some("0635-8234567".into()),
        org_code: "F371502001".into(),
    };
    let draft = StationDraft::parse(&input).map_err(|errs| {
        crate::Error::Internal(anyhow::anyhow!("demo legal-aid station: {errs:?}"))
    })?;
    let station = stations::create(&mut tx, &caller, &draft).await?;
    accounts::create_account(
        &mut tx,
        &caller,
        &AccountInput {
            username: LAWYER.0.into(),
            display_name: Some(LAWYER.1.into()),
            password: PASSWORD.into(),
            org_code: "F371502001".into(),
            role: accounts::LAWYER.into(),
            station: Some(station.id.to_string()),
        },
    )
    .await?;
    const OPEN: &str = "SELECT id FROM rights_cases WHERE status = 'open' AND kind = 'platform_penalty' ORDER BY opened_on LIMIT 1";
    let open: Option<uuid::Uuid> =
        on_db!(tx.conn(), c => sqlx::query_scalar(OPEN).fetch_optional(c).await)?;
    if let Some(id) = open {
        let assign = CasePatch {
            handler_account: Some(LAWYER.0.into()),
            stage: Some("legal_aid".into()),
            ..CasePatch::default()
        };
        cases::update(&mut tx, &caller, id, &assign).await?;
    }
    tx.commit().await?;
    Ok(1)
}

/// Loads the serving half's demo records so the worker's home and the services tabs show
/// something: a 送温暖 handout to 古楼街道's riders, a district notice, two library articles, a
/// partner merchant's offer, a skills competition with scores, an honour its holder shows on the
/// showcase, and a hardship file with its first assistance. Once: nothing happens when a notice
/// exists. Needs the members.
pub async fn load_worker_home(store: &Store, clock: &Clock) -> Result<usize> {
    use crate::services::{
        care, competitions, hardship, honours, library, notices, offers, photos, selection,
    };
    let caller = Caller::operator(clock);
    let mut tx = store.write().await?;
    let n: i64 = on_db!(tx.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM notices").fetch_one(c).await)?;
    const RIDERS: &str =
        "SELECT m.member_no, m.person_id FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE m.status = 'active' AND m.member_no IS NOT NULL AND m.worker_group = 'delivery_rider'
            AND o.path LIKE '%/F371502001/%'
        ORDER BY m.member_no LIMIT 3";
    let riders: Vec<(String, uuid::Uuid)> =
        on_db!(tx.conn(), c => sqlx::query_as(RIDERS).fetch_all(c).await)?;
    if n > 0 || riders.len() < 3 {
        return Ok(0);
    }
    let today = clock.today();
    let year = chrono::Datelike::year(&today);
    let mut made = 0;
    let activity = care::create(
        &mut tx,
        &caller,
        &care::ActivityInput {
            name: format!("{year}年冬季送温暖进驿站"),
            kind: "winter".into(),
            held_on: today.to_string(),
            org_code: "F371502001".into(),
            place: "古楼街道骑手之家".into(),
            items: "棉手套、护膝、热饮".into(),
            budget: "20000".into(),
            unit_cost: "60".into(),
            ..care::ActivityInput::default()
        },
    )
    .await?;
    let handout = selection::MemberFilter {
        group: "delivery_rider".into(),
        ..selection::MemberFilter::default()
    };
    made += care::handout(&mut tx, &caller, activity.id, &handout)
        .await?
        .recorded as usize;
    notices::publish(
        &mut tx,
        &caller,
        &notices::NoticeInput {
            title: "冬季骑行安全提示".into(),
            body: "雨雪天路面湿滑，请降低车速、保持车距。\n\n各骑手驿站提供热水、充电和休息，欢迎就近歇脚。".into(),
            org_code: "F371502".into(),
            ..notices::NoticeInput::default()
        },
    )
    .await?;
    // The library holds articles only here: a demo has no uploads folder to write PDFs to.
    let nowhere = photos::Uploads::at(std::env::temp_dir());
    for (title, category, body) in [
        (
            "劳动合同怎么签：新就业形态劳动者须知",
            "law",
            "与平台或站点签订书面协议，写明报酬、工时和休息；保留工资流水和接单记录。",
        ),
        (
            "雨雪天电动车安全骑行十条",
            "safety",
            "出发前检查刹车和灯光；湿滑路面提前减速；不闯红灯、不逆行。",
        ),
    ] {
        library::publish(
            &mut tx,
            &caller,
            &nowhere,
            &library::ItemInput {
                title: title.into(),
                category: category.into(),
                body: body.into(),
                org_code: "F371502".into(),
            },
            None,
        )
        .await?;
    }
    const TOWNSHIP: &str = "SELECT region_code FROM org_units WHERE code = 'F371502001'";
    let township: String = on_db!(tx.conn(), c => sqlx::query_scalar(TOWNSHIP).fetch_one(c).await)?;
    offers::create(
        &mut tx,
        &caller,
        &offers::OfferInput {
            org_code: "F371502001".into(),
            merchant: "古楼家常菜馆".into(),
            address: "古楼街道柳园路 8 号".into(),
            region_code: township,
            discount: "凭电子会员卡用餐九折".into(),
            ..offers::OfferInput::default()
        },
    )
    .await?;
    let contest = competitions::create(
        &mut tx,
        &caller,
        &competitions::CompetitionInput {
            name: format!("{year}年古楼街道外卖骑手技能比武"),
            org_code: "F371502001".into(),
            held_on: today.to_string(),
            place: "古楼街道文化广场".into(),
            events: "配送技能\n安全驾驶".into(),
        },
    )
    .await?;
    for ((no, _), score) in riders.iter().zip(["96.5", "92", "88.5"]) {
        competitions::enter(
            &mut tx,
            &caller,
            contest.id,
            &competitions::EntryInput {
                member_no: no.clone(),
                event: "配送技能".into(),
                score: score.into(),
            },
        )
        .await?;
    }
    let honour = honours::award(
        &mut tx,
        &caller,
        &honours::HonourInput {
            member_no: riders[0].0.clone(),
            kind: "exemplary".into(),
            level: "city".into(),
            year: year.to_string(),
            title: format!("{year}年度聊城市最美骑手"),
            citation: "雨夜送餐途中护送走失老人回家。".into(),
        },
    )
    .await?;
    let demo = crate::audit::Actor {
        account_id: None,
        name: "demo".into(),
        ip: None,
    };
    honours::set_public(&mut tx, riders[0].1, honour.id, true, &demo, caller.at).await?;
    let file = hardship::open(
        &mut tx,
        &caller,
        &hardship::FileInput {
            member_no: riders[2].0.clone(),
            level: "accident".into(),
            causes: hardship::Causes::List(vec!["accident".into(), "illness".into()]),
            household_size: "4".into(),
            household_income: "26000".into(),
            note: "送餐途中受伤，休养期间收入中断。".into(),
            ..hardship::FileInput::default()
        },
    )
    .await?;
    hardship::assist(
        &mut tx,
        &caller,
        file.id,
        &hardship::AssistanceInput {
            kind: "money".into(),
            amount: "2000".into(),
            description: "困难职工帮扶金".into(),
            ..hardship::AssistanceInput::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(made + 8)
}

/// The grid office account of 古城社区 (a narrow role: the grid reports routed to it).
pub const GRID_OFFICE: (&str, &str) = ("wangge", "古城社区网格办");

/// Loads the grid reports' setup and a few reports, two collective contracts, two social
/// organisations with a claimed service project, and two rider-friendly communities: 古城社区's
/// grid office (`wangge`), the township's two communities (古城社区 with its boundary), the
/// county's five responsible bodies, two riders approved as reporters with a report each (one
/// resolved), the county's delivery contract expiring within the reminder and a courier
/// contract. Once: nothing happens when the grid office exists. Needs the members.
pub async fn load_grid(store: &Store, clock: &Clock) -> Result<usize> {
    use crate::services::contracts::{self, ContractInput};
    use crate::services::grid::{reporters, reports, setup};
    let caller = Caller::operator(clock);
    let mut tx = store.write().await?;
    if accounts::account_by_username(&mut tx, GRID_OFFICE.0)
        .await?
        .is_some()
    {
        return Ok(0);
    }
    const RIDERS: &str =
        "SELECT m.id, m.person_id FROM memberships m JOIN org_units o ON o.id = m.org_id
        WHERE m.status = 'active' AND m.member_no IS NOT NULL AND m.worker_group = 'delivery_rider'
            AND o.path LIKE '%/F371502001/%'
        ORDER BY m.member_no LIMIT 2";
    let riders: Vec<(uuid::Uuid, uuid::Uuid)> =
        on_db!(tx.conn(), c => sqlx::query_as(RIDERS).fetch_all(c).await)?;
    if riders.len() < 2 {
        return Ok(0);
    }
    accounts::create_account(
        &mut tx,
        &caller,
        &AccountInput {
            username: GRID_OFFICE.0.into(),
            display_name: Some(GRID_OFFICE.1.into()),
            password: PASSWORD.into(),
            org_code: "F371502001".into(),
            role: accounts::GRID_OFFICE.into(),
            station: None,
        },
    )
    .await?;
    let (lat, lng, half) = (36.4558, 115.9822, 0.006);
    let ring = serde_json::json!([
        [lng - half, lat - half],
        [lng + half, lat - half],
        [lng + half, lat + half],
        [lng - half, lat + half]
    ]);
    for (code, lat, lng, boundary, office) in [
        ("371502001001", lat, lng, ring.to_string(), GRID_OFFICE.0),
        ("371502001002", 36.4640, 115.9900, String::new(), ""),
    ] {
        let input = setup::CommunityInput {
            org_code: "F371502001".into(),
            region_code: code.into(),
            lat: lat.to_string(),
            lng: lng.to_string(),
            boundary,
            office: office.into(),
        };
        setup::put_community(&mut tx, &caller, &input).await?;
    }
    let mut roads = None;
    for (kind, name, hours) in [
        ("roads", "东昌府区公路事业发展中心", 48),
        ("traffic_police", "聊城市公安局交警支队东昌府大队", 24),
        ("city_management", "东昌府区综合行政执法局", 72),
        ("fire", "东昌府区消防救援大队", 12),
        ("public_security", "古楼派出所", 24),
    ] {
        let input = setup::BodyInput {
            org_code: "F371502".into(),
            county_code: "371502".into(),
            kind: kind.into(),
            name: name.into(),
            deadline_hours: hours.to_string(),
        };
        let body = setup::add_body(&mut tx, &caller, &input).await?;
        roads = roads.or(Some(body.id));
    }
    let nowhere = crate::services::photos::Uploads::at(std::env::temp_dir());
    let mut made = 0;
    for (n, (membership, person)) in riders.iter().enumerate() {
        reporters::decide(&mut tx, &caller, *membership, true).await?;
        let input = reports::ReportInput {
            category: ["road_hazard", "traffic_light"][n].into(),
            details: [
                "东关大街与古楼东路路口东侧路面塌陷，电动车容易摔倒",
                "柳园路口信号灯夜间不亮",
            ][n]
                .into(),
            lat: (lat + 0.001 * n as f64).to_string(),
            lng: (lng + 0.001).to_string(),
            client_key: format!("demo-{n}"),
            ..reports::ReportInput::default()
        };
        let r = reports::submit(&mut tx, &nowhere, *person, &input, &[], clock.now()).await?;
        made += 1;
        let forward = reports::StepInput {
            status: "forwarded".into(),
            body_id: roads.map(|b| b.to_string()).unwrap_or_default(),
            ..reports::StepInput::default()
        };
        reports::step(&mut tx, &caller, r.id, &forward).await?;
        if n == 0 {
            let resolve = reports::StepInput {
                status: "resolved".into(),
                note: "已修复路面".into(),
                ..reports::StepInput::default()
            };
            reports::step(&mut tx, &caller, r.id, &resolve).await?;
        }
    }
    let today = clock.today();
    for (title, employer, groups, signed, expires, head) in [
        (
            "东昌府区外卖配送行业集体合同",
            "聊城市外卖配送行业协会",
            "delivery_rider",
            today - chrono::Days::new(3 * 365 - 60),
            today + chrono::Days::new(60),
            "2600",
        ),
        (
            "东昌府区快递行业集体合同",
            "聊城市快递行业协会",
            "courier",
            today - chrono::Days::new(200),
            today + chrono::Days::new(900),
            "1800",
        ),
    ] {
        let input = ContractInput {
            org_code: "F371502".into(),
            kind: "industry".into(),
            title: title.into(),
            employer: employer.into(),
            region_code: "371502".into(),
            signed_on: signed.to_string(),
            expires_on: expires.to_string(),
            groups: groups.into(),
            head_count: head.into(),
            min_piece_rate: "4.2".into(),
            max_hours: "10".into(),
            rest_days: "4".into(),
            insurance: "职业伤害保障、意外伤害保险".into(),
            heat_allowance: "300".into(),
        };
        contracts::create(&mut tx, &caller, &nowhere, &input, None).await?;
        made += 1;
    }
    // Two social organisations of the township, a service project one of them claimed, and two
    // rider-friendly communities.
    use crate::services::{friendly, projects, social_orgs};
    let mut first = None;
    for (body, name, members, key) in [
        (
            "52371502MJD00001",
            "东昌府区古楼社会工作服务中心",
            "86",
            "1",
        ),
        (
            "51371502MJD00002",
            "聊城市新就业形态劳动者互助协会",
            "30",
            "",
        ),
    ] {
        let Some(uscc) = crate::census::Uscc::with_check(&format!("{body}0")) else {
            continue;
        };
        let input = social_orgs::SocialOrgInput {
            uscc: uscc.as_str().into(),
            name: name.into(),
            org_code: "F371502001".into(),
            region_code: "371502001".into(),
            union_status: "unionised".into(),
            union_members: members.into(),
            key_contact: key.into(),
            contact_name: "张主任".into(),
            contact_phone: "0635-8231234".into(),
        };
        social_orgs::put(&mut tx, &caller, &input).await?;
        first = first.or(Some(uscc.as_str().to_string()));
        made += 1;
    }
    let project = projects::create(
        &mut tx,
        &caller,
        &projects::ProjectInput {
            org_code: "F371502001".into(),
            title: "骑手驿站心理疏导服务".into(),
            description: "每月两次在古楼街道骑手之家开展心理疏导和法律咨询".into(),
            budget: "50000".into(),
            starts_on: today.to_string(),
            ends_on: (today + chrono::Days::new(180)).to_string(),
            groups: "delivery_rider,courier".into(),
        },
    )
    .await?;
    if let Some(uscc) = first {
        projects::claim(&mut tx, &caller, project.id, &projects::ClaimInput { uscc }).await?;
    }
    made += 1;
    for (code, lat, lng, all) in [
        ("371502001001", lat, lng, true),
        ("371502001002", 36.4640, 115.9900, false),
    ] {
        let yes = |on: bool| if on { "1" } else { "" }.to_string();
        let input = friendly::PlaceInput {
            org_code: "F371502001".into(),
            region_code: code.into(),
            lat: lat.to_string(),
            lng: lng.to_string(),
            parking: "1".into(),
            access: "1".into(),
            rest_points: "1".into(),
            charging: yes(all),
            toilets: yes(all),
            ..friendly::PlaceInput::default()
        };
        friendly::assess(&mut tx, &caller, &input).await?;
        made += 1;
    }
    tx.commit().await?;
    Ok(made)
}
