//! Members (会员) and joining (入会): real-name identity (`identity`, `id_vault`), join codes
//! (一会一码), SMS codes, the join itself with one active membership per person (a second join
//! becomes a transfer request), approvals, the member register with masked ID numbers, partner
//! pushes (两个同步) and member sessions for the worker's own pages.

/// What an e-card's QR code holds before the membership number: `NUANXIN-MEMBER:<number>`.
pub const ECARD_PREFIX: &str = "NUANXIN-MEMBER:";

mod approvals;
pub mod attendance;
mod codes;
pub mod corrections;
pub mod events;
pub mod holding;
pub mod id_vault;
pub mod identity;
mod join;
mod join_queue;
pub mod lifecycle;
pub mod partner;
mod queries;
pub mod self_service;
pub mod sessions;
pub mod sheet;
pub mod sms;
pub mod transfers;
pub mod webhooks;

pub use approvals::{decide, Decision};
pub use codes::{current_code, join_codes_of, resolve_code, rotate_code, JoinCode, JoinTarget};
pub use join::{join, join_many, Consent, JoinContext, JoinDraft, JoinInput, JoinReceipt};
pub use join_queue::{join_batches, JoinQueue};
pub use queries::{
    for_each, get, list, reseal_all, reveal_id, search, MemberFilter, MemberRow,
    EXACT_SEARCHES_PER_HOUR,
};

use serde::Serialize;

/// Worker groups (八大/九大/十大群体) of SPEC section 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkerGroup {
    TruckDriver,
    RideHailingDriver,
    Courier,
    DeliveryRider,
    CareWorker,
    DomesticWorker,
    MallInfoStaff,
    RealEstateAgent,
    SecurityGuard,
    InternetMarketer,
    Other,
}

impl WorkerGroup {
    pub const ALL: [WorkerGroup; 11] = [
        WorkerGroup::DeliveryRider,
        WorkerGroup::Courier,
        WorkerGroup::TruckDriver,
        WorkerGroup::RideHailingDriver,
        WorkerGroup::DomesticWorker,
        WorkerGroup::CareWorker,
        WorkerGroup::SecurityGuard,
        WorkerGroup::MallInfoStaff,
        WorkerGroup::RealEstateAgent,
        WorkerGroup::InternetMarketer,
        WorkerGroup::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WorkerGroup::TruckDriver => "truck_driver",
            WorkerGroup::RideHailingDriver => "ride_hailing_driver",
            WorkerGroup::Courier => "courier",
            WorkerGroup::DeliveryRider => "delivery_rider",
            WorkerGroup::CareWorker => "care_worker",
            WorkerGroup::DomesticWorker => "domestic_worker",
            WorkerGroup::MallInfoStaff => "mall_info_staff",
            WorkerGroup::RealEstateAgent => "real_estate_agent",
            WorkerGroup::SecurityGuard => "security_guard",
            WorkerGroup::InternetMarketer => "internet_marketer",
            WorkerGroup::Other => "other",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            WorkerGroup::TruckDriver => "货车司机",
            WorkerGroup::RideHailingDriver => "网约车司机",
            WorkerGroup::Courier => "快递员",
            WorkerGroup::DeliveryRider => "外卖配送员",
            WorkerGroup::CareWorker => "护工护理员",
            WorkerGroup::DomesticWorker => "家政服务员",
            WorkerGroup::MallInfoStaff => "商场信息员",
            WorkerGroup::RealEstateAgent => "房产中介员",
            WorkerGroup::SecurityGuard => "保安员",
            WorkerGroup::InternetMarketer => "互联网营销师",
            WorkerGroup::Other => "其他",
        }
    }

    /// The industry whose joint unions and federations organise this group (a township's joint
    /// union of couriers is one of `express_delivery`).
    pub fn industry(self) -> crate::orgs::Industry {
        use crate::orgs::Industry;
        match self {
            WorkerGroup::TruckDriver => Industry::Freight,
            WorkerGroup::RideHailingDriver => Industry::RideHailing,
            WorkerGroup::Courier => Industry::ExpressDelivery,
            WorkerGroup::DeliveryRider => Industry::FoodDelivery,
            WorkerGroup::CareWorker => Industry::CareService,
            WorkerGroup::DomesticWorker => Industry::DomesticService,
            WorkerGroup::MallInfoStaff => Industry::RetailMall,
            WorkerGroup::RealEstateAgent => Industry::RealEstate,
            WorkerGroup::SecurityGuard => Industry::SecurityService,
            WorkerGroup::InternetMarketer => Industry::InternetPlatform,
            WorkerGroup::Other => Industry::Other,
        }
    }

    /// Accepts the code or the Chinese name.
    pub fn parse(s: &str) -> Option<WorkerGroup> {
        let s = s.trim();
        WorkerGroup::ALL
            .into_iter()
            .find(|g| g.as_str() == s || g.zh() == s)
    }
}

/// How a member joined (入会渠道).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Qr,
    Event,
    Window,
    Partner,
    Import,
    Paper,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Qr => "qr",
            Channel::Event => "event",
            Channel::Window => "window",
            Channel::Partner => "partner",
            Channel::Import => "import",
            Channel::Paper => "paper",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Some(match s.trim() {
            "qr" | "扫码入会" => Channel::Qr,
            "event" | "集中入会" => Channel::Event,
            "window" | "窗口同步" => Channel::Window,
            "partner" | "平台推送" => Channel::Partner,
            "import" | "批量导入" => Channel::Import,
            "paper" | "纸质登记" => Channel::Paper,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_channels_parse_from_code_or_chinese() {
        for g in WorkerGroup::ALL {
            assert_eq!(WorkerGroup::parse(g.as_str()), Some(g));
            assert_eq!(WorkerGroup::parse(g.zh()), Some(g));
        }
        assert_eq!(WorkerGroup::parse("骑手"), None);
        assert_eq!(Channel::parse("窗口同步"), Some(Channel::Window));
    }
}
