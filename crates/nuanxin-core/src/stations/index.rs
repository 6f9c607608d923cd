//! The in-memory index of station locations behind "nearest stations" and "stations within a
//! radius". Points are kept as 3-D unit vectors, where straight-line (chord) order is exactly
//! great-circle order, so answers stay right at every latitude. Keeping the index in step with
//! the database is left to the caller.

use super::geo::{LatLng, EARTH_RADIUS_M};
use rstar::{Envelope, PointDistance, RTree, RTreeObject, SelectionFunction, AABB};
use std::collections::HashMap;
use uuid::Uuid;

/// The point on the unit sphere of a latitude and longitude.
pub(crate) fn unit_vector(p: LatLng) -> [f64; 3] {
    let (phi, lambda) = (p.lat().to_radians(), p.lng().to_radians());
    [
        phi.cos() * lambda.cos(),
        phi.cos() * lambda.sin(),
        phi.sin(),
    ]
}

/// The squared unit-sphere chord of a great-circle distance, enlarged by a hair so rounding never
/// loses a point that the exact distance check afterwards keeps.
pub(crate) fn chord2_bound(radius_m: f64) -> f64 {
    let angle = (radius_m.max(0.0) / EARTH_RADIUS_M).min(std::f64::consts::PI);
    let chord = 2.0 * (angle / 2.0).sin();
    chord * chord * (1.0 + 1e-9) + 1e-18
}

/// A point in an r-tree on the unit sphere with what it stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OnSphere<T> {
    xyz: [f64; 3],
    pub at: LatLng,
    pub data: T,
}

impl<T> OnSphere<T> {
    pub fn new(at: LatLng, data: T) -> OnSphere<T> {
        OnSphere {
            xyz: unit_vector(at),
            at,
            data,
        }
    }
}

impl<T> RTreeObject for OnSphere<T> {
    type Envelope = AABB<[f64; 3]>;

    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.xyz)
    }
}

impl<T> PointDistance for OnSphere<T> {
    fn distance_2(&self, p: &[f64; 3]) -> f64 {
        let [dx, dy, dz] = [self.xyz[0] - p[0], self.xyz[1] - p[1], self.xyz[2] - p[2]];
        dx * dx + dy * dy + dz * dz
    }
}

/// Every point of `tree` within `radius_m` metres of `at` (exact haversine check), any order.
pub(crate) fn within_radius<'a, T>(
    tree: &'a RTree<OnSphere<T>>,
    at: LatLng,
    radius_m: f64,
) -> impl Iterator<Item = &'a OnSphere<T>> + 'a {
    tree.locate_within_distance(unit_vector(at), chord2_bound(radius_m))
        .filter(move |e| at.distance_m(e.at) <= radius_m)
}

/// Finds the one entry of a station id at a known point, for removal.
struct ThisStation {
    xyz: [f64; 3],
    id: Uuid,
}

impl SelectionFunction<OnSphere<Uuid>> for ThisStation {
    fn should_unpack_parent(&self, envelope: &AABB<[f64; 3]>) -> bool {
        envelope.contains_point(&self.xyz)
    }

    fn should_unpack_leaf(&self, leaf: &OnSphere<Uuid>) -> bool {
        leaf.data == self.id
    }
}

/// Station locations by id, one point per station. Distances are great-circle metres.
#[derive(Clone, Default)]
pub struct StationIndex {
    tree: RTree<OnSphere<Uuid>>,
    located: HashMap<Uuid, LatLng>,
}

impl std::fmt::Debug for StationIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StationIndex")
            .field("stations", &self.len())
            .finish()
    }
}

impl StationIndex {
    pub fn new() -> StationIndex {
        StationIndex::default()
    }

    /// Bulk-loads the index, much faster than inserting one by one (1 million stations in about a
    /// second). An id given twice keeps its last location.
    pub fn build(stations: impl IntoIterator<Item = (Uuid, LatLng)>) -> StationIndex {
        let located: HashMap<Uuid, LatLng> = stations.into_iter().collect();
        let entries = located
            .iter()
            .map(|(&id, &at)| OnSphere::new(at, id))
            .collect();
        StationIndex {
            tree: RTree::bulk_load(entries),
            located,
        }
    }

    pub fn len(&self) -> usize {
        self.located.len()
    }

    pub fn is_empty(&self) -> bool {
        self.located.is_empty()
    }

    /// Where a station is, if indexed.
    pub fn get(&self, id: Uuid) -> Option<LatLng> {
        self.located.get(&id).copied()
    }

    /// Adds a station or moves it; answers its previous location.
    pub fn insert(&mut self, id: Uuid, at: LatLng) -> Option<LatLng> {
        let previous = self.remove(id);
        self.tree.insert(OnSphere::new(at, id));
        self.located.insert(id, at);
        previous
    }

    /// Takes a station out; answers where it was.
    pub fn remove(&mut self, id: Uuid) -> Option<LatLng> {
        let at = self.located.remove(&id)?;
        let removed = self.tree.remove_with_selection_function(ThisStation {
            xyz: unit_vector(at),
            id,
        });
        debug_assert!(removed.is_some(), "the tree holds every located station");
        Some(at)
    }

    /// Up to `limit` stations nearest to `at`, nearest first, with their distance in metres.
    pub fn nearest(&self, at: LatLng, limit: usize) -> Vec<(Uuid, f64)> {
        self.nearest_where(at, limit, |_| true)
    }

    /// Like [`Self::nearest`], skipping stations for which `keep` says no (closed now, another
    /// type, outside the caller's scope); stops as soon as `limit` are found.
    pub fn nearest_where(
        &self,
        at: LatLng,
        limit: usize,
        mut keep: impl FnMut(Uuid) -> bool,
    ) -> Vec<(Uuid, f64)> {
        if limit == 0 {
            return Vec::new();
        }
        let mut found: Vec<(Uuid, f64)> = self
            .tree
            .nearest_neighbor_iter(&unit_vector(at))
            .filter(|e| keep(e.data))
            .take(limit)
            .map(|e| (e.data, at.distance_m(e.at)))
            .collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        found
    }

    /// Every station within `radius_m` metres of `at`, nearest first.
    pub fn within(&self, at: LatLng, radius_m: f64) -> Vec<(Uuid, f64)> {
        let mut found: Vec<(Uuid, f64)> = within_radius(&self.tree, at, radius_m)
            .map(|e| (e.data, at.distance_m(e.at)))
            .collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        found
    }

    /// Whether any station lies within `radius_m` metres of `at`; stops at the first.
    pub fn any_within(&self, at: LatLng, radius_m: f64) -> bool {
        within_radius(&self.tree, at, radius_m).next().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(lat: f64, lng: f64) -> LatLng {
        LatLng::parse(lat, lng).unwrap()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn nearest_first_with_distances() {
        let liaocheng = p(36.4567, 115.9854);
        let index = StationIndex::build([
            (id(1), p(36.4567, 115.9954)),
            (id(2), p(36.4567, 115.9864)),
            (id(3), p(36.5567, 115.9854)),
            (id(4), p(39.9087, 116.3975)),
        ]);
        let near = index.nearest(liaocheng, 3);
        let ids: Vec<Uuid> = near.iter().map(|n| n.0).collect();
        assert_eq!(ids, vec![id(2), id(1), id(3)]);
        assert!((near[0].1 - liaocheng.distance_m(p(36.4567, 115.9864))).abs() < 1e-9);
        assert!((near[0].1 - 89.4).abs() < 0.5, "{}", near[0].1);
        assert_eq!(index.nearest(liaocheng, 10).len(), 4);
        assert!(index.nearest(liaocheng, 0).is_empty());
        assert!(StationIndex::new().nearest(liaocheng, 5).is_empty());
    }

    #[test]
    fn high_latitudes_use_true_distance_not_degrees() {
        // At 70°N a degree of longitude is about 38 km, a degree of latitude 111 km: in degrees
        // station 1 looks nearer, on the ground station 2 is.
        let q = p(70.0, 20.0);
        let index = StationIndex::build([(id(1), p(70.9, 20.0)), (id(2), p(70.0, 21.5))]);
        assert_eq!(index.nearest(q, 1)[0].0, id(2));
        assert!(q.distance_m(p(70.0, 21.5)) < q.distance_m(p(70.9, 20.0)));
    }

    #[test]
    fn insert_moves_and_remove_forgets() {
        let mut index = StationIndex::new();
        let (a, b) = (p(31.23, 121.47), p(29.56, 106.58));
        assert_eq!(index.insert(id(7), a), None);
        assert_eq!(index.insert(id(8), a), None);
        assert_eq!(index.insert(id(7), b), Some(a));
        assert_eq!(index.len(), 2);
        assert_eq!(index.get(id(7)), Some(b));
        assert_eq!(index.nearest(b, 1), vec![(id(7), 0.0)]);
        assert_eq!(index.remove(id(7)), Some(b));
        assert_eq!(index.remove(id(7)), None);
        assert_eq!(index.nearest(b, 5).len(), 1);
        assert_eq!(index.nearest(b, 5)[0].0, id(8));
        assert_eq!(index.remove(id(8)), Some(a));
        assert!(index.is_empty());
    }

    #[test]
    fn remove_picks_the_right_one_among_stations_at_the_same_point() {
        let here = p(36.4567, 115.9854);
        let mut index = StationIndex::build((1..=5).map(|n| (id(n), here)));
        index.remove(id(3));
        let mut left: Vec<Uuid> = index.within(here, 1.0).into_iter().map(|n| n.0).collect();
        left.sort();
        assert_eq!(left, vec![id(1), id(2), id(4), id(5)]);
    }

    #[test]
    fn build_keeps_the_last_location_of_a_repeated_id() {
        let index = StationIndex::build([(id(1), p(30.0, 110.0)), (id(1), p(31.0, 111.0))]);
        assert_eq!(index.len(), 1);
        assert_eq!(index.get(id(1)), Some(p(31.0, 111.0)));
        assert_eq!(index.nearest(p(30.0, 110.0), 5).len(), 1);
    }

    #[test]
    fn within_includes_the_boundary_and_filters() {
        let q = p(36.0, 116.0);
        let east = p(36.0, 116.01);
        let d = q.distance_m(east);
        let index = StationIndex::build([(id(1), east), (id(2), p(36.1, 116.0))]);
        assert_eq!(index.within(q, d), vec![(id(1), d)]);
        assert!(index.within(q, d - 0.01).is_empty());
        assert!(index.any_within(q, d));
        assert!(!index.any_within(q, d - 0.01));
        let only_2 = index.nearest_where(q, 1, |s| s == id(2));
        assert_eq!(only_2[0].0, id(2));
    }

    fn brute_force(points: &[(Uuid, LatLng)], q: LatLng) -> Vec<f64> {
        let mut d: Vec<f64> = points.iter().map(|(_, at)| q.distance_m(*at)).collect();
        d.sort_by(f64::total_cmp);
        d
    }

    fn cloud(max: usize) -> impl Strategy<Value = Vec<(f64, f64)>> {
        // A few exact duplicates make ties; the whole globe checks high latitudes too.
        prop::collection::vec((-89.9f64..89.9, -180.0f64..180.0), 1..max)
            .prop_flat_map(|pts| {
                let n = pts.len();
                (Just(pts), prop::collection::vec(0..n, 0..4))
            })
            .prop_map(|(mut pts, dups)| {
                for i in dups {
                    pts.push(pts[i]);
                }
                pts
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn nearest_equals_a_brute_force_scan(
            pts in cloud(300),
            q in (-90.0f64..90.0, -180.0f64..180.0),
            limit in 1usize..20,
        ) {
            let points: Vec<(Uuid, LatLng)> = pts
                .iter()
                .enumerate()
                .map(|(i, &(lat, lng))| (id(i as u128), p(lat, lng)))
                .collect();
            let index = StationIndex::build(points.iter().copied());
            let q = p(q.0, q.1);
            let got = index.nearest(q, limit);
            let expected = brute_force(&points, q);
            prop_assert_eq!(got.len(), limit.min(points.len()));
            for (k, (station, d)) in got.iter().enumerate() {
                let want = expected[k];
                prop_assert!((d - want).abs() < 1e-6, "rank {}: {} vs {}", k, d, want);
                let at = points[station.as_u128() as usize].1;
                prop_assert!((q.distance_m(at) - d).abs() < 1e-9);
            }
            let mut ids: Vec<Uuid> = got.iter().map(|g| g.0).collect();
            ids.sort();
            ids.dedup();
            prop_assert_eq!(ids.len(), got.len());
        }

        #[test]
        fn within_equals_a_brute_force_scan(
            pts in cloud(300),
            q in (18.0f64..54.0, 73.0f64..135.0),
            radius in 0.0f64..2_000_000.0,
        ) {
            let points: Vec<(Uuid, LatLng)> = pts
                .iter()
                .enumerate()
                .map(|(i, &(lat, lng))| (id(i as u128), p(lat * 0.2 + 30.0, lng * 0.1 + 110.0)))
                .collect();
            let index = StationIndex::build(points.iter().copied());
            let q = p(q.0, q.1);
            let mut got: Vec<Uuid> = index.within(q, radius).into_iter().map(|g| g.0).collect();
            got.sort();
            let expected: Vec<Uuid> = points
                .iter()
                .filter(|(_, at)| q.distance_m(*at) <= radius)
                .map(|(i, _)| *i)
                .collect();
            prop_assert_eq!(got, expected.clone());
            prop_assert_eq!(index.any_within(q, radius), !expected.is_empty());
        }

        #[test]
        fn removals_and_moves_keep_answers_exact(
            pts in cloud(120),
            ops in prop::collection::vec(
                (0usize..150, prop::option::of((-60.0f64..60.0, -180.0f64..180.0))),
                0..60,
            ),
            q in (-60.0f64..60.0, -180.0f64..180.0),
        ) {
            let mut model: HashMap<Uuid, LatLng> = HashMap::new();
            let mut index = StationIndex::new();
            for (i, &(lat, lng)) in pts.iter().enumerate() {
                index.insert(id(i as u128), p(lat, lng));
                model.insert(id(i as u128), p(lat, lng));
            }
            for (n, to) in ops {
                match to {
                    Some((lat, lng)) => {
                        let (station, at) = (id(n as u128), p(lat, lng));
                        prop_assert_eq!(index.insert(station, at), model.insert(station, at));
                    }
                    None => {
                        let station = id(n as u128);
                        prop_assert_eq!(index.remove(station), model.remove(&station));
                    }
                }
            }
            prop_assert_eq!(index.len(), model.len());
            let q = p(q.0, q.1);
            let points: Vec<(Uuid, LatLng)> = model.into_iter().collect();
            let got = index.nearest(q, 1_000);
            let expected = brute_force(&points, q);
            prop_assert_eq!(got.len(), expected.len());
            for (g, e) in got.iter().zip(&expected) {
                prop_assert!((g.1 - e).abs() < 1e-6);
            }
        }
    }
}
