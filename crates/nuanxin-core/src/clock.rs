//! Time comes from a `Clock` held in the application state, so that tests can set it.

use crate::Timestamp;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// When set (tests), the fixed current time in Unix milliseconds.
    fixed: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { fixed: None }
    }

    pub fn fixed(at: Timestamp) -> Clock {
        Clock {
            fixed: Some(Arc::new(AtomicI64::new(at))),
        }
    }

    pub fn now(&self) -> Timestamp {
        match &self.fixed {
            Some(t) => t.load(Ordering::SeqCst),
            None => chrono::Utc::now().timestamp_millis(),
        }
    }

    /// Moves a fixed clock forward; no effect on the system clock.
    pub fn advance(&self, millis: i64) {
        if let Some(t) = &self.fixed {
            t.fetch_add(millis, Ordering::SeqCst);
        }
    }

    pub fn today(&self) -> chrono::NaiveDate {
        beijing_date(self.now())
    }
}

/// The calendar day of an instant (Unix milliseconds) in Beijing: Chinese union work runs on
/// Beijing time (UTC+8) whatever the server's zone.
#[expect(
    clippy::expect_used,
    reason = "an invariant established just before; the message names it"
)]
pub fn beijing_date(millis: i64) -> chrono::NaiveDate {
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    chrono::DateTime::from_timestamp_millis(millis)
        .unwrap_or_default()
        .with_timezone(&beijing)
        .date_naive()
}

/// The instant (Unix milliseconds) a Beijing calendar day starts.
pub fn beijing_midnight(day: chrono::NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .timestamp_millis()
        - 8 * 3_600_000
}
