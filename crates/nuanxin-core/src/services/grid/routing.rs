//! Where a grid report goes: a pure function of its place and the communities loaded (their
//! points and, where loaded, boundaries). A point inside a community's boundary (its border
//! included) goes to that community; a point outside every boundary goes to the nearest community
//! *without* a boundary within [`NEAREST_WITHIN_M`]; a typed address in a township goes to the
//! township's community when it has only one. Anything else is left for a cadre to route.

use crate::stations::geo::LatLng;

/// How far the nearest community's point may be for a point outside every boundary.
pub const NEAREST_WITHIN_M: f64 = 3_000.0;

/// Points closer than this (in degrees, about a centimetre) to a boundary's edge are on it.
const ON_EDGE: f64 = 1e-7;

/// A community as routing sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Community {
    /// The village-level region code (12 digits).
    pub code: String,
    pub point: LatLng,
    /// One closed ring of `(lng, lat)` vertices (WGS-84), when its boundary is loaded.
    pub boundary: Option<Vec<(f64, f64)>>,
}

/// Where the reporter says the problem is.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    /// From the phone's GPS or a pin on the map.
    Point(LatLng),
    /// A typed address in a township (9-digit code) picked from the list.
    Township(String),
}

/// How a report was routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutedBy {
    Boundary,
    Nearest,
    Township,
    /// No community found: a cadre routes it by hand.
    Unrouted,
}

impl RoutedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            RoutedBy::Boundary => "boundary",
            RoutedBy::Nearest => "nearest",
            RoutedBy::Township => "township",
            RoutedBy::Unrouted => "unrouted",
        }
    }
}

/// The community a report goes to, and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub community: Option<String>,
    pub by: RoutedBy,
}

impl Route {
    fn to(code: &str, by: RoutedBy) -> Route {
        Route {
            community: Some(code.to_string()),
            by,
        }
    }

    const UNROUTED: Route = Route {
        community: None,
        by: RoutedBy::Unrouted,
    };
}

/// Routes a report's place among `communities` (any order; ties go to the lower code, so the
/// answer never depends on the order they were loaded in).
pub fn route(place: &Place, communities: &[Community]) -> Route {
    match place {
        Place::Point(p) => {
            let inside = communities
                .iter()
                .filter(|c| c.boundary.as_deref().is_some_and(|b| contains(b, *p)))
                .map(|c| c.code.as_str())
                .min();
            if let Some(code) = inside {
                return Route::to(code, RoutedBy::Boundary);
            }
            communities
                .iter()
                .filter(|c| c.boundary.is_none())
                .map(|c| (c.point.distance_m(*p), c.code.as_str()))
                .filter(|(d, _)| *d <= NEAREST_WITHIN_M)
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)))
                .map_or(Route::UNROUTED, |(_, code)| {
                    Route::to(code, RoutedBy::Nearest)
                })
        }
        Place::Township(t) => {
            let mut of_township = communities
                .iter()
                .filter(|c| c.code.starts_with(t.as_str()));
            match (of_township.next(), of_township.next()) {
                (Some(only), None) if t.len() == 9 => Route::to(&only.code, RoutedBy::Township),
                _ => Route::UNROUTED,
            }
        }
    }
}

/// Whether the ring (`(lng, lat)` vertices, closed or not) holds the point, its edges included.
pub fn contains(ring: &[(f64, f64)], p: LatLng) -> bool {
    let (x, y) = (p.lng(), p.lat());
    if ring.len() < 3 {
        return false;
    }
    let edges = ring.iter().zip(ring.iter().cycle().skip(1));
    let mut inside = false;
    for (&(x1, y1), &(x2, y2)) in edges {
        if on_segment((x, y), (x1, y1), (x2, y2)) {
            return true;
        }
        // Even-odd rule: count the edges a ray to the east crosses.
        if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
            inside = !inside;
        }
    }
    inside
}

fn on_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> bool {
    let cross = (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
    let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
    if len == 0.0 {
        return (p.0 - a.0).abs() <= ON_EDGE && (p.1 - a.1).abs() <= ON_EDGE;
    }
    cross.abs() / len <= ON_EDGE
        && p.0 >= a.0.min(b.0) - ON_EDGE
        && p.0 <= a.0.max(b.0) + ON_EDGE
        && p.1 >= a.1.min(b.1) - ON_EDGE
        && p.1 <= a.1.max(b.1) + ON_EDGE
}

/// Reads a boundary as sent: a JSON array of `[lng, lat]` pairs (GeoJSON's order), at least three
/// distinct vertices, each in range; a repeated first vertex at the end is allowed.
pub fn parse_boundary(text: &str) -> Option<Vec<(f64, f64)>> {
    let pairs: Vec<[f64; 2]> = serde_json::from_str(text.trim()).ok()?;
    let mut ring: Vec<(f64, f64)> = pairs.into_iter().map(|[x, y]| (x, y)).collect();
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    let valid = ring.len() >= 3
        && ring.len() <= 10_000
        && ring
            .iter()
            .all(|&(x, y)| LatLng::parse(y, x).is_ok_and(|p| p.check_in_china_area().is_ok()));
    valid.then_some(ring)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lng: f64) -> LatLng {
        LatLng::parse(lat, lng).unwrap()
    }

    /// Two neighbouring square communities sharing the edge lng = 116.00 (A to the west, B to
    /// the east), and a community C known only by its point a little to the north.
    fn loaded() -> Vec<Community> {
        let square = |x0: f64| {
            vec![
                (x0, 36.45),
                (x0 + 0.01, 36.45),
                (x0 + 0.01, 36.46),
                (x0, 36.46),
            ]
        };
        vec![
            Community {
                code: "371502002002".into(),
                point: at(36.455, 116.005),
                boundary: Some(square(116.00)),
            },
            Community {
                code: "371502002001".into(),
                point: at(36.455, 115.995),
                boundary: Some(square(115.99)),
            },
            Community {
                code: "371502003001".into(),
                point: at(36.48, 116.00),
                boundary: None,
            },
        ]
    }

    #[test]
    fn points_are_routed_by_boundary_then_the_nearest_point() {
        let cases: &[(&str, LatLng, Option<&str>, RoutedBy)] = &[
            (
                "inside A",
                at(36.455, 115.995),
                Some("371502002001"),
                RoutedBy::Boundary,
            ),
            (
                "inside B",
                at(36.451, 116.009),
                Some("371502002002"),
                RoutedBy::Boundary,
            ),
            (
                "on B's outer edge",
                at(36.455, 116.01),
                Some("371502002002"),
                RoutedBy::Boundary,
            ),
            (
                "on A's corner",
                at(36.45, 115.99),
                Some("371502002001"),
                RoutedBy::Boundary,
            ),
            // The shared border belongs to both: the lower code takes it, whatever the order.
            (
                "on the shared border",
                at(36.455, 116.0),
                Some("371502002001"),
                RoutedBy::Boundary,
            ),
            (
                "outside, 1.1 km from C",
                at(36.47, 116.0),
                Some("371502003001"),
                RoutedBy::Nearest,
            ),
            (
                "outside, far from C",
                at(36.30, 116.30),
                None,
                RoutedBy::Unrouted,
            ),
        ];
        let mut reversed = loaded();
        reversed.reverse();
        for (what, p, code, by) in cases {
            for communities in [loaded(), reversed.clone()] {
                let r = route(&Place::Point(*p), &communities);
                assert_eq!(r.community.as_deref(), *code, "{what}");
                assert_eq!(r.by, *by, "{what}");
            }
        }
    }

    #[test]
    fn a_point_outside_a_boundary_is_not_given_to_that_community_by_its_point() {
        // West of A's boundary, 1.3 km from A's point: A has a boundary, so its point does not
        // draw reports; C is 3.3 km away.
        let r = route(&Place::Point(at(36.455, 115.98)), &loaded());
        assert_eq!(r, Route::UNROUTED);
    }

    #[test]
    fn a_typed_address_goes_to_its_townships_only_community() {
        let c = loaded();
        let only = route(&Place::Township("371502003".into()), &c);
        assert_eq!(only.community.as_deref(), Some("371502003001"));
        assert_eq!(only.by, RoutedBy::Township);
        // Two communities in the township: a cadre picks.
        assert_eq!(
            route(&Place::Township("371502002".into()), &c),
            Route::UNROUTED
        );
        assert_eq!(
            route(&Place::Township("371502009".into()), &c),
            Route::UNROUTED
        );
        // Not a township code: never a prefix match on a county.
        assert_eq!(
            route(&Place::Township("371502".into()), &c),
            Route::UNROUTED
        );
        assert_eq!(
            route(&Place::Point(at(36.455, 116.005)), &[]),
            Route::UNROUTED
        );
    }

    #[test]
    fn boundaries_are_read_as_geojson_rings() {
        let ring = parse_boundary("[[116.0,36.45],[116.01,36.45],[116.01,36.46],[116.0,36.45]]");
        assert_eq!(ring.map(|r| r.len()), Some(3));
        assert!(parse_boundary("[[116.0,36.45],[116.01,36.45]]").is_none());
        // Latitude first (the usual slip) puts the points outside China.
        assert!(parse_boundary("[[36.45,116.0],[36.45,116.01],[36.46,116.01]]").is_none());
        assert!(parse_boundary("not json").is_none());
        let concave = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (2.0, 1.0), (0.0, 4.0)];
        let shifted: Vec<(f64, f64)> = concave.iter().map(|(x, y)| (x + 110.0, y + 30.0)).collect();
        assert!(contains(&shifted, at(30.5, 112.0)));
        assert!(!contains(&shifted, at(33.0, 112.0)), "in the notch");
    }
}
