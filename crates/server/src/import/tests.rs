#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use serde_json::json;

async fn sqlite_store(dir: &std::path::Path) -> Arc<dyn Store> {
    let store =
        trellis_store::connect(&trellis_store::testing::temp_sqlite_url(dir)).await.unwrap();
    store.migrate().await.unwrap();
    store
}

fn line(account: &str, id: &str, text: &str) -> String {
    json!({
        "channel": "x",
        "account": account,
        "platform_id": id,
        "kind": "mention",
        "author": {"platform_id": "42", "handle": "jane"},
        "text": text,
        "created_at": "2024-05-01T12:00:00Z",
    })
    .to_string()
}

async fn run(
    store: &Arc<dyn Store>,
    input: &str,
    options: &ImportOptions,
) -> (ImportSummary, Vec<Rejection>) {
    let mut rejections = Vec::new();
    let summary = import(store.clone(), input.as_bytes(), options, &mut |r: &Rejection| {
        rejections.push(r.clone())
    })
    .await
    .unwrap();
    (summary, rejections)
}

#[tokio::test]
async fn a_malformed_line_is_reported_with_its_number_and_the_rest_imports() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path()).await;
    let input =
        [line("acme", "1", "one"), "{not json".to_owned(), line("acme", "3", "three")].join("\n");
    let (summary, rejections) = run(&store, &input, &ImportOptions::default()).await;
    assert_eq!(summary.inserted, 2);
    assert_eq!(summary.rejected, 1);
    assert_eq!(rejections.len(), 1);
    assert_eq!(rejections[0].line, 2);
    assert!(rejections[0].reason.contains("invalid JSON"), "{:?}", rejections[0]);
    assert_eq!(store.message_count().await.unwrap(), 2);
}

#[tokio::test]
async fn importing_the_same_lines_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path()).await;
    let input = [line("acme", "1", "one"), line("acme", "2", "two")].join("\n");
    let (first, _) = run(&store, &input, &ImportOptions::default()).await;
    let seq_after_first = store.latest_seq().await.unwrap();
    let (second, _) = run(&store, &input, &ImportOptions::default()).await;
    assert_eq!(first.inserted, 2);
    assert_eq!((second.inserted, second.updated, second.unchanged), (0, 0, 2));
    assert_eq!(second.accounts_created, 0, "the account is found, not created again");
    assert_eq!(store.latest_seq().await.unwrap(), seq_after_first, "no change written");
}

#[tokio::test]
async fn an_edited_message_counts_as_updated() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path()).await;
    run(&store, &line("acme", "1", "first version"), &ImportOptions::default()).await;
    let (summary, _) =
        run(&store, &line("acme", "1", "second version"), &ImportOptions::default()).await;
    assert_eq!((summary.inserted, summary.updated), (0, 1));
}

#[tokio::test]
async fn new_accounts_are_created_once_under_the_named_brand() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path()).await;
    let input =
        [line("acme", "1", "a"), line("globex", "2", "b"), line("acme", "3", "c")].join("\n");
    let options = ImportOptions { brand: "Acme Group".into(), batch_size: 2 };
    let (summary, _) = run(&store, &input, &options).await;
    assert_eq!(summary.accounts_created, 2);
    assert_eq!(summary.inserted, 3);
    let brands = store.list_brands().await.unwrap();
    assert_eq!(brands.iter().filter(|b| b.name == "Acme Group").count(), 1);
    let accounts = store.list_accounts().await.unwrap();
    let acme = accounts.iter().find(|a| a.platform_account_id == "acme").unwrap();
    assert_eq!(acme.display_name, "acme");
    assert_eq!(acme.brand_id, brands.iter().find(|b| b.name == "Acme Group").unwrap().id);
}

#[tokio::test]
async fn blank_lines_and_crlf_endings_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path()).await;
    let input = format!("{}\r\n\r\n   \n{}\r\n", line("acme", "1", "a"), line("acme", "2", "b"));
    let (summary, rejections) = run(&store, &input, &ImportOptions::default()).await;
    assert_eq!((summary.lines, summary.inserted), (2, 2));
    assert!(rejections.is_empty(), "{rejections:?}");
}

#[tokio::test]
async fn invalid_utf8_is_rejected_by_line_number() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path()).await;
    let mut input = line("acme", "1", "a").into_bytes();
    input.extend_from_slice(b"\n\xff\xfe\n");
    input.extend_from_slice(line("acme", "3", "c").as_bytes());
    let mut rejections = Vec::new();
    let summary =
        import(store.clone(), &input[..], &ImportOptions::default(), &mut |r: &Rejection| {
            rejections.push(r.clone())
        })
        .await
        .unwrap();
    assert_eq!(summary.inserted, 2);
    assert_eq!(rejections, vec![Rejection { line: 2, reason: "not valid UTF-8".into() }]);
}

#[tokio::test]
async fn an_overlong_line_is_rejected_without_stopping_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path()).await;
    let huge = "x".repeat(MAX_LINE_BYTES + 10);
    let input = format!("{huge}\n{}", line("acme", "2", "b"));
    let (summary, rejections) = run(&store, &input, &ImportOptions::default()).await;
    assert_eq!(summary.inserted, 1);
    assert_eq!(rejections.len(), 1);
    assert_eq!(rejections[0].line, 1);
}

/// Makes the store at `dir` refuse, as a broken CHECK constraint, any message whose text contains
/// "poison": a real store that refuses some messages, for the import's fallback from whole batches
/// to single lines.
async fn poison_messages(dir: &std::path::Path) {
    use sqlx::Connection;
    let url = trellis_store::testing::temp_sqlite_url(dir);
    let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
    for statement in [
        "create table poison_guard (text text not null, \
         constraint poisoned_message check (instr(text, 'poison') = 0))",
        "create trigger poison_guard before insert on messages \
         begin insert into poison_guard (text) values (new.text); end",
    ] {
        sqlx::query(statement).execute(&mut connection).await.unwrap();
    }
}

#[tokio::test]
async fn a_batch_the_store_refuses_is_retried_line_by_line_so_only_the_bad_line_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path()).await;
    poison_messages(dir.path()).await;
    let input = [
        line("acme", "1", "fine"),
        line("acme", "2", "poison pill"),
        line("acme", "3", "also fine"),
    ]
    .join("\n");
    let (summary, rejections) = run(&store, &input, &ImportOptions::default()).await;
    assert_eq!((summary.inserted, summary.rejected), (2, 1));
    assert_eq!(rejections.len(), 1, "{rejections:?}");
    assert_eq!(rejections[0].line, 2);
    assert!(rejections[0].reason.contains("poisoned_message"), "{rejections:?}");
    assert_eq!(store.message_count().await.unwrap(), 2);
}
