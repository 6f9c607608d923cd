//! Integration tests of the web console and the API, on SQLite and (when configured) PostgreSQL.

mod accounts;
mod coverage;
mod e2e;
mod join_trust;
mod members;
mod orgs;
mod poster;
mod real_data;
mod rights;
mod route_matrix;
mod schema;
mod scope;
mod session;
mod stations;
mod targets;
mod templates;
mod transport;
mod uploads;
mod xss;
