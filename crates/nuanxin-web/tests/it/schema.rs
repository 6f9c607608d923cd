//! Both backends have the same migrations and, once migrated, the same tables and columns.

use nuanxin_core::{Backend, Store};
use nuanxin_testkit::TestDb;
use std::collections::BTreeSet;

#[test]
fn both_backends_list_the_same_migrations() {
    assert_eq!(
        Store::migration_versions(Backend::Sqlite),
        Store::migration_versions(Backend::Postgres)
    );
    let dir = |b: &str| -> BTreeSet<String> {
        std::fs::read_dir(format!(
            "{}/../nuanxin-store/migrations/{b}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
    };
    assert_eq!(dir("sqlite"), dir("postgres"));
}

async fn columns(url: &str) -> BTreeSet<(String, String)> {
    let store = Store::open(url).await.unwrap();
    let mut tx = store.read().await.unwrap();
    let rows: Vec<(String, String)> = match store.backend() {
        Backend::Sqlite => nuanxin_core::on_db!(tx.conn(), c => sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'").fetch_all(c).await).unwrap(),
        Backend::Postgres => nuanxin_core::on_db!(tx.conn(), c => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'").fetch_all(c).await).unwrap(),
    };
    drop(tx);
    store.close().await;
    rows.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrated_schemas_have_the_same_tables_and_columns() {
    let lite = TestDb::sqlite().await;
    let Some(pg) = TestDb::postgres().await else {
        return;
    };
    let (a, b) = (columns(&lite.url).await, columns(&pg.url).await);
    pg.drop_database().await;
    lite.drop_database().await;
    assert!(a.len() > 40);
    assert_eq!(a, b);
}
