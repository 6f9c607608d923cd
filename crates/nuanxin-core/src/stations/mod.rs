//! Stations (工会驿站 / 户外劳动者服务站点) and the 15-minute circle (15分钟服务圈), SPEC section 3.6:
//! a station is a place where outdoor workers find water, charging, a hot meal, rest and a toilet,
//! hosted by a bank, a police kiosk, a battery-swap station or a mall, with a keeper and a phone.
//! This folder holds the database-free rules: coordinates (`geo`), opening hours (`hours`), the
//! in-memory nearest-station index (`index`) and coverage with suggested sites (`siting`).

pub mod bench;
pub mod geo;
pub mod hours;
pub mod index;
pub mod siting;

pub use geo::{gcj02_to_wgs84, out_of_china, wgs84_to_gcj02, Crs, LatLng, TravelMode};
pub use hours::{OpeningHours, TimeRange};
pub use index::StationIndex;
pub use siting::{coverage, suggest_sites, Coverage, Demand, SiteChoice};

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// Kind of station. Every kind offers the basic services; the kind says who it is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StationType {
    /// Union station (工会驿站), the general kind.
    UnionStation,
    /// Care station (爱心驿站), often in a bank branch or a shop.
    CareStation,
    /// Drivers' home (司机之家), for truck and ride-hailing drivers.
    DriverHome,
    /// Riders' home (骑手之家), for delivery riders.
    RiderHome,
    /// Couriers' home (快递员之家).
    CourierHome,
    /// Village or township service point (村镇服务点).
    VillagePoint,
    /// Health post (健康小站).
    HealthPost,
    /// Nursing room (爱心母婴室).
    NursingRoom,
    /// Legal aid station (法律援助服务站).
    LegalAidStation,
}

impl StationType {
    pub const ALL: [StationType; 9] = [
        StationType::UnionStation,
        StationType::CareStation,
        StationType::DriverHome,
        StationType::RiderHome,
        StationType::CourierHome,
        StationType::VillagePoint,
        StationType::HealthPost,
        StationType::NursingRoom,
        StationType::LegalAidStation,
    ];

    pub fn code(self) -> &'static str {
        match self {
            StationType::UnionStation => "union_station",
            StationType::CareStation => "care_station",
            StationType::DriverHome => "driver_home",
            StationType::RiderHome => "rider_home",
            StationType::CourierHome => "courier_home",
            StationType::VillagePoint => "village_point",
            StationType::HealthPost => "health_post",
            StationType::NursingRoom => "nursing_room",
            StationType::LegalAidStation => "legal_aid_station",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            StationType::UnionStation => "工会驿站",
            StationType::CareStation => "爱心驿站",
            StationType::DriverHome => "司机之家",
            StationType::RiderHome => "骑手之家",
            StationType::CourierHome => "快递员之家",
            StationType::VillagePoint => "村镇服务点",
            StationType::HealthPost => "健康小站",
            StationType::NursingRoom => "爱心母婴室",
            StationType::LegalAidStation => "法律援助服务站",
        }
    }

    /// Accepts the code (any case) or the Chinese name.
    pub fn parse(s: &str) -> Result<StationType> {
        let s: String = s.nfkc().collect();
        let s = s.trim();
        StationType::ALL
            .into_iter()
            .find(|t| t.code().eq_ignore_ascii_case(s) || t.label_zh() == s)
            .ok_or(Error::invalid("type", "stations.bad_type"))
    }
}

/// A service a station offers, shown as an icon on the worker's page.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Amenity {
    /// Drinking water (饮水).
    Water,
    /// Phone and e-bike charging (充电).
    Charging,
    /// Microwave to heat a meal (热饭, 微波炉).
    HotMeal,
    /// Seats to rest (休息).
    Rest,
    /// Toilet (卫生间).
    Toilet,
    /// First-aid kit (急救药箱).
    FirstAid,
    /// Health self-check kiosk: blood pressure and the like (健康监测).
    HealthKiosk,
    /// Books to read or borrow (图书).
    Books,
    /// Wireless internet (无线网络).
    Wifi,
}

impl Amenity {
    pub const ALL: [Amenity; 9] = [
        Amenity::Water,
        Amenity::Charging,
        Amenity::HotMeal,
        Amenity::Rest,
        Amenity::Toilet,
        Amenity::FirstAid,
        Amenity::HealthKiosk,
        Amenity::Books,
        Amenity::Wifi,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Amenity::Water => "water",
            Amenity::Charging => "charging",
            Amenity::HotMeal => "hot_meal",
            Amenity::Rest => "rest",
            Amenity::Toilet => "toilet",
            Amenity::FirstAid => "first_aid",
            Amenity::HealthKiosk => "health_kiosk",
            Amenity::Books => "books",
            Amenity::Wifi => "wifi",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Amenity::Water => "饮水",
            Amenity::Charging => "充电",
            Amenity::HotMeal => "热饭",
            Amenity::Rest => "休息",
            Amenity::Toilet => "卫生间",
            Amenity::FirstAid => "急救药箱",
            Amenity::HealthKiosk => "健康监测",
            Amenity::Books => "图书",
            Amenity::Wifi => "无线网络",
        }
    }

    /// Other names seen in the sources and in cadres' spreadsheets.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Amenity::Water => &["喝水", "饮用水", "热水", "开水", "茶水", "饮水机"],
            Amenity::Charging => &["手机充电", "充电宝", "电动车充电", "换电"],
            Amenity::HotMeal => &["微波炉", "热餐", "加热", "餐食加热", "热饭菜"],
            Amenity::Rest => &["休息区", "歇脚", "座椅", "休憩"],
            Amenity::Toilet => &["厕所", "洗手间", "如厕", "公厕"],
            Amenity::FirstAid => &["急救", "医药箱", "药箱", "应急药箱", "急救箱", "常用药品"],
            Amenity::HealthKiosk => &["健康小屋", "健康检测", "血压计", "健康自测", "体检"],
            Amenity::Books => &["书籍", "阅读", "书报", "微书屋", "书屋", "图书角"],
            Amenity::Wifi => &["wi-fi", "无线网", "网络", "上网"],
        }
    }

    /// Accepts the code (any case), the Chinese label or a common other name.
    pub fn parse(s: &str) -> Result<Amenity> {
        let s: String = s.nfkc().collect();
        let s = s.trim();
        Amenity::ALL
            .into_iter()
            .find(|a| {
                a.code().eq_ignore_ascii_case(s)
                    || a.label_zh() == s
                    || a.synonyms().iter().any(|w| w.eq_ignore_ascii_case(s))
            })
            .ok_or(Error::invalid("amenities", "stations.bad_amenity"))
    }

    /// Parses a list such as "饮水、充电、微波炉" (separators 、 , ， ; ； / and spaces) into
    /// distinct amenities in the order of [`Amenity::ALL`]. An empty text is an empty list.
    pub fn parse_list(s: &str) -> Result<Vec<Amenity>> {
        let s: String = s.nfkc().collect();
        let mut found: Vec<Amenity> = s
            .split(|c: char| matches!(c, '、' | ',' | ';' | '/' | '|') || c.is_whitespace())
            .filter(|part| !part.is_empty())
            .map(Amenity::parse)
            .collect::<Result<_>>()?;
        found.sort();
        found.dedup();
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn station_types_parse_from_code_or_chinese() {
        for t in StationType::ALL {
            assert_eq!(StationType::parse(t.code()).unwrap(), t);
            assert_eq!(StationType::parse(t.label_zh()).unwrap(), t);
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.code()));
        }
        assert_eq!(
            StationType::parse(" 骑手之家 ").unwrap(),
            StationType::RiderHome
        );
        assert_eq!(
            StationType::parse("Driver_Home").unwrap(),
            StationType::DriverHome
        );
        let e = StationType::parse("网吧").unwrap_err();
        assert_eq!((e.field(), e.code()), (Some("type"), "stations.bad_type"));
    }

    #[test]
    fn amenities_parse_one_by_one() {
        for a in Amenity::ALL {
            assert_eq!(Amenity::parse(a.code()).unwrap(), a);
            assert_eq!(Amenity::parse(a.label_zh()).unwrap(), a);
        }
        assert_eq!(Amenity::parse("微波炉").unwrap(), Amenity::HotMeal);
        assert_eq!(Amenity::parse("WiFi").unwrap(), Amenity::Wifi);
        assert_eq!(Amenity::parse("Wi-Fi").unwrap(), Amenity::Wifi);
        assert_eq!(Amenity::parse("厕所").unwrap(), Amenity::Toilet);
    }

    #[test]
    fn amenity_lists_with_every_separator() {
        use Amenity::*;
        assert_eq!(
            Amenity::parse_list("饮水、充电、微波炉").unwrap(),
            vec![Water, Charging, HotMeal]
        );
        assert_eq!(
            Amenity::parse_list("wifi，图书;休息； 厕所 急救,water").unwrap(),
            vec![Water, Rest, Toilet, FirstAid, Books, Wifi]
        );
        assert_eq!(
            Amenity::parse_list("充电、饮水、充电").unwrap(),
            vec![Water, Charging]
        );
        assert_eq!(Amenity::parse_list("  ").unwrap(), vec![]);
        let e = Amenity::parse_list("饮水、桑拿").unwrap_err();
        assert_eq!(
            (e.field(), e.code()),
            (Some("amenities"), "stations.bad_amenity")
        );
    }
}
