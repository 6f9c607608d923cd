//! The census (拉网式排查): enterprises with their USCC, size, new-employment-form workers and
//! union status, de-duplicated by USCC across sources (survey, transport bureau, platform
//! lists…), with a merge view where sources disagree; the un-unionised enterprise database by
//! size bucket with the suggested action; and prospects, the known workers who are not members.
//!
//! Every enterprise counts under one unit, its *owner* (`attribution`): its own union (or the
//! joint union covering it) once it has one, else the deepest active federation of its region.
//! Coverage figures are rolled up from the owners.

mod attribution;
pub mod prospects;
mod queries;
pub mod sheet;
pub mod uscc;

pub(crate) use attribution::Facts as FactsRow;
pub use attribution::{owner_for, reattribute};
pub use queries::{
    disputed, employer_names, get, largest_employers, list, mark_unionised, record, resolve,
    revise, sources_of, submit, update, EnterpriseFilter, Recorded, SourceRecord, Unionise,
};
pub use uscc::Uscc;

use crate::error::FieldErrors;
use crate::orgs::{normalise_phone, Industry};
use crate::regions::RegionCode;
use crate::sheets::parse_bool;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Union status of an enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnionStatus {
    None,
    Preparing,
    Unionised,
}

impl UnionStatus {
    pub const ALL: [UnionStatus; 3] = [
        UnionStatus::None,
        UnionStatus::Preparing,
        UnionStatus::Unionised,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnionStatus::None => "none",
            UnionStatus::Preparing => "preparing",
            UnionStatus::Unionised => "unionised",
        }
    }

    pub fn parse(s: &str) -> Option<UnionStatus> {
        match s.trim() {
            "none" | "未建会" | "" => Some(UnionStatus::None),
            "preparing" | "筹建中" | "筹建" => Some(UnionStatus::Preparing),
            "unionised" | "unionized" | "已建会" => Some(UnionStatus::Unionised),
            _ => None,
        }
    }
}

/// Staff size buckets of SPEC section 3.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SizeBucket {
    Ge100,
    From50To99,
    From25To49,
    Lt25,
}

impl SizeBucket {
    pub const ALL: [SizeBucket; 4] = [
        SizeBucket::Ge100,
        SizeBucket::From50To99,
        SizeBucket::From25To49,
        SizeBucket::Lt25,
    ];

    pub fn of(staff: i64) -> SizeBucket {
        match staff {
            100.. => SizeBucket::Ge100,
            50..=99 => SizeBucket::From50To99,
            25..=49 => SizeBucket::From25To49,
            _ => SizeBucket::Lt25,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SizeBucket::Ge100 => "ge100",
            SizeBucket::From50To99 => "50_99",
            SizeBucket::From25To49 => "25_49",
            SizeBucket::Lt25 => "lt25",
        }
    }

    pub fn parse(s: &str) -> Option<SizeBucket> {
        SizeBucket::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// Staff range as SQL bounds: `staff >= lo AND staff < hi`.
    pub fn bounds(self) -> (i64, i64) {
        match self {
            SizeBucket::Ge100 => (100, i64::MAX),
            SizeBucket::From50To99 => (50, 100),
            SizeBucket::From25To49 => (25, 50),
            SizeBucket::Lt25 => (0, 25),
        }
    }

    /// What the union should do about an un-unionised enterprise of this size: 25 staff or more
    /// set up their own union, smaller ones join a joint union.
    pub fn suggested_action(self) -> SuggestedAction {
        match self {
            SizeBucket::Lt25 => SuggestedAction::JoinJointUnion,
            _ => SuggestedAction::OwnUnion,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuggestedAction {
    OwnUnion,
    JoinJointUnion,
}

impl SuggestedAction {
    pub fn as_str(self) -> &'static str {
        match self {
            SuggestedAction::OwnUnion => "own_union",
            SuggestedAction::JoinJointUnion => "join_joint_union",
        }
    }
}

/// An enterprise as the census holds it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Enterprise {
    pub id: Uuid,
    pub uscc: String,
    pub name: String,
    pub industry: String,
    pub staff: i64,
    pub new_form_workers: i64,
    pub region_code: String,
    pub region_name: Option<String>,
    pub address: Option<String>,
    pub has_party_org: bool,
    pub union_status: String,
    pub union_code: Option<String>,
    pub union_name: Option<String>,
    pub unionised_on: Option<chrono::NaiveDate>,
    pub operating: bool,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub source: String,
    pub owner_code: Option<String>,
    pub owner_name: Option<String>,
    pub disputed: bool,
    pub updated_at: i64,
}

impl Enterprise {
    pub fn bucket(&self) -> SizeBucket {
        SizeBucket::of(self.staff)
    }

    pub fn suggested_action(&self) -> Option<SuggestedAction> {
        (self.union_status != "unionised" && self.operating)
            .then(|| self.bucket().suggested_action())
    }
}

/// An enterprise as typed in a form, an import row or an API call: all text.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct EnterpriseInput {
    pub uscc: String,
    pub name: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub staff: String,
    #[serde(default)]
    pub new_form_workers: String,
    pub region_code: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub has_party_org: Option<String>,
    #[serde(default)]
    pub union_status: Option<String>,
    #[serde(default)]
    pub union_code: Option<String>,
    #[serde(default)]
    pub operating: Option<String>,
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

/// A validated enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnterpriseDraft {
    pub uscc: String,
    pub name: String,
    pub industry: Industry,
    pub staff: i64,
    pub new_form_workers: i64,
    pub region_code: String,
    pub address: Option<String>,
    pub has_party_org: bool,
    pub union_status: UnionStatus,
    pub union_code: Option<String>,
    pub operating: bool,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub source: String,
}

impl EnterpriseDraft {
    /// Validates every field and reports all problems at once.
    pub fn parse(input: &EnterpriseInput) -> Result<EnterpriseDraft, FieldErrors> {
        let mut errs = FieldErrors::new();
        let opt = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let uscc = match Uscc::parse(&input.uscc) {
            Ok(u) => u.as_str().to_string(),
            Err(e) => {
                errs.push("uscc", e.code());
                String::new()
            }
        };
        let name = input.name.trim().to_string();
        if name.is_empty() {
            errs.push("name", "census.name_required");
        } else if name.chars().count() > 100 {
            errs.push("name", "census.name_too_long");
        }
        let industry = match input.industry.trim() {
            "" => Industry::Other,
            s => Industry::parse(s).unwrap_or_else(|| {
                errs.push("industry", "census.unknown_industry");
                Industry::Other
            }),
        };
        let mut count = |field: &'static str, s: &str| -> i64 {
            let s = s.trim().replace([',', '，'], "");
            if s.is_empty() {
                return 0;
            }
            match s.parse::<f64>() {
                Ok(n) if n >= 0.0 && n.fract() == 0.0 && n < 10_000_000.0 => n as i64,
                _ => {
                    errs.push(field, "census.bad_count");
                    0
                }
            }
        };
        let staff = count("staff", &input.staff);
        let new_form_workers = count("new_form_workers", &input.new_form_workers);
        let region_code = match RegionCode::parse(&input.region_code) {
            Ok(r) => r.as_str().to_string(),
            Err(e) => {
                errs.push("region_code", e.code());
                String::new()
            }
        };
        let mut flag = |field: &'static str, s: &Option<String>, default: bool| match opt(s) {
            None => default,
            Some(v) => parse_bool(&v).unwrap_or_else(|| {
                errs.push(field, "census.bad_yes_no");
                default
            }),
        };
        let has_party_org = flag("has_party_org", &input.has_party_org, false);
        let operating = flag("operating", &input.operating, true);
        let union_status = match UnionStatus::parse(input.union_status.as_deref().unwrap_or("")) {
            Some(s) => s,
            None => {
                errs.push("union_status", "census.unknown_union_status");
                UnionStatus::None
            }
        };
        let union_code = opt(&input.union_code);
        if union_code.is_some() && union_status != UnionStatus::Unionised {
            errs.push("union_code", "census.union_code_needs_unionised");
        }
        let contact_phone = match opt(&input.contact_phone) {
            None => None,
            Some(p) => match normalise_phone(&p) {
                Some(p) => Some(p),
                None => {
                    errs.push("contact_phone", "errors.bad_phone");
                    None
                }
            },
        };
        let source = opt(&input.source).unwrap_or_else(|| "survey".into());
        if source.chars().count() > 40 {
            errs.push("source", "census.source_too_long");
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(EnterpriseDraft {
            uscc,
            name,
            industry,
            staff,
            new_form_workers,
            region_code,
            address: opt(&input.address),
            has_party_org,
            union_status,
            union_code,
            operating,
            contact_name: opt(&input.contact_name),
            contact_phone,
            source,
        })
    }

    /// The fields whose disagreement between sources needs a cadre's decision.
    pub fn facts(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "industry": self.industry.as_str(),
            "staff": self.staff,
            "new_form_workers": self.new_form_workers,
            "region_code": self.region_code,
            "union_status": self.union_status.as_str(),
            "operating": self.operating,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> EnterpriseInput {
        EnterpriseInput {
            uscc: "91350100M000100Y43".into(),
            name: "聊城顺达物流有限公司".into(),
            industry: "货运物流".into(),
            staff: "120".into(),
            new_form_workers: "85".into(),
            region_code: "371502".into(),
            union_status: Some("未建会".into()),
            has_party_org: Some("是".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_row_parses_with_chinese_values() {
        let d = EnterpriseDraft::parse(&input()).unwrap();
        assert_eq!(d.industry, Industry::Freight);
        assert_eq!((d.staff, d.new_form_workers), (120, 85));
        assert!(d.has_party_org && d.operating);
        assert_eq!(d.union_status, UnionStatus::None);
        assert_eq!(d.source, "survey");
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut i = input();
        i.uscc = "91350100M000100Y44".into();
        i.staff = "-3".into();
        i.new_form_workers = "12.5".into();
        i.region_code = "37150".into();
        i.union_status = Some("maybe".into());
        i.has_party_org = Some("perhaps".into());
        let errs = EnterpriseDraft::parse(&i).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "uscc",
                "staff",
                "new_form_workers",
                "region_code",
                "has_party_org",
                "union_status"
            ]
        );
    }

    #[test]
    fn buckets_and_suggestions_follow_staff_size() {
        assert_eq!(SizeBucket::of(100), SizeBucket::Ge100);
        assert_eq!(SizeBucket::of(99), SizeBucket::From50To99);
        assert_eq!(SizeBucket::of(25), SizeBucket::From25To49);
        assert_eq!(SizeBucket::of(24), SizeBucket::Lt25);
        assert_eq!(
            SizeBucket::of(25).suggested_action(),
            SuggestedAction::OwnUnion
        );
        assert_eq!(
            SizeBucket::of(24).suggested_action(),
            SuggestedAction::JoinJointUnion
        );
    }
}
