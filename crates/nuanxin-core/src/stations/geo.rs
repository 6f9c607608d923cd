//! Coordinates of stations: the validated `LatLng` point (WGS-84, as stored), the GCJ-02
//! conversion that Chinese map apps need (standard public formulas, no shift outside China),
//! great-circle distances, and travel modes with their documented speeds. Storage and maps are
//! left to the callers.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Mean Earth radius in metres (IUGG), used for every distance in this module.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Semi-major axis of the Krasovsky 1940 ellipsoid that GCJ-02 is defined on.
const KRASOVSKY_A: f64 = 6_378_245.0;
/// First eccentricity squared of the Krasovsky 1940 ellipsoid.
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;

/// A point on Earth in decimal degrees, WGS-84 unless a function says otherwise. Built only through
/// [`LatLng::parse`], so latitude is within -90..=90, longitude within -180..=180, both finite.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawLatLng")]
pub struct LatLng {
    lat: f64,
    lng: f64,
}

#[derive(Deserialize)]
struct RawLatLng {
    lat: f64,
    lng: f64,
}

impl TryFrom<RawLatLng> for LatLng {
    type Error = Error;

    fn try_from(raw: RawLatLng) -> Result<LatLng> {
        LatLng::parse(raw.lat, raw.lng)
    }
}

impl LatLng {
    /// Checks that both values are finite and in range; the error names the field ("lat" or "lng").
    pub fn parse(lat: f64, lng: f64) -> Result<LatLng> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(Error::invalid("lat", "stations.bad_lat"));
        }
        if !lng.is_finite() || !(-180.0..=180.0).contains(&lng) {
            return Err(Error::invalid("lng", "stations.bad_lng"));
        }
        Ok(LatLng { lat, lng })
    }

    pub fn lat(self) -> f64 {
        self.lat
    }

    pub fn lng(self) -> f64 {
        self.lng
    }

    /// Rejects points far outside China (latitude outside 3..=54, longitude outside 73..=136), the
    /// usual sign of swapped or mistyped coordinates. The error names the field that is off.
    pub fn check_in_china_area(self) -> Result<LatLng> {
        if !(3.0..=54.0).contains(&self.lat) {
            return Err(Error::invalid("lat", "stations.outside_china"));
        }
        if !(73.0..=136.0).contains(&self.lng) {
            return Err(Error::invalid("lng", "stations.outside_china"));
        }
        Ok(self)
    }

    /// Great-circle (haversine) distance in metres on a sphere of radius [`EARTH_RADIUS_M`].
    pub fn distance_m(self, other: LatLng) -> f64 {
        let (phi1, phi2) = (self.lat.to_radians(), other.lat.to_radians());
        let dphi = phi2 - phi1;
        let dlambda = (other.lng - self.lng).to_radians();
        let h =
            (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
    }
}

/// Coordinate reference system of an entered point. Stations are stored in WGS-84; GCJ-02
/// (国测局坐标, "火星坐标") is what Chinese map apps show and return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    Wgs84,
    Gcj02,
}

impl Crs {
    pub fn code(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
        }
    }

    /// Accepts the usual spellings ("WGS84", "wgs-84", "GPS", "EPSG:4326", "GCJ02", "gcj-02",
    /// "火星坐标", "国测局坐标"). Baidu's BD-09 gets its own error: it is not supported.
    pub fn parse(s: &str) -> Result<Crs> {
        let key: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' ' | ':' | '.'))
            .flat_map(char::to_lowercase)
            .collect();
        match key.as_str() {
            "wgs84" | "wgs" | "gps" | "epsg4326" => Ok(Crs::Wgs84),
            "gcj02" | "gcj" | "火星坐标" | "火星坐标系" | "国测局坐标" | "国测局坐标系" => {
                Ok(Crs::Gcj02)
            }
            "bd09" | "bd09ll" | "百度坐标" | "百度坐标系" => {
                Err(Error::invalid("crs", "stations.crs_bd09_unsupported"))
            }
            _ => Err(Error::invalid("crs", "stations.bad_crs")),
        }
    }

    /// The same place in WGS-84, for storage.
    pub fn to_wgs84(self, p: LatLng) -> LatLng {
        match self {
            Crs::Wgs84 => p,
            Crs::Gcj02 => gcj02_to_wgs84(p),
        }
    }

    /// The same place in this system, for a map or a navigation link.
    pub fn from_wgs84(self, p: LatLng) -> LatLng {
        match self {
            Crs::Wgs84 => p,
            Crs::Gcj02 => wgs84_to_gcj02(p),
        }
    }
}

/// True where GCJ-02 applies no shift: the rectangle of the public formulas (longitude
/// 72.004..=137.8347, latitude 0.8293..=55.8271). It is a rectangle, so some neighbours of China
/// fall inside it; that is how every Chinese map app behaves.
pub fn out_of_china(p: LatLng) -> bool {
    !(72.004..=137.8347).contains(&p.lng) || !(0.8293..=55.8271).contains(&p.lat)
}

fn transform_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    ret
}

fn transform_lng(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    ret
}

/// The GCJ-02 offset (dlat, dlng) in degrees at a WGS-84 point inside the rectangle.
fn gcj02_offset(lat: f64, lng: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    let dlat = transform_lat(lng - 105.0, lat - 35.0);
    let dlng = transform_lng(lng - 105.0, lat - 35.0);
    let radlat = lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * radlat.sin() * radlat.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlng = (dlng * 180.0) / (KRASOVSKY_A / sqrt_magic * radlat.cos() * PI);
    (dlat, dlng)
}

/// Builds a point from computed values, clamped into range (the GCJ-02 shift is under 0.01
/// degrees, so clamping only matters at the poles and the antimeridian, outside the rectangle).
fn clamped(lat: f64, lng: f64) -> LatLng {
    LatLng {
        lat: lat.clamp(-90.0, 90.0),
        lng: lng.clamp(-180.0, 180.0),
    }
}

/// WGS-84 to GCJ-02 by the standard public formulas; unchanged outside China.
pub fn wgs84_to_gcj02(p: LatLng) -> LatLng {
    if out_of_china(p) {
        return p;
    }
    let (dlat, dlng) = gcj02_offset(p.lat, p.lng);
    clamped(p.lat + dlat, p.lng + dlng)
}

/// GCJ-02 to WGS-84 by inverting the forward formulas iteratively (the fixed point of
/// `w = g - offset(w)`), accurate to better than 1e-9 degrees inside China, not the one-step
/// approximation (off by up to about 1e-6 degrees); unchanged outside China.
pub fn gcj02_to_wgs84(g: LatLng) -> LatLng {
    if out_of_china(g) {
        return g;
    }
    let (mut lat, mut lng) = (g.lat, g.lng);
    for _ in 0..30 {
        let (flat, flng) = match clamped(lat, lng) {
            w if out_of_china(w) => (lat, lng),
            w => {
                let (dlat, dlng) = gcj02_offset(w.lat, w.lng);
                (w.lat + dlat, w.lng + dlng)
            }
        };
        let (elat, elng) = (flat - g.lat, flng - g.lng);
        lat -= elat;
        lng -= elng;
        if elat.abs() < 1e-11 && elng.abs() < 1e-11 {
            break;
        }
    }
    clamped(lat, lng)
}

/// How a worker travels to a station. Estimates use a constant speed on the straight-line
/// distance stretched by [`DETOUR_FACTOR`] for the street network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TravelMode {
    /// On foot (步行): 4.5 km/h.
    Walk,
    /// Electric bicycle (电动车), the riders' vehicle: 15 km/h, a cautious urban average.
    Ebike,
    /// Car (驾车) in urban traffic: 25 km/h.
    Car,
}

/// Street distance over straight-line distance, a common urban average.
pub const DETOUR_FACTOR: f64 = 1.3;

impl TravelMode {
    pub const ALL: [TravelMode; 3] = [TravelMode::Walk, TravelMode::Ebike, TravelMode::Car];

    pub fn code(self) -> &'static str {
        match self {
            TravelMode::Walk => "walk",
            TravelMode::Ebike => "ebike",
            TravelMode::Car => "car",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            TravelMode::Walk => "步行",
            TravelMode::Ebike => "电动车",
            TravelMode::Car => "驾车",
        }
    }

    /// Accepts "walk", "ebike", "car" (any case) or the Chinese label.
    pub fn parse(s: &str) -> Result<TravelMode> {
        let s = s.trim();
        TravelMode::ALL
            .into_iter()
            .find(|m| m.code().eq_ignore_ascii_case(s) || m.label_zh() == s)
            .ok_or(Error::invalid("mode", "stations.bad_mode"))
    }

    pub fn speed_kmh(self) -> f64 {
        match self {
            TravelMode::Walk => 4.5,
            TravelMode::Ebike => 15.0,
            TravelMode::Car => 25.0,
        }
    }

    fn metres_per_minute(self) -> f64 {
        self.speed_kmh() * 1000.0 / 60.0
    }

    /// Estimated minutes to cover a straight-line distance: `distance * DETOUR_FACTOR / speed`.
    pub fn travel_minutes(self, distance_m: f64) -> f64 {
        distance_m.max(0.0) * DETOUR_FACTOR / self.metres_per_minute()
    }

    /// The straight-line radius reachable within `minutes`, the inverse of
    /// [`Self::travel_minutes`]: `speed * minutes / DETOUR_FACTOR` (15 minutes on foot: 865 m).
    pub fn reach_m(self, minutes: f64) -> f64 {
        self.metres_per_minute() * minutes.max(0.0) / DETOUR_FACTOR
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(lat: f64, lng: f64) -> LatLng {
        LatLng::parse(lat, lng).unwrap()
    }

    /// (place, WGS-84 lat, lng, GCJ-02 lat, lng). The GCJ-02 values come from an independent Python
    /// implementation of the public formulas (coordtransform's polynomials with eviltransform's
    /// rectangle), printed to 9 decimals.
    const TABLE: [(&str, f64, f64, f64, f64); 12] = [
        (
            "Beijing Tiananmen",
            39.908722,
            116.397499,
            39.910125500,
            116.403742575,
        ),
        (
            "Shanghai People's Square",
            31.230416,
            121.473701,
            31.228473742,
            121.478224057,
        ),
        ("Liaocheng", 36.4567, 115.9854, 36.456787679, 115.991080404),
        (
            "Chongqing Jiefangbei",
            29.557141,
            106.577013,
            29.554252874,
            106.580700854,
        ),
        (
            "Huaibei",
            33.955844,
            116.798265,
            33.954416703,
            116.803661892,
        ),
        (
            "Suizhou",
            31.690215,
            113.382458,
            31.688341220,
            113.388675400,
        ),
        (
            "Guangzhou",
            23.129110,
            113.264385,
            23.126433336,
            113.269714583,
        ),
        ("Urumqi", 43.825592, 87.616848, 43.826797436, 87.619697998),
        ("Harbin", 45.803775, 126.534967, 45.805756615, 126.541007467),
        ("Sanya", 18.252847, 109.511909, 18.251141749, 109.515993271),
        ("London, outside", 51.5074, -0.1278, 51.5074, -0.1278),
        ("Tokyo, outside", 35.6762, 139.6503, 35.6762, 139.6503),
    ];

    #[test]
    fn conversions_match_the_reference_table() {
        for (place, lat, lng, glat, glng) in TABLE {
            let g = wgs84_to_gcj02(p(lat, lng));
            assert!((g.lat() - glat).abs() < 1e-6, "{place}: lat {}", g.lat());
            assert!((g.lng() - glng).abs() < 1e-6, "{place}: lng {}", g.lng());
            let w = gcj02_to_wgs84(p(glat, glng));
            assert!(
                (w.lat() - lat).abs() < 1e-6,
                "{place}: back lat {}",
                w.lat()
            );
            assert!(
                (w.lng() - lng).abs() < 1e-6,
                "{place}: back lng {}",
                w.lng()
            );
        }
    }

    #[test]
    fn outside_china_nothing_moves() {
        for (lat, lng) in [
            (51.5074, -0.1278),
            (35.6762, 139.6503),
            (0.5, 100.0),
            (60.0, 100.0),
        ] {
            assert_eq!(wgs84_to_gcj02(p(lat, lng)), p(lat, lng));
            assert_eq!(gcj02_to_wgs84(p(lat, lng)), p(lat, lng));
        }
        assert!(out_of_china(p(40.0, 72.0)));
        assert!(!out_of_china(p(40.0, 72.1)));
    }

    #[test]
    fn inversion_is_exact_not_the_one_step_approximation() {
        let g = p(39.910125500, 116.403742575);
        let (dlat, dlng) = gcj02_offset(g.lat(), g.lng());
        let one_step = (g.lat() - dlat, g.lng() - dlng);
        let w = gcj02_to_wgs84(g);
        let back = wgs84_to_gcj02(w);
        assert!((back.lat() - g.lat()).abs() < 1e-9 && (back.lng() - g.lng()).abs() < 1e-9);
        assert!((one_step.0 - w.lat()).abs() + (one_step.1 - w.lng()).abs() > 1e-7);
    }

    #[test]
    fn parse_rejects_bad_values_naming_the_field() {
        for (lat, lng, field) in [
            (f64::NAN, 116.0, "lat"),
            (91.0, 116.0, "lat"),
            (-90.5, 116.0, "lat"),
            (39.9, f64::INFINITY, "lng"),
            (39.9, 180.01, "lng"),
            (39.9, f64::NAN, "lng"),
        ] {
            let e = LatLng::parse(lat, lng).unwrap_err();
            assert_eq!(e.field(), Some(field));
        }
        assert!(LatLng::parse(-90.0, 180.0).is_ok());
    }

    #[test]
    fn far_from_china_is_rejected_swapped_coordinates_too() {
        assert!(p(36.4567, 115.9854).check_in_china_area().is_ok());
        let swapped = p(36.4567, 115.9854 - 100.0);
        assert_eq!(
            swapped.check_in_china_area().unwrap_err().field(),
            Some("lng")
        );
        let e = p(-33.86, 151.2).check_in_china_area().unwrap_err();
        assert_eq!(
            (e.field(), e.code()),
            (Some("lat"), "stations.outside_china")
        );
        assert!(p(51.5, -0.12).check_in_china_area().is_err());
    }

    #[test]
    fn deserialising_validates() {
        let ok: LatLng = serde_json::from_str(r#"{"lat":39.9,"lng":116.4}"#).unwrap();
        assert_eq!(ok, p(39.9, 116.4));
        assert!(serde_json::from_str::<LatLng>(r#"{"lat":99,"lng":116.4}"#).is_err());
    }

    #[test]
    fn haversine_matches_known_distances() {
        let beijing = p(39.908722, 116.397499);
        let shanghai = p(31.230416, 121.473701);
        let d = beijing.distance_m(shanghai);
        assert!((d - 1_068_140.976).abs() < 0.01, "{d}");
        let one_degree = p(0.0, 0.0).distance_m(p(1.0, 0.0));
        assert!((one_degree - EARTH_RADIUS_M * std::f64::consts::PI / 180.0).abs() < 1e-6);
        assert_eq!(beijing.distance_m(beijing), 0.0);
        let antipode = p(0.0, 0.0).distance_m(p(0.0, 180.0));
        assert!((antipode - EARTH_RADIUS_M * std::f64::consts::PI).abs() < 1e-6);
    }

    #[test]
    fn crs_spellings() {
        for s in ["WGS84", "wgs-84", "WGS_84", "gps", "EPSG:4326"] {
            assert_eq!(Crs::parse(s).unwrap(), Crs::Wgs84, "{s}");
        }
        for s in [
            "GCJ02",
            "gcj-02",
            "GCJ-02",
            " 火星坐标 ",
            "火星坐标系",
            "国测局坐标",
        ] {
            assert_eq!(Crs::parse(s).unwrap(), Crs::Gcj02, "{s}");
        }
        assert_eq!(
            Crs::parse("BD-09").unwrap_err().code(),
            "stations.crs_bd09_unsupported"
        );
        assert_eq!(Crs::parse("utm").unwrap_err().field(), Some("crs"));
        let g = p(39.910125500, 116.403742575);
        let w = Crs::Gcj02.to_wgs84(g);
        assert!((w.lat() - 39.908722).abs() < 1e-6 && (w.lng() - 116.397499).abs() < 1e-6);
        assert_eq!(Crs::Wgs84.to_wgs84(g), g);
    }

    #[test]
    fn travel_modes() {
        assert_eq!(TravelMode::parse("walk").unwrap(), TravelMode::Walk);
        assert_eq!(TravelMode::parse("EBIKE").unwrap(), TravelMode::Ebike);
        assert_eq!(TravelMode::parse("car").unwrap(), TravelMode::Car);
        assert_eq!(TravelMode::parse("bus").unwrap_err().field(), Some("mode"));
        // 1 km on foot: 1.3 km of street at 75 m/min.
        assert!((TravelMode::Walk.travel_minutes(1000.0) - 1300.0 / 75.0).abs() < 1e-9);
        assert!((TravelMode::Ebike.travel_minutes(1000.0) - 5.2).abs() < 1e-9);
        assert!((TravelMode::Car.travel_minutes(1000.0) - 3.12).abs() < 1e-9);
        assert!((TravelMode::Walk.reach_m(15.0) - 1125.0 / 1.3).abs() < 1e-9);
        for m in TravelMode::ALL {
            assert!((m.travel_minutes(m.reach_m(15.0)) - 15.0).abs() < 1e-9);
        }
    }

    proptest! {
        #[test]
        fn round_trip_over_mainland_china(lat in 18.0f64..54.0, lng in 73.0f64..135.0) {
            let w = p(lat, lng);
            let g = wgs84_to_gcj02(w);
            let back = gcj02_to_wgs84(g);
            prop_assert!((back.lat() - lat).abs() < 1e-6, "lat {} vs {}", back.lat(), lat);
            prop_assert!((back.lng() - lng).abs() < 1e-6, "lng {} vs {}", back.lng(), lng);
            prop_assert!(w.distance_m(g) < 1_000.0);
        }

        #[test]
        fn conversions_never_panic(lat in proptest::num::f64::ANY, lng in proptest::num::f64::ANY) {
            if let Ok(q) = LatLng::parse(lat, lng) {
                let g = wgs84_to_gcj02(q);
                let w = gcj02_to_wgs84(q);
                prop_assert!(LatLng::parse(g.lat(), g.lng()).is_ok());
                prop_assert!(LatLng::parse(w.lat(), w.lng()).is_ok());
                let _ = q.check_in_china_area();
                prop_assert!(q.distance_m(g).is_finite());
            }
        }

        #[test]
        fn parsing_anything_never_panics(s in ".{0,20}") {
            let _ = Crs::parse(&s);
            let _ = TravelMode::parse(&s);
        }
    }
}
