//! Grid reports (网格随手拍, SPEC 3.8): members enrolled as part-time grid reporters (兼职网格员)
//! report hazards they meet on the road; each report is routed by its place to a community and
//! its grid office (`routing`, a pure function), forwarded by the office to a responsible body of
//! the county with a deadline, and every step is a dated status the reporter follows on `/me`.
//! `reporters`: who may report and their points; `setup`: the communities and bodies a county
//! loads; `reports`: the reports, their steps, lists and figures.

pub mod reporters;
pub mod reports;
pub mod routing;
pub mod setup;

/// What a report is about.
pub const CATEGORIES: [&str; 7] = [
    "road_hazard",
    "traffic_light",
    "missing_sign",
    "building_access",
    "public_security",
    "fire",
    "other",
];

/// The kinds of responsible bodies a grid office forwards to.
pub const BODY_KINDS: [&str; 5] = [
    "roads",
    "traffic_police",
    "city_management",
    "fire",
    "public_security",
];

/// A report's statuses, in the order a report usually goes through them.
pub const STATUSES: [&str; 6] = [
    "received",
    "forwarded",
    "in_progress",
    "resolved",
    "rejected",
    "reopened",
];

/// Points a reporter earns when a report of theirs is resolved (once per report).
pub const POINTS_RESOLVED: i64 = 10;

/// Whether a status ends the report's work (until its reporter reopens it).
pub fn is_closed(status: &str) -> bool {
    matches!(status, "resolved" | "rejected")
}
