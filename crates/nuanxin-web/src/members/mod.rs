//! The member register in the console and the API: search, approvals, the audited reveal of an
//! ID number, export, and each union's join code (一会一码).

pub mod api;
pub mod events;
pub mod pages;
pub mod poster;
pub mod transfers;
