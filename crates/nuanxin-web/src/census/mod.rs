//! The census in the console (`/census`) and the API (`/api/v1/enterprises`, `/api/v1/prospects`).

pub mod api;
pub mod pages;
pub mod prospects;
