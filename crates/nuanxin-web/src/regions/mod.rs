//! Regions in the console: the cascading region picker (province → village) used by every form
//! with a region, a browsing page, and the JSON API.

pub mod api;
pub mod pages;
pub mod picker;
