//! The org network in the console and the API: browse, search, create, edit, move, dissolve,
//! import and export org units.

pub mod api;
pub mod pages;
mod view;
