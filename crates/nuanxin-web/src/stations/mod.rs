//! Stations (SPEC 3.6) on the web: cadres' and keepers' pages, the workers' "nearby stations"
//! page, and the JSON API.

pub mod api;
pub mod circle;
pub mod nearby;
pub mod pages;
