//! The 15-minute circle (15分钟服务圈): which demand points (members' workplaces, hotspots,
//! census enterprises) reach a station within a travel-time budget, and where new stations would
//! cover most of the rest (greedy maximal coverage over candidate sites). Loading demand points and
//! candidates, maps and exports are left to the callers.

use super::geo::{LatLng, TravelMode};
use super::index::{within_radius, OnSphere, StationIndex};
use crate::{Error, Result};
use rstar::RTree;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// The budget of the 15-minute circle, in minutes.
pub const CIRCLE_MINUTES: f64 = 15.0;

/// A place where workers need a station, weighted by how many (or how much) it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Demand {
    at: LatLng,
    weight: f64,
}

impl Demand {
    /// `weight` must be finite and not negative (field "weight").
    pub fn new(at: LatLng, weight: f64) -> Result<Demand> {
        if !weight.is_finite() || weight < 0.0 {
            return Err(Error::invalid("weight", "stations.bad_weight"));
        }
        Ok(Demand { at, weight })
    }

    pub fn at(&self) -> LatLng {
        self.at
    }

    pub fn weight(&self) -> f64 {
        self.weight
    }
}

/// How much demand lies within reach of a station.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// The straight-line reach that the mode and minutes allow.
    pub radius_m: f64,
    pub covered_weight: f64,
    pub total_weight: f64,
    /// Positions in the demand slice of the points with no station within reach, ascending.
    pub uncovered: Vec<usize>,
}

impl Coverage {
    /// Covered over total weight; None when there is no demand weight at all.
    pub fn share(&self) -> Option<f64> {
        (self.total_weight > 0.0).then(|| self.covered_weight / self.total_weight)
    }
}

/// Which demand points have a station within `minutes` by `mode` (straight-line reach
/// `TravelMode::reach_m`, 865 m for 15 minutes on foot). One index lookup per point, stopping at
/// the first station found.
pub fn coverage(
    demand: &[Demand],
    stations: &StationIndex,
    mode: TravelMode,
    minutes: f64,
) -> Coverage {
    let radius_m = mode.reach_m(minutes);
    let mut result = Coverage {
        radius_m,
        covered_weight: 0.0,
        total_weight: 0.0,
        uncovered: Vec::new(),
    };
    for (i, d) in demand.iter().enumerate() {
        result.total_weight += d.weight;
        if stations.any_within(d.at, radius_m) {
            result.covered_weight += d.weight;
        } else {
            result.uncovered.push(i);
        }
    }
    result
}

/// One suggested site, in the order chosen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteChoice {
    /// Position in the candidates slice.
    pub candidate: usize,
    pub at: LatLng,
    /// Demand weight this site covers that the earlier choices did not.
    pub gain: f64,
    /// Demand points it newly covers.
    pub newly_covered: usize,
    /// Weight covered by this and all earlier choices.
    pub covered_weight: f64,
}

/// A candidate's gain as last computed, and after how many choices it was computed.
struct Stale {
    gain: f64,
    candidate: usize,
    computed_after: usize,
}

impl PartialEq for Stale {
    fn eq(&self, other: &Stale) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Stale {}

impl PartialOrd for Stale {
    fn partial_cmp(&self, other: &Stale) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Stale {
    /// Larger gain first; among equal gains the earlier candidate, so results are reproducible.
    fn cmp(&self, other: &Stale) -> Ordering {
        self.gain
            .total_cmp(&other.gain)
            .then_with(|| other.candidate.cmp(&self.candidate))
    }
}

/// Chooses up to `k` of the `candidates` greedily, each time the one that covers the most demand
/// weight (within `radius_m`) not yet covered; usually given the uncovered demand of
/// [`coverage`]. Greedy is within (1 - 1/e) of the best possible choice; lazy evaluation (CELF)
/// re-counts a candidate only when its stale gain is on top, which is sound because gains only
/// shrink as sites are added. Stops early when no candidate adds anything.
pub fn suggest_sites(
    demand: &[Demand],
    candidates: &[LatLng],
    k: usize,
    radius_m: f64,
) -> Vec<SiteChoice> {
    let tree = RTree::bulk_load(
        demand
            .iter()
            .enumerate()
            .map(|(i, d)| OnSphere::new(d.at, i))
            .collect(),
    );
    let mut covered = vec![false; demand.len()];
    let gain_of = |at: LatLng, covered: &[bool]| -> f64 {
        within_radius(&tree, at, radius_m)
            .filter(|e| !covered[e.data])
            .map(|e| demand[e.data].weight)
            .sum()
    };
    let mut heap: BinaryHeap<Stale> = candidates
        .iter()
        .enumerate()
        .map(|(candidate, &at)| Stale {
            gain: gain_of(at, &covered),
            candidate,
            computed_after: 0,
        })
        .filter(|s| s.gain > 0.0)
        .collect();
    let mut chosen: Vec<SiteChoice> = Vec::with_capacity(k.min(candidates.len()));
    let mut covered_weight = 0.0;
    while chosen.len() < k {
        let Some(top) = heap.pop() else { break };
        let at = candidates[top.candidate];
        if top.computed_after < chosen.len() {
            let gain = gain_of(at, &covered);
            if gain > 0.0 {
                heap.push(Stale {
                    gain,
                    candidate: top.candidate,
                    computed_after: chosen.len(),
                });
            }
            continue;
        }
        let (mut gain, mut newly_covered) = (0.0, 0);
        for e in within_radius(&tree, at, radius_m) {
            if !covered[e.data] {
                covered[e.data] = true;
                gain += demand[e.data].weight;
                newly_covered += 1;
            }
        }
        covered_weight += gain;
        chosen.push(SiteChoice {
            candidate: top.candidate,
            at,
            gain,
            newly_covered,
            covered_weight,
        });
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn p(lat: f64, lng: f64) -> LatLng {
        LatLng::parse(lat, lng).unwrap()
    }

    fn d(lat: f64, lng: f64, weight: f64) -> Demand {
        Demand::new(p(lat, lng), weight).unwrap()
    }

    #[test]
    fn demand_weight_is_checked() {
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let e = Demand::new(p(36.0, 116.0), bad).unwrap_err();
            assert_eq!(
                (e.field(), e.code()),
                (Some("weight"), "stations.bad_weight")
            );
        }
        assert!(Demand::new(p(36.0, 116.0), 0.0).is_ok());
    }

    #[test]
    fn coverage_counts_weight_within_the_walking_circle() {
        let station = p(36.4567, 115.9854);
        let stations = StationIndex::build([(Uuid::from_u128(1), station)]);
        let radius = TravelMode::Walk.reach_m(CIRCLE_MINUTES);
        assert!((radius - 865.38).abs() < 0.01, "{radius}");
        // 0.007 degrees of latitude is about 778 m, 0.008 about 890 m.
        let demand = [
            d(36.4567 + 0.007, 115.9854, 3.0),
            d(36.4567 + 0.008, 115.9854, 2.0),
            d(36.4567, 115.9854, 1.0),
            d(36.4567 - 0.02, 115.9854, 4.0),
        ];
        let c = coverage(&demand, &stations, TravelMode::Walk, CIRCLE_MINUTES);
        assert_eq!(c.uncovered, vec![1, 3]);
        assert_eq!((c.covered_weight, c.total_weight), (4.0, 10.0));
        assert_eq!(c.share(), Some(0.4));
        let by_ebike = coverage(&demand, &stations, TravelMode::Ebike, CIRCLE_MINUTES);
        assert_eq!(by_ebike.uncovered, Vec::<usize>::new());
        let none = coverage(&[], &stations, TravelMode::Walk, CIRCLE_MINUTES);
        assert_eq!(none.share(), None);
        let no_stations = coverage(&demand, &StationIndex::new(), TravelMode::Car, 15.0);
        assert_eq!(no_stations.uncovered, vec![0, 1, 2, 3]);
    }

    #[test]
    fn suggestions_take_the_biggest_cluster_first() {
        let demand = [
            d(30.000, 110.000, 1.0),
            d(30.001, 110.000, 1.0),
            d(30.100, 110.000, 5.0),
            d(30.200, 110.000, 1.0),
        ];
        let candidates = [
            p(30.0005, 110.0),
            p(30.1, 110.0),
            p(30.2, 110.0),
            p(31.0, 110.0),
        ];
        let chosen = suggest_sites(&demand, &candidates, 10, 500.0);
        let order: Vec<usize> = chosen.iter().map(|c| c.candidate).collect();
        assert_eq!(order, vec![1, 0, 2], "the far candidate covers nothing");
        assert_eq!(chosen[1].gain, 2.0);
        assert_eq!(chosen[1].newly_covered, 2);
        assert_eq!(chosen[2].covered_weight, 8.0);
        assert!(suggest_sites(&demand, &candidates, 0, 500.0).is_empty());
        assert!(suggest_sites(&[], &candidates, 3, 500.0).is_empty());
    }

    #[test]
    fn overlapping_candidates_count_only_new_demand() {
        let demand = [
            d(30.0, 110.0, 1.0),
            d(30.002, 110.0, 1.0),
            d(30.004, 110.0, 1.0),
        ];
        let candidates = [p(30.001, 110.0), p(30.002, 110.0), p(30.004, 110.0)];
        let chosen = suggest_sites(&demand, &candidates, 3, 250.0);
        // Candidate 1 covers all three within 250 m (222 m either side).
        assert_eq!(chosen.len(), 1);
        assert_eq!((chosen[0].candidate, chosen[0].gain), (1, 3.0));
    }

    fn covered_by(demand: &[Demand], sites: &[LatLng], radius: f64) -> f64 {
        demand
            .iter()
            .filter(|x| sites.iter().any(|s| s.distance_m(x.at) <= radius))
            .map(|x| x.weight)
            .sum()
    }

    fn best_of(demand: &[Demand], candidates: &[LatLng], k: usize, radius: f64) -> f64 {
        fn go(
            demand: &[Demand],
            candidates: &[LatLng],
            k: usize,
            from: usize,
            picked: &mut Vec<LatLng>,
            radius: f64,
        ) -> f64 {
            if picked.len() == k || from == candidates.len() {
                return covered_by(demand, picked, radius);
            }
            picked.push(candidates[from]);
            let with = go(demand, candidates, k, from + 1, picked, radius);
            picked.pop();
            let without = go(demand, candidates, k, from + 1, picked, radius);
            with.max(without)
        }
        go(demand, candidates, k, 0, &mut Vec::new(), radius)
    }

    /// Greedy without lazy evaluation: recount every candidate every round.
    fn plain_greedy(demand: &[Demand], candidates: &[LatLng], k: usize, radius: f64) -> Vec<f64> {
        let mut sites: Vec<LatLng> = Vec::new();
        let mut gains = Vec::new();
        for _ in 0..k {
            let base = covered_by(demand, &sites, radius);
            let best = candidates
                .iter()
                .map(|c| {
                    let mut with = sites.clone();
                    with.push(*c);
                    (covered_by(demand, &with, radius) - base, *c)
                })
                .max_by(|a, b| a.0.total_cmp(&b.0));
            match best {
                Some((gain, c)) if gain > 1e-12 => {
                    sites.push(c);
                    gains.push(gain);
                }
                _ => break,
            }
        }
        gains
    }

    fn instance() -> impl Strategy<Value = (Vec<Demand>, Vec<LatLng>, f64)> {
        let point = (30.0f64..30.05, 110.0f64..110.06);
        (
            prop::collection::vec((point.clone(), 0.0f64..10.0), 0..30),
            prop::collection::vec(point, 1..=10),
            300.0f64..3_000.0,
        )
            .prop_map(|(demand, candidates, radius)| {
                (
                    demand
                        .into_iter()
                        .map(|((lat, lng), w)| d(lat, lng, w))
                        .collect(),
                    candidates
                        .into_iter()
                        .map(|(lat, lng)| p(lat, lng))
                        .collect(),
                    radius,
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn greedy_reaches_the_known_bound_of_the_optimum(
            (demand, candidates, radius) in instance(),
            k in 1usize..=3,
        ) {
            let greedy = suggest_sites(&demand, &candidates, k, radius);
            let got = greedy.last().map_or(0.0, |c| c.covered_weight);
            let sites: Vec<LatLng> = greedy.iter().map(|c| c.at).collect();
            prop_assert!((covered_by(&demand, &sites, radius) - got).abs() < 1e-9);
            let best = best_of(&demand, &candidates, k, radius);
            let bound = (1.0 - 1.0 / std::f64::consts::E) * best;
            prop_assert!(got >= bound - 1e-9, "{} < {} of {}", got, bound, best);
            prop_assert!(got <= best + 1e-9);
        }

        #[test]
        fn lazy_gains_equal_plain_greedy_gains(
            (demand, candidates, radius) in instance(),
            k in 1usize..=6,
        ) {
            let lazy: Vec<f64> = suggest_sites(&demand, &candidates, k, radius)
                .iter()
                .map(|c| c.gain)
                .collect();
            let plain = plain_greedy(&demand, &candidates, k, radius);
            prop_assert_eq!(lazy.len(), plain.len());
            for (a, b) in lazy.iter().zip(&plain) {
                prop_assert!((a - b).abs() < 1e-9, "{:?} vs {:?}", lazy, plain);
            }
        }

        #[test]
        fn coverage_never_decreases_as_k_grows((demand, candidates, radius) in instance()) {
            let mut last: Vec<SiteChoice> = Vec::new();
            for k in 0..=candidates.len() {
                let now = suggest_sites(&demand, &candidates, k, radius);
                let covered = |s: &[SiteChoice]| s.last().map_or(0.0, |c| c.covered_weight);
                prop_assert!(covered(&now) >= covered(&last));
                prop_assert_eq!(&now[..last.len()], &last[..]);
                last = now;
            }
        }

        #[test]
        fn coverage_equals_a_brute_force_scan(
            (demand, stations, _) in instance(),
            mode in prop::sample::select(TravelMode::ALL.to_vec()),
            minutes in 0.0f64..20.0,
        ) {
            let index = StationIndex::build(
                stations.iter().enumerate().map(|(i, &s)| (Uuid::from_u128(i as u128), s)),
            );
            let c = coverage(&demand, &index, mode, minutes);
            let radius = mode.reach_m(minutes);
            let expected: Vec<usize> = (0..demand.len())
                .filter(|&i| stations.iter().all(|s| s.distance_m(demand[i].at) > radius))
                .collect();
            prop_assert_eq!(&c.uncovered, &expected);
            let total: f64 = demand.iter().map(|x| x.weight).sum();
            prop_assert!((c.total_weight - total).abs() < 1e-9);
            prop_assert!((c.covered_weight - covered_by(&demand, &stations, radius)).abs() < 1e-9);
        }
    }
}
