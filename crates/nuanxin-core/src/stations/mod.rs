//! Stations (工会驿站 / 户外劳动者服务站点) and the 15-minute circle (15分钟服务圈), SPEC section 3.6:
//! a station is a place where outdoor workers find water, charging, a hot meal, rest and a toilet,
//! hosted by a bank, a police kiosk, a battery-swap station or a mall, with a keeper and a phone.
//! The rules without a database: coordinates (`geo`), opening hours (`hours`), the in-memory
//! nearest-station index (`index`) and coverage with suggested sites (`siting`). With the
//! database: stations and visits (`queries`), the index every server process keeps in step with
//! the database (`live`), the stations sheet (`sheet`) and the 15-minute circle analysis of an
//! area (`circle`).

pub mod circle;
pub mod geo;
pub mod hours;
pub mod index;
pub mod live;
pub mod queries;
pub mod sheet;
pub mod siting;

pub use live::{LiveIndex, StationCard};
pub use queries::{
    close, create, get, keeper_edit, list, record_visit, reopen, save, update, visits, KeeperEdit,
    Station, StationFilter, Visit, VisitInput,
};

pub use geo::{gcj02_to_wgs84, out_of_china, wgs84_to_gcj02, Crs, LatLng, TravelMode};
pub use hours::{OpeningHours, TimeRange};
pub use index::StationIndex;
pub use siting::{coverage, suggest_sites, Coverage, Demand, SiteChoice};

use crate::error::FieldErrors;
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

    /// The type of a stored code, exactly as [`StationType::code`] writes it.
    pub fn from_code(code: &str) -> Option<StationType> {
        StationType::ALL.into_iter().find(|t| t.code() == code)
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

    /// The amenity of a stored code, exactly as [`Amenity::code`] writes it.
    pub fn from_code(code: &str) -> Option<Amenity> {
        Amenity::ALL.into_iter().find(|a| a.code() == code)
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

/// A station as typed in the form, the sheet or the API: text, checked by [`StationDraft::parse`].
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct StationInput {
    pub name: String,
    /// Station type: code or Chinese name (SPEC section 5).
    #[serde(default, alias = "type")]
    pub kind: String,
    #[serde(default)]
    pub lat: String,
    #[serde(default)]
    pub lng: String,
    /// `WGS84` (default) or `GCJ02` (as Chinese map apps give coordinates).
    #[serde(default)]
    pub crs: Option<String>,
    #[serde(default)]
    pub address: String,
    /// Opening hours, e.g. "周一至周五 8:00-20:00；周六 9:00-17:00"; empty means always open.
    #[serde(default)]
    pub hours: String,
    /// Amenities, e.g. "饮水、充电、热饭".
    #[serde(default)]
    pub amenities: String,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub keeper: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Code of the union that runs the station.
    #[serde(default)]
    pub org_code: String,
}

/// A checked station, coordinates in WGS-84.
#[derive(Debug, Clone, PartialEq)]
pub struct StationDraft {
    pub name: String,
    pub kind: StationType,
    pub at: LatLng,
    pub address: String,
    pub hours: OpeningHours,
    pub hours_text: String,
    pub amenities: Vec<Amenity>,
    pub host: Option<String>,
    pub keeper: Option<String>,
    pub phone: Option<String>,
    pub org_code: String,
}

/// Accepts "116.98", "116.98°", full-width digits; rejects anything else.
fn parse_degrees(s: &str) -> Option<f64> {
    let s: String = s.nfkc().collect();
    let s = s.trim().trim_end_matches('°').trim();
    if s.is_empty() {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

impl StationDraft {
    /// Checks every field and reports all problems at once, each naming its field.
    pub fn parse(input: &StationInput) -> std::result::Result<StationDraft, FieldErrors> {
        let mut errs = FieldErrors::new();
        let text = |s: &str| -> String { s.nfc().collect::<String>().trim().to_string() };
        let opt = |s: &Option<String>| s.as_deref().map(text).filter(|s| !s.is_empty());
        let name = text(&input.name);
        if name.is_empty() {
            errs.push("name", "stations.name_required");
        } else if name.chars().count() > 100 {
            errs.push("name", "stations.name_too_long");
        }
        let kind = match input.kind.trim() {
            "" => StationType::UnionStation,
            k => StationType::parse(k).unwrap_or_else(|e| {
                errs.push("type", e.code());
                StationType::UnionStation
            }),
        };
        let crs = match opt(&input.crs) {
            None => Crs::Wgs84,
            Some(c) => Crs::parse(&c).unwrap_or_else(|e| {
                errs.push("crs", e.code());
                Crs::Wgs84
            }),
        };
        let lat = parse_degrees(&input.lat);
        let lng = parse_degrees(&input.lng);
        if lat.is_none() {
            errs.push("lat", "stations.bad_lat");
        }
        if lng.is_none() {
            errs.push("lng", "stations.bad_lng");
        }
        let at = match (lat, lng) {
            // The commonest slip in cadres' sheets: longitude typed where latitude belongs.
            (Some(lat), Some(lng))
                if (73.0..=136.0).contains(&lat) && (3.0..=54.0).contains(&lng) =>
            {
                errs.push("lat", "stations.swapped");
                None
            }
            (Some(lat), Some(lng)) => {
                match LatLng::parse(lat, lng).and_then(|p| p.check_in_china_area()) {
                    Ok(p) => Some(crs.to_wgs84(p)),
                    Err(e) => {
                        errs.push(e.field().unwrap_or("lat"), e.code());
                        None
                    }
                }
            }
            _ => None,
        };
        let address = text(&input.address);
        if address.is_empty() {
            errs.push("address", "stations.address_required");
        } else if address.chars().count() > 200 {
            errs.push("address", "stations.address_too_long");
        }
        let hours_text = text(&input.hours);
        let hours = if hours_text.is_empty() {
            Some(OpeningHours::always())
        } else {
            match OpeningHours::parse(&hours_text) {
                Ok(h) => Some(h),
                Err(e) => {
                    errs.push("hours", e.code());
                    None
                }
            }
        };
        let amenities = Amenity::parse_list(&input.amenities).unwrap_or_else(|e| {
            errs.push("amenities", e.code());
            Vec::new()
        });
        let short = |errs: &mut FieldErrors, field: &'static str, v: Option<String>| match v {
            Some(v) if v.chars().count() > 100 => {
                errs.push(field, "stations.text_too_long");
                None
            }
            v => v,
        };
        let host = short(&mut errs, "host", opt(&input.host));
        let keeper = short(&mut errs, "keeper", opt(&input.keeper));
        let phone = opt(&input.phone).map(|p| p.nfkc().collect::<String>());
        if let Some(p) = &phone {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            let allowed = p
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '+' | '(' | ')' | '转'));
            if !allowed || !(5..=20).contains(&digits) {
                errs.push("phone", "stations.bad_phone");
            }
        }
        let org_code = text(&input.org_code);
        if org_code.is_empty() {
            errs.push("org_code", "stations.org_required");
        }
        match (errs.is_empty(), at, hours) {
            (true, Some(at), Some(hours)) => Ok(StationDraft {
                name,
                kind,
                at,
                address,
                hours_text: if hours_text.is_empty() {
                    hours.display()
                } else {
                    hours_text
                },
                hours,
                amenities,
                host,
                keeper,
                phone,
                org_code,
            }),
            _ => Err(errs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> StationInput {
        StationInput {
            name: "古楼街道骑手之家".into(),
            kind: "骑手之家".into(),
            lat: "36.4565".into(),
            lng: "115.9855".into(),
            crs: Some("GCJ02".into()),
            address: "东昌府区古楼街道东关街 12 号".into(),
            hours: "周一至周五 8:00-20:00；周六 9:00-17:00".into(),
            amenities: "饮水、充电、微波炉".into(),
            host: Some("中国银行网点".into()),
            keeper: Some("王芳".into()),
            phone: Some("0635-8123456".into()),
            org_code: "F371502001".into(),
        }
    }

    #[test]
    fn a_good_station_parses_and_gcj02_is_stored_as_wgs84() {
        let d = StationDraft::parse(&input()).unwrap();
        assert_eq!(d.kind, StationType::RiderHome);
        assert_eq!(
            d.amenities,
            vec![Amenity::Water, Amenity::Charging, Amenity::HotMeal]
        );
        let gcj = LatLng::parse(36.4565, 115.9855).unwrap();
        assert_eq!(d.at, gcj02_to_wgs84(gcj));
        assert!(
            d.at.distance_m(gcj) > 100.0,
            "GCJ-02 shifts by hundreds of metres"
        );
        let mut wgs = input();
        wgs.crs = None;
        assert_eq!(StationDraft::parse(&wgs).unwrap().at, gcj);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut i = input();
        i.name = " ".into();
        i.kind = "网吧".into();
        i.lat = "北纬36".into();
        i.address = String::new();
        i.hours = "看心情".into();
        i.amenities = "桑拿".into();
        i.phone = Some("call me".into());
        i.org_code = String::new();
        let errs = StationDraft::parse(&i).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "name",
                "type",
                "lat",
                "address",
                "hours",
                "amenities",
                "phone",
                "org_code"
            ]
        );
    }

    #[test]
    fn swapped_coordinates_are_refused() {
        let mut i = input();
        (i.lat, i.lng) = (i.lng.clone(), i.lat.clone());
        let errs = StationDraft::parse(&i).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs.get("lat"), Some("stations.swapped"));
    }

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
