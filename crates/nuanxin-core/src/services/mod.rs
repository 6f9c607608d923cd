//! Worker services (SPEC section 3.7): rights cases (维权) so far; labour-law checks, mutual aid,
//! care activities and hardship files join them. `report` is the one services report
//! (`nuanxin report services`, `GET /api/v1/services/report`) each of them adds its member to.

pub mod cases;
pub mod cases_sheet;
pub mod money;
pub mod report;
