//! How an org unit is shown: labels from the catalogue, dates and regions formatted.

use crate::layout::Ctx;
use nuanxin_core::orgs::{OrgKind, OrgUnit};

pub struct OrgRow {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub kind_label: String,
    pub region_code: String,
    pub region_name: String,
    pub active: bool,
    pub status_label: String,
    pub child_count: i64,
    pub founded: String,
    pub parent_code: String,
    pub parent_name: String,
    pub detail_label: String,
    pub contact_name: String,
    pub contact_phone: String,
}

pub fn kind_label(ctx: &Ctx, o: &OrgUnit) -> String {
    match o.level() {
        Some(level) => ctx.t(&format!("orgs.level.{}", level.as_str())).to_string(),
        None => ctx.t(&format!("orgs.kind.{}", o.kind.as_str())).to_string(),
    }
}

pub fn row(ctx: &Ctx, o: &OrgUnit) -> OrgRow {
    let detail_label = match (o.kind, &o.joint_kind, &o.industry) {
        (OrgKind::JointUnion, Some(j), _) => ctx.t(&format!("orgs.joint_kind.{j}")).to_string(),
        (_, _, Some(i)) => ctx.t(&format!("orgs.industry.{i}")).to_string(),
        _ => String::new(),
    };
    OrgRow {
        code: o.code.clone(),
        name: o.name.clone(),
        kind: o.kind.as_str(),
        kind_label: kind_label(ctx, o),
        region_code: o.region_code.clone(),
        region_name: o.region_name.clone().unwrap_or_default(),
        active: o.is_active(),
        status_label: ctx
            .t(&format!("orgs.status.{}", o.status.as_str()))
            .to_string(),
        child_count: o.child_count,
        founded: o.founded_on.map(|d| d.to_string()).unwrap_or_default(),
        parent_code: o.parent_code.clone().unwrap_or_default(),
        parent_name: o.parent_name.clone().unwrap_or_default(),
        detail_label,
        contact_name: o.contact_name.clone().unwrap_or_default(),
        contact_phone: o.contact_phone.clone().unwrap_or_default(),
    }
}
