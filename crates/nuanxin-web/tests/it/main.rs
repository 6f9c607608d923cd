//! Integration tests of the web console and the API, on SQLite and (when configured) PostgreSQL.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a step that fails fails the test, with its message"
)]

mod accounts;
mod aid;
mod care;
mod cases;
mod competitions;
mod coverage;
mod e2e;
mod events;
mod friendly;
mod grid;
mod hardship;
mod join_trust;
mod labour_checks;
mod lifecycle;
mod members;
mod narrow_roles;
mod notices;
mod orgs;
mod photos;
mod poster;
mod real_data;
mod rights;
mod route_matrix;
mod schema;
mod scope;
mod session;
mod social;
mod stations;
mod targets;
mod templates;
mod transport;
mod uploads;
mod webhooks;
mod xss;
