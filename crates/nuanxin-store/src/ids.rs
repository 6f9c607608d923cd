//! Identifiers and instants made by the application, never by a database sequence, so that rows
//! from different processes and different (provincial) databases never collide and sort by time.

use uuid::Uuid;

/// A new time-ordered identifier (UUID version 7: 48 bits of Unix milliseconds, then randomness).
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// An instant as Unix milliseconds: BIGINT on both backends, so that it sorts and compares alike.
pub type Timestamp = i64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_time_ordered() {
        let ids: Vec<Uuid> = (0..10_000).map(|_| new_id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        assert_eq!(ids.first(), sorted.first());
        assert_eq!(ids.last(), sorted.last());
    }
}
