//! Signing in and out: the login page, `POST/DELETE /api/v1/session`, and the language switch.

pub mod api;
pub mod pages;
