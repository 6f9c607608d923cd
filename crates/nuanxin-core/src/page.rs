//! Pagination and sorting shared by every list: a page request and a page of results.

use serde::{Deserialize, Serialize};

pub const MAX_PER_PAGE: u32 = 200;

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            page: 1,
            per_page: 50,
        }
    }
}

impl PageRequest {
    pub fn new(page: Option<u32>, per_page: Option<u32>) -> PageRequest {
        PageRequest {
            page: page.unwrap_or(1).max(1),
            per_page: per_page.unwrap_or(50).clamp(1, MAX_PER_PAGE),
        }
    }

    pub fn offset(&self) -> i64 {
        (self.page as i64 - 1) * self.per_page as i64
    }

    pub fn limit(&self) -> i64 {
        self.per_page as i64
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u32 {
        ((self.total.max(0) as u64).div_ceil(self.per_page.max(1) as u64)).max(1) as u32
    }
}

/// A filtered query of one kind of row, as every list and export runs it: `select` is the
/// `SELECT … FROM … JOIN …` part, `count` the `SELECT COUNT(*) FROM … JOIN …` part, `filter` the
/// WHERE clause with its arguments (the scope first), `order` the ORDER BY columns (the row's
/// `id` is added, so that pages never overlap).
pub struct Listing<'a> {
    pub select: &'a str,
    pub count: &'a str,
    pub filter: nuanxin_store::Sql,
    pub order: &'a str,
    /// The id column that makes the order total (`e.id`).
    pub id: &'a str,
}

/// A row type both databases can read.
pub trait ListRow:
    for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
    + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
    + Send
    + Unpin
{
}

impl<T> ListRow for T where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin
{
}

/// The filter of a list: it makes the query of the rows it selects in a scope. Every such list
/// is then paged by [`list`] and streamed to an export by [`for_each`], the same for all.
pub trait ListFilter: Sync {
    type Row: ListRow;

    fn listing(
        &self,
        tx: &mut crate::Tx,
        scope: &crate::Scope,
    ) -> impl std::future::Future<Output = crate::Result<Listing<'static>>> + Send;
}

/// The rows `filter` selects in the caller's scope, a page at a time.
pub async fn list<F: ListFilter>(
    tx: &mut crate::Tx,
    scope: &crate::Scope,
    filter: &F,
    page: PageRequest,
) -> crate::Result<Page<F::Row>> {
    filter.listing(tx, scope).await?.page(tx, page).await
}

/// Every row `filter` selects, in list order, handed to `each` as the database streams them
/// (no OFFSET, no count): exports.
pub async fn for_each<F: ListFilter>(
    tx: &mut crate::Tx,
    scope: &crate::Scope,
    filter: &F,
    each: impl FnMut(F::Row) -> crate::Result<()>,
) -> crate::Result<u64> {
    filter.listing(tx, scope).await?.for_each(tx, each).await
}

impl Listing<'_> {
    /// One page of the rows, with the count of all of them.
    pub async fn page<T: ListRow>(
        self,
        tx: &mut crate::Tx,
        page: PageRequest,
    ) -> crate::Result<Page<T>> {
        use nuanxin_store::{bind_args, on_db};
        let count_sql = format!("{}{}", self.count, self.filter.sql);
        let total: i64 = on_db!(tx.conn(), c => bind_args!(sqlx::query_scalar(&count_sql), &self.filter.args).fetch_one(c).await)?;
        let mut q = nuanxin_store::Sql {
            sql: format!(
                "{}{} ORDER BY {}, {} LIMIT ",
                self.select, self.filter.sql, self.order, self.id
            ),
            args: self.filter.args,
        };
        q.arg(page.limit()).push(" OFFSET ").arg(page.offset());
        let items = on_db!(tx.conn(), c => bind_args!(sqlx::query_as::<_, T>(&q.sql), &q.args).fetch_all(c).await)?;
        Ok(Page {
            items,
            total,
            page: page.page,
            per_page: page.per_page,
        })
    }

    /// Every row, in list order, handed to `each` as the database streams them (no OFFSET, no
    /// count): what exports of millions of rows read. Returns how many there were.
    pub async fn for_each<T: ListRow>(
        self,
        tx: &mut crate::Tx,
        mut each: impl FnMut(T) -> crate::Result<()>,
    ) -> crate::Result<u64> {
        use futures::TryStreamExt;
        use nuanxin_store::{bind_args, on_db};
        let sql = format!(
            "{}{} ORDER BY {}, {}",
            self.select, self.filter.sql, self.order, self.id
        );
        let mut n = 0u64;
        on_db!(tx.conn(), c => {
            let mut rows = bind_args!(sqlx::query_as::<_, T>(&sql), &self.filter.args).fetch(c);
            while let Some(row) = rows.try_next().await? {
                each(row)?;
                n += 1;
            }
            Ok::<(), crate::Error>(())
        })?;
        Ok(n)
    }
}
