//! The `trellis` binary against PostgreSQL: import then search, on a fresh database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{hit_authors, run, trellis, write_sample};

#[tokio::test]
async fn import_and_search_work_on_postgresql() {
    let Some(database) = trellis_store::testing::fresh_postgres_database().await.unwrap() else {
        eprintln!("SKIPPED import_and_search_work_on_postgresql: PostgreSQL is not reachable");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = write_sample(dir.path());
    let url = database.url.clone();

    // The binary runs synchronously; keep it off the test's async worker.
    let (import, search) = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || {
            let import =
                run(trellis(&dir).env("TRELLIS_DATABASE_URL", &url).arg("import").arg(&file));
            let search = run(trellis(&dir).env("TRELLIS_DATABASE_URL", &url).args([
                "search",
                "from:@jane",
                "--json",
            ]));
            (import, search)
        }
    })
    .await
    .unwrap();

    import.assert_success();
    assert!(import.stdout.contains("4 new"), "{}", import.stdout);
    assert!(!dir.path().join("trellis.sqlite").exists(), "the sqlite default was not used");
    let results = search.assert_success().json();
    assert_eq!(hit_authors(&results), ["jane", "jane"], "{results}");
    database.cleanup().await.unwrap();
}
