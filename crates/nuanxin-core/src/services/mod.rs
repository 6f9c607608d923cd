//! Worker services (SPEC section 3.7): rights cases (维权), labour-law checks (法治体检) and mutual
//! aid (互助保障); care activities and hardship files join them. `report` is the one services report
//! (`nuanxin report services`, `GET /api/v1/services/report`) each of them adds its member to.

pub mod aid;
pub mod care;
pub mod care_sheet;
pub mod cases;
pub mod cases_sheet;
pub mod labour_checks;
pub mod labour_checks_sheet;
pub mod money;
pub mod photos;
pub mod report;
