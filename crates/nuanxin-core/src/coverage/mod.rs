//! Coverage (覆盖): the cadre's picture of an area. Figures for any subtree and period come from
//! counters maintained in the same transaction as every change (`counts`), so they are exact and
//! cost the same for a township or a province; `recount` proves and repairs them; `report`
//! assembles the figures, rates and trend; `employers` counts members by employer on demand; `sheet` writes the statistics sheet (信息统计表).

pub mod counts;
pub mod employers;
pub mod recount;
pub mod report;
pub mod sheet;

pub use employers::{employers, EmployerCount};
pub use recount::{recount, RecountReport};
pub use report::{
    coverage, dashboard, export_statistics, trend, Coverage, Dashboard, Period, TrendPoint,
};
