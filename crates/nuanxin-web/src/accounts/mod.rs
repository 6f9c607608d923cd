//! Accounts in the console and the API: cadres, their posts (assignments), and API tokens.

pub mod api;
pub mod pages;
