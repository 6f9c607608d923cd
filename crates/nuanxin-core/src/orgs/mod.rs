//! Org network (工会组织): the one tree of federations, industry federations, joint unions and
//! enterprise unions. Each unit carries a materialised path of codes (`/3715/371502/`) so that a
//! subtree is one indexed range; the code is the unit's identity for imports and partners and
//! never changes. Scope checks, tree rules and history live here; SQL lives in `queries.rs`.

pub mod liaison;
pub mod merge;
mod queries;
pub mod sheet;

pub use queries::{
    ancestors, children, create, dissolve, draft, find, get, history, list, move_subtree,
    move_targets, narrow, overview, roots, submit_changes, submit_new, update, HistoryEntry,
    OrgFilter, OrgSort, Overview,
};

use crate::error::FieldErrors;
use crate::regions::RegionCode;
use crate::{Error, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Type of an org unit (组织类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// Regional federation (总工会); its level follows its region code.
    Federation,
    /// Industry federation (行业工会联合会).
    IndustryFederation,
    /// Joint union (联合工会): the fallback home for workers without an enterprise union.
    JointUnion,
    /// Enterprise union (企业工会 / 单独建会).
    EnterpriseUnion,
}

impl OrgKind {
    pub const ALL: [OrgKind; 4] = [
        OrgKind::Federation,
        OrgKind::IndustryFederation,
        OrgKind::JointUnion,
        OrgKind::EnterpriseUnion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Federation => "federation",
            OrgKind::IndustryFederation => "industry_federation",
            OrgKind::JointUnion => "joint_union",
            OrgKind::EnterpriseUnion => "enterprise_union",
        }
    }

    /// Accepts the code or the Chinese name (SPEC section 5).
    pub fn parse(s: &str) -> Option<OrgKind> {
        Some(match s.trim() {
            "federation" | "总工会" => OrgKind::Federation,
            "industry_federation" | "行业工会联合会" | "行业工会" => {
                OrgKind::IndustryFederation
            }
            "joint_union" | "联合工会" => OrgKind::JointUnion,
            "enterprise_union" | "企业工会" | "单独建会" => OrgKind::EnterpriseUnion,
            _ => return None,
        })
    }
}

impl TryFrom<String> for OrgKind {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        OrgKind::parse(&s).ok_or(s)
    }
}

/// What a joint union covers (联合工会的类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JointKind {
    /// Several small employers (区域/多企业联合工会).
    MultiEmployer,
    /// A market (市场联合工会).
    Market,
    /// A business circle or building (商圈/楼宇联合工会).
    BusinessCircle,
    /// Flexible workers of a township, village or community (灵活就业人员联合工会).
    Flexible,
    /// A county's holding pool (周转库), where workers land first and transfer from later.
    HoldingPool,
}

impl JointKind {
    pub const ALL: [JointKind; 5] = [
        JointKind::Flexible,
        JointKind::MultiEmployer,
        JointKind::Market,
        JointKind::BusinessCircle,
        JointKind::HoldingPool,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JointKind::MultiEmployer => "multi_employer",
            JointKind::Market => "market",
            JointKind::BusinessCircle => "business_circle",
            JointKind::Flexible => "flexible",
            JointKind::HoldingPool => "holding_pool",
        }
    }

    pub fn parse(s: &str) -> Option<JointKind> {
        Some(match s.trim() {
            "multi_employer" | "区域联合工会" | "多企业联合工会" => {
                JointKind::MultiEmployer
            }
            "market" | "市场联合工会" => JointKind::Market,
            "business_circle" | "商圈联合工会" | "楼宇联合工会" => {
                JointKind::BusinessCircle
            }
            "flexible" | "灵活就业人员联合工会" => JointKind::Flexible,
            "holding_pool" | "周转库" => JointKind::HoldingPool,
            _ => return None,
        })
    }
}

impl TryFrom<String> for JointKind {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        JointKind::parse(&s).ok_or(s)
    }
}

/// Industries of SPEC section 5, used by industry federations (and the census later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Industry {
    Freight,
    RideHailing,
    ExpressDelivery,
    FoodDelivery,
    InternetPlatform,
    DomesticService,
    CareService,
    SecurityService,
    RealEstate,
    RetailMall,
    Other,
}

impl Industry {
    pub const ALL: [Industry; 11] = [
        Industry::Freight,
        Industry::RideHailing,
        Industry::ExpressDelivery,
        Industry::FoodDelivery,
        Industry::InternetPlatform,
        Industry::DomesticService,
        Industry::CareService,
        Industry::SecurityService,
        Industry::RealEstate,
        Industry::RetailMall,
        Industry::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Industry::Freight => "freight",
            Industry::RideHailing => "ride_hailing",
            Industry::ExpressDelivery => "express_delivery",
            Industry::FoodDelivery => "food_delivery",
            Industry::InternetPlatform => "internet_platform",
            Industry::DomesticService => "domestic_service",
            Industry::CareService => "care_service",
            Industry::SecurityService => "security_service",
            Industry::RealEstate => "real_estate",
            Industry::RetailMall => "retail_mall",
            Industry::Other => "other",
        }
    }

    /// The Chinese name, as the sheets and the drop-downs of the templates write it.
    pub fn zh(self) -> &'static str {
        let at = Industry::ALL.iter().position(|i| *i == self).unwrap_or(0);
        Industry::ZH[at]
    }

    const ZH: [&'static str; 11] = [
        "货运物流",
        "网约车",
        "快递",
        "外卖",
        "互联网平台",
        "家政服务",
        "护工护理",
        "保安服务",
        "房产中介",
        "商场零售",
        "其他",
    ];

    pub fn parse(s: &str) -> Option<Industry> {
        let s = s.trim();
        Industry::ALL
            .iter()
            .zip(Industry::ZH)
            .find(|(i, zh)| i.as_str() == s || *zh == s)
            .map(|(i, _)| *i)
    }
}

impl TryFrom<String> for Industry {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        Industry::parse(&s).ok_or(s)
    }
}

/// Level of a federation, which follows the length of its region code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FederationLevel {
    Province,
    City,
    County,
    Township,
}

impl FederationLevel {
    pub fn of_region(code: &str) -> Option<FederationLevel> {
        Some(match code.len() {
            2 => FederationLevel::Province,
            4 => FederationLevel::City,
            6 => FederationLevel::County,
            9 => FederationLevel::Township,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FederationLevel::Province => "province",
            FederationLevel::City => "city",
            FederationLevel::County => "county",
            FederationLevel::Township => "township",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgStatus {
    Active,
    Dissolved,
}

impl TryFrom<String> for OrgStatus {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        match s.as_str() {
            "active" => Ok(OrgStatus::Active),
            "dissolved" => Ok(OrgStatus::Dissolved),
            _ => Err(s),
        }
    }
}

impl OrgStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgStatus::Active => "active",
            OrgStatus::Dissolved => "dissolved",
        }
    }
}

/// An org unit as read, with its parent's code and its region's name.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OrgUnit {
    #[serde(skip)]
    pub id: Uuid,
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    #[sqlx(try_from = "String")]
    pub kind: OrgKind,
    pub joint_kind: Option<String>,
    pub industry: Option<String>,
    #[serde(skip)]
    pub parent_id: Option<Uuid>,
    pub parent_code: Option<String>,
    pub parent_name: Option<String>,
    pub path: String,
    pub depth: i32,
    pub region_code: String,
    pub region_name: Option<String>,
    pub founded_on: Option<NaiveDate>,
    #[sqlx(try_from = "String")]
    pub status: OrgStatus,
    pub dissolved_on: Option<NaiveDate>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub child_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl OrgUnit {
    /// The federation level, for federations.
    pub fn level(&self) -> Option<FederationLevel> {
        match self.kind {
            OrgKind::Federation => FederationLevel::of_region(&self.region_code),
            _ => None,
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == OrgStatus::Active
    }

    /// Codes of the units above this one, root first (from the path).
    pub fn ancestor_codes(&self) -> Vec<&str> {
        let segs: Vec<&str> = self.path.trim_matches('/').split('/').collect();
        segs[..segs.len().saturating_sub(1)].to_vec()
    }
}

/// Fields of a unit as typed in a form, an API body or a spreadsheet row: parsed by `OrgDraft::parse`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct OrgInput {
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub joint_kind: Option<String>,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub parent_code: Option<String>,
    pub region_code: String,
    #[serde(default)]
    pub founded_on: Option<String>,
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
}

/// A validated unit, ready to be checked against the tree and written.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgDraft {
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    pub joint_kind: Option<JointKind>,
    pub industry: Option<Industry>,
    pub parent_code: Option<String>,
    pub region_code: RegionCode,
    pub founded_on: Option<NaiveDate>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

impl OrgDraft {
    /// Validates every field and reports all problems at once.
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn parse(input: &OrgInput, today: NaiveDate) -> std::result::Result<OrgDraft, FieldErrors> {
        let mut errs = FieldErrors::new();
        let code = input.code.trim().to_string();
        if let Err(e) = check_code(&code) {
            errs.push("code", e);
        }
        let name = input.name.trim().to_string();
        if name.is_empty() {
            errs.push("name", "orgs.name_required");
        } else if name.chars().count() > 100 {
            errs.push("name", "orgs.name_too_long");
        }
        let kind = OrgKind::parse(&input.kind);
        if kind.is_none() {
            errs.push("type", "orgs.bad_type");
        }
        let joint_kind = match non_empty(&input.joint_kind) {
            None => None,
            Some(s) => match JointKind::parse(s) {
                Some(k) if kind == Some(OrgKind::JointUnion) => Some(k),
                Some(_) => {
                    errs.push("joint_kind", "orgs.joint_kind_only_for_joint_unions");
                    None
                }
                None => {
                    errs.push("joint_kind", "orgs.bad_joint_kind");
                    None
                }
            },
        };
        let industry = match non_empty(&input.industry) {
            None => None,
            Some(s) => match Industry::parse(s) {
                Some(i) => Some(i),
                None => {
                    errs.push("industry", "orgs.bad_industry");
                    None
                }
            },
        };
        let parent_code = non_empty(&input.parent_code).map(str::to_string);
        if let Some(p) = &parent_code {
            if check_code(p).is_err() {
                errs.push("parent_code", "orgs.bad_parent_code");
            }
        }
        let region_code = match RegionCode::parse(&input.region_code) {
            Ok(r) => Some(r),
            Err(_) => {
                errs.push("region_code", "regions.bad_code");
                None
            }
        };
        if let (Some(OrgKind::Federation), Some(r)) = (kind, &region_code) {
            if FederationLevel::of_region(r.as_str()).is_none() {
                errs.push("region_code", "orgs.federation_needs_township_or_above");
            }
        }
        let founded_on = match non_empty(&input.founded_on) {
            None => None,
            Some(s) => match crate::sheets::parse_date(s) {
                Some(d) if d <= today => Some(d),
                Some(_) => {
                    errs.push("founded_on", "orgs.founded_in_future");
                    None
                }
                None => {
                    errs.push("founded_on", "errors.bad_date");
                    None
                }
            },
        };
        let contact_name = non_empty(&input.contact_name).map(str::to_string);
        if contact_name
            .as_ref()
            .is_some_and(|n| n.chars().count() > 50)
        {
            errs.push("contact_name", "orgs.contact_name_too_long");
        }
        let contact_phone = match non_empty(&input.contact_phone) {
            None => None,
            Some(p) => match normalise_phone(p) {
                Some(p) => Some(p),
                None => {
                    errs.push("contact_phone", "errors.bad_phone");
                    None
                }
            },
        };
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(OrgDraft {
            code,
            name,
            kind: kind.expect("checked"),
            joint_kind,
            industry,
            parent_code,
            region_code: region_code.expect("checked"),
            founded_on,
            contact_name,
            contact_phone,
        })
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Org codes are 1 to 32 characters of ASCII letters, digits, `-` and `_`: they appear in paths,
/// URLs and spreadsheets, and never contain the path separator.
pub fn check_code(code: &str) -> std::result::Result<(), &'static str> {
    if code.is_empty() {
        return Err("orgs.code_required");
    }
    if code.len() > 32
        || !code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("orgs.bad_code");
    }
    Ok(())
}

/// A contact phone: a mainland mobile number (with or without +86) or a landline with area code.
/// Spaces and dashes are dropped; the result is digits only (landlines keep one dash).
pub fn normalise_phone(input: &str) -> Option<String> {
    let digits: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let digits = digits
        .strip_prefix("+86")
        .or_else(|| digits.strip_prefix("0086"))
        .unwrap_or(&digits)
        .to_string();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() == 11 && digits.starts_with('1') && digits.as_bytes()[1] >= b'3' {
        return Some(digits);
    }
    if digits.starts_with('0') && (10..=12).contains(&digits.len()) {
        let area = if matches!(&digits[..2], "01" | "02") {
            3
        } else {
            4
        };
        return Some(format!("{}-{}", &digits[..area], &digits[area..]));
    }
    None
}

/// Rules between a unit and its parent, checked on create and on move.
pub fn check_placement(kind: OrgKind, region: &RegionCode, parent: Option<&OrgUnit>) -> Result<()> {
    let Some(parent) = parent else { return Ok(()) };
    if !parent.is_active() {
        return Err(Error::invalid("parent_code", "orgs.parent_dissolved"));
    }
    let parent_region = RegionCode::from_db(parent.region_code.clone());
    if !parent_region.contains(region) {
        return Err(Error::invalid("region_code", "orgs.region_outside_parent"));
    }
    if kind == OrgKind::Federation
        && (parent.kind != OrgKind::Federation || region.as_str().len() <= parent.region_code.len())
    {
        return Err(Error::invalid(
            "parent_code",
            "orgs.federation_under_higher_federation",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn input() -> OrgInput {
        OrgInput {
            code: "F371502".into(),
            name: "东昌府区总工会".into(),
            kind: "总工会".into(),
            parent_code: Some("F3715".into()),
            region_code: "371502000000".into(),
            founded_on: Some("2024年9月6日".into()),
            contact_phone: Some("+86 138-0635-0000".into()),
            ..OrgInput::default()
        }
    }

    #[test]
    fn a_good_unit_parses_with_normalised_fields() {
        let d = OrgDraft::parse(&input(), today()).unwrap();
        assert_eq!(d.kind, OrgKind::Federation);
        assert_eq!(d.region_code.as_str(), "371502");
        assert_eq!(d.founded_on, NaiveDate::from_ymd_opt(2024, 9, 6));
        assert_eq!(d.contact_phone.as_deref(), Some("13806350000"));
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let bad = OrgInput {
            code: "F/1".into(),
            name: " ".into(),
            kind: "club".into(),
            region_code: "37x".into(),
            founded_on: Some("2099-01-01".into()),
            contact_phone: Some("12345".into()),
            ..OrgInput::default()
        };
        let errs = OrgDraft::parse(&bad, today()).unwrap_err();
        assert_eq!(
            errs,
            vec![
                ("code", "orgs.bad_code"),
                ("name", "orgs.name_required"),
                ("type", "orgs.bad_type"),
                ("region_code", "regions.bad_code"),
                ("founded_on", "orgs.founded_in_future"),
                ("contact_phone", "errors.bad_phone"),
            ]
        );
    }

    #[test]
    fn industry_is_optional_for_every_kind_and_federations_need_a_level() {
        // A 新就业形态工会联合会 spans industries: the six columns of SPEC section 5 carry none.
        let mut i = input();
        for kind in OrgKind::ALL {
            i.kind = kind.as_str().into();
            i.region_code = "371502001000".into();
            let d = OrgDraft::parse(&i, today()).unwrap();
            assert_eq!((d.kind, d.industry), (kind, None));
        }
        i.kind = "industry_federation".into();
        i.industry = Some("快递".into());
        assert_eq!(
            OrgDraft::parse(&i, today()).unwrap().industry,
            Some(Industry::ExpressDelivery)
        );
        let mut v = input();
        v.region_code = "371502003201".into();
        assert_eq!(
            OrgDraft::parse(&v, today()).unwrap_err(),
            vec![("region_code", "orgs.federation_needs_township_or_above")]
        );
    }

    #[test]
    fn kinds_parse_from_code_or_chinese_name() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(OrgKind::parse("单独建会"), Some(OrgKind::EnterpriseUnion));
        assert_eq!(OrgKind::parse("联合工会"), Some(OrgKind::JointUnion));
        assert_eq!(Industry::parse("外卖"), Some(Industry::FoodDelivery));
        assert_eq!(JointKind::parse("周转库"), Some(JointKind::HoldingPool));
    }

    #[test]
    fn phones() {
        assert_eq!(
            normalise_phone("0635-8888888").as_deref(),
            Some("0635-8888888")
        );
        assert_eq!(
            normalise_phone("010 12345678").as_deref(),
            Some("010-12345678")
        );
        assert_eq!(
            normalise_phone("(0635)8888888").as_deref(),
            Some("0635-8888888")
        );
        assert_eq!(normalise_phone("12345678901"), None);
        assert_eq!(normalise_phone("abc"), None);
    }

    proptest! {
        #[test]
        fn codes_with_a_slash_or_non_ascii_are_refused(s in "\\PC{1,40}") {
            let ok = check_code(&s).is_ok();
            let expected = s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            prop_assert_eq!(ok, expected);
            if ok { prop_assert!(!s.contains('/')); }
        }
    }
}
