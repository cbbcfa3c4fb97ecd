//! Reading the index beside its writer: read-only handles take no lock, follow the writer's
//! commits, refuse writes, and never create an index; the fallback opens read-only only when the
//! writer lock is busy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{doc, ids};
use std::path::Path;
use std::time::{Duration, Instant};
use trellis_core::{SearchError, SearchIndex, Seq};
use trellis_search::{Access, OpenOutcome, TantivyIndex};

/// A writable index in `dir` holding messages 1 and 2 ("refund"), committed through seq 42.
fn writer_with_refunds(dir: &Path) -> TantivyIndex {
    let (writer, _) = TantivyIndex::open(dir).unwrap();
    writer.apply(vec![doc(1, "first refund"), doc(2, "second refund")], Seq(42)).unwrap();
    writer
}

/// Polls `check` until it holds, failing after five seconds.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !check() {
        assert!(Instant::now() < deadline, "{what} within 5 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every file under `dir`, relative, sorted: what an open may not change.
fn files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

#[test]
fn a_second_writer_in_the_same_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let _writer = writer_with_refunds(&path);
    let error = TantivyIndex::open(&path).unwrap_err();
    assert!(error.to_string().contains("in use by another writer"), "{error}");
}

#[test]
fn a_read_only_open_beside_a_writer_finds_what_was_committed_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let writer = writer_with_refunds(&path);
    let reader = TantivyIndex::open_read_only(&path).unwrap();
    assert!(reader.is_read_only());
    assert!(!writer.is_read_only());
    assert_eq!(reader.committed_seq().unwrap(), Seq(42));
    assert_eq!(reader.doc_count().unwrap(), 2);
    assert_eq!(ids(&reader, "refund"), vec![1, 2]);
}

#[test]
fn a_commit_after_a_read_only_open_becomes_searchable_without_asking() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let writer = writer_with_refunds(&path);
    let reader = TantivyIndex::open_read_only(&path).unwrap();
    assert_eq!(ids(&reader, "later"), Vec::<i64>::new());
    writer.apply(vec![doc(3, "a later refund")], Seq(43)).unwrap();
    // Only searches here: committed_seq would reload the reader itself.
    eventually("the reader sees the writer's commit", || ids(&reader, "later") == vec![3]);
    assert_eq!(ids(&reader, "refund"), vec![1, 2, 3]);
}

#[test]
fn committed_seq_reads_the_writers_latest_commit_and_searches_reflect_it_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let writer = writer_with_refunds(&path);
    let reader = TantivyIndex::open_read_only(&path).unwrap();
    writer.apply(vec![doc(3, "a later refund")], Seq(50)).unwrap();
    assert_eq!(reader.committed_seq().unwrap(), Seq(50));
    assert_eq!(ids(&reader, "later"), vec![3]);
    assert_eq!(reader.doc_count().unwrap(), 3);
}

#[test]
fn two_read_only_opens_at_once_both_work() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let writer = writer_with_refunds(&path);
    let first = TantivyIndex::open_read_only(&path).unwrap();
    let second = TantivyIndex::open_read_only(&path).unwrap();
    assert_eq!(ids(&first, "refund"), vec![1, 2]);
    assert_eq!(ids(&second, "refund"), vec![1, 2]);
    // Nor do readers keep a writer out, whether it is running or starts after them.
    drop(writer);
    let (writer, outcome) = TantivyIndex::open(&path).unwrap();
    assert_eq!(outcome, OpenOutcome::Opened { committed_seq: Seq(42) });
    writer.apply(vec![doc(3, "another refund")], Seq(43)).unwrap();
    assert_eq!(first.committed_seq().unwrap(), Seq(43));
    assert_eq!(ids(&first, "refund"), vec![1, 2, 3]);
    assert_eq!(second.committed_seq().unwrap(), Seq(43));
}

#[test]
fn writes_through_a_read_only_index_fail_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let writer = writer_with_refunds(&path);
    let reader = TantivyIndex::open_read_only(&path).unwrap();

    let applied = reader.apply(vec![doc(9, "sneaky refund")], Seq(99));
    assert!(
        matches!(&applied, Err(SearchError::Internal(message)) if message.contains("read-only")),
        "{applied:?}"
    );
    let cleared = reader.clear();
    assert!(
        matches!(&cleared, Err(SearchError::Internal(message)) if message.contains("read-only")),
        "{cleared:?}"
    );

    for index in [&reader, &writer] {
        assert_eq!(index.committed_seq().unwrap(), Seq(42));
        assert_eq!(index.doc_count().unwrap(), 2);
        assert_eq!(ids(index, "refund"), vec![1, 2]);
    }
    // The writer is still the one that writes.
    writer.apply(vec![doc(3, "third refund")], Seq(43)).unwrap();
    assert_eq!(reader.committed_seq().unwrap(), Seq(43));
}

#[test]
fn open_for_reading_takes_the_writer_when_nobody_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let (index, access) = TantivyIndex::open_for_reading(&path).unwrap();
    assert_eq!(access, Access::Writable(OpenOutcome::Created));
    assert!(!index.is_read_only());
    index.apply(vec![doc(1, "first refund")], Seq(7)).unwrap();
    drop(index);

    let (index, access) = TantivyIndex::open_for_reading(&path).unwrap();
    assert_eq!(access, Access::Writable(OpenOutcome::Opened { committed_seq: Seq(7) }));
    assert_eq!(ids(&index, "refund"), vec![1]);
}

#[test]
fn open_for_reading_falls_back_to_read_only_while_a_writer_holds_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let writer = writer_with_refunds(&path);
    let (first, access) = TantivyIndex::open_for_reading(&path).unwrap();
    assert_eq!(access, Access::ReadOnly);
    assert!(first.is_read_only());
    let (second, access) = TantivyIndex::open_for_reading(&path).unwrap();
    assert_eq!(access, Access::ReadOnly);
    assert_eq!(ids(&first, "refund"), vec![1, 2]);
    assert_eq!(ids(&second, "refund"), vec![1, 2]);
    // The writer's index is untouched and still its own.
    writer.apply(vec![doc(3, "third refund")], Seq(43)).unwrap();
    assert_eq!(ids(&writer, "refund"), vec![1, 2, 3]);

    drop(writer);
    let (_, access) = TantivyIndex::open_for_reading(&path).unwrap();
    assert_eq!(access, Access::Writable(OpenOutcome::Opened { committed_seq: Seq(43) }));
}

#[test]
fn a_missing_index_directory_is_an_error_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let error = TantivyIndex::open_read_only(&path).unwrap_err();
    assert!(
        matches!(&error, SearchError::Corrupt(message) if message.contains("no search index")),
        "{error:?}"
    );
    assert!(!path.exists());
    assert!(files(dir.path()).is_empty());
}

#[test]
fn a_directory_without_an_index_is_an_error_and_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let error = TantivyIndex::open_read_only(dir.path()).unwrap_err();
    assert!(
        matches!(&error, SearchError::Corrupt(message) if message.contains("no search index")),
        "{error:?}"
    );
    assert!(files(dir.path()).is_empty());
}

#[test]
fn a_corrupt_index_is_reported_corrupt_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    drop(writer_with_refunds(&path));
    std::fs::write(path.join("meta.json"), b"{ not json").unwrap();
    let before = files(&path);
    let error = TantivyIndex::open_read_only(&path).unwrap_err();
    assert!(matches!(error, SearchError::Corrupt(_)), "{error:?}");
    assert_eq!(files(&path), before);
    assert_eq!(std::fs::read(path.join("meta.json")).unwrap(), b"{ not json");
    assert!(files(dir.path()).iter().all(|name| !name.ends_with(".corrupt")));
}

/// Run by [`a_writer_in_another_process_leaves_the_index_readable`] as a child process: holds the
/// writer of the index in `TRELLIS_TEST_WRITER_DIR` until its stdin closes.
#[test]
#[ignore = "a helper run by another test in its own process"]
fn hold_the_writer_in_this_process() {
    let Some(path) = std::env::var_os("TRELLIS_TEST_WRITER_DIR") else { return };
    let writer = writer_with_refunds(Path::new(&path));
    println!("writer ready");
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line).unwrap() > 0 {
        if line.trim() == "commit" {
            writer.apply(vec![doc(3, "a later refund")], Seq(43)).unwrap();
            println!("committed");
        }
        line.clear();
    }
}

#[test]
fn a_writer_in_another_process_leaves_the_index_readable() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "hold_the_writer_in_this_process", "--ignored", "--nocapture"])
        .env("TRELLIS_TEST_WRITER_DIR", &path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut wait_for = |expected: &str| loop {
        let line = stdout.next().expect("the writer process ended early").unwrap();
        if line.trim() == expected {
            break;
        }
    };
    wait_for("writer ready");

    assert!(TantivyIndex::open(&path).is_err());
    let (reader, access) = TantivyIndex::open_for_reading(&path).unwrap();
    assert_eq!(access, Access::ReadOnly);
    assert_eq!(ids(&reader, "refund"), vec![1, 2]);
    writeln!(stdin, "commit").unwrap();
    wait_for("committed");
    eventually("the reader sees the other process's commit", || ids(&reader, "later") == vec![3]);
    assert_eq!(reader.committed_seq().unwrap(), Seq(43));

    drop(stdin);
    assert!(child.wait().unwrap().success());
    let (_, access) = TantivyIndex::open_for_reading(&path).unwrap();
    assert_eq!(access, Access::Writable(OpenOutcome::Opened { committed_seq: Seq(43) }));
}
