//! The index directory: the seq survives a reopen, and a damaged index is recreated empty.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{doc, ids};
use std::path::Path;
use trellis_core::{SearchIndex, Seq};
use trellis_search::{OpenOutcome, TantivyIndex};

fn filled(dir: &Path) {
    let (index, outcome) = TantivyIndex::open(dir).unwrap();
    assert_eq!(outcome, OpenOutcome::Created);
    index.apply(vec![doc(1, "first refund"), doc(2, "second refund")], Seq(42)).unwrap();
}

#[test]
fn the_committed_seq_and_documents_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    filled(&path);
    let (index, outcome) = TantivyIndex::open(&path).unwrap();
    assert_eq!(outcome, OpenOutcome::Opened { committed_seq: Seq(42) });
    assert_eq!(index.committed_seq().unwrap(), Seq(42));
    assert_eq!(ids(&index, "refund"), vec![1, 2]);
}

#[test]
fn a_corrupt_meta_json_is_recreated_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    filled(&path);
    std::fs::write(path.join("meta.json"), b"{ not json").unwrap();
    let (index, outcome) = TantivyIndex::open(&path).unwrap();
    assert!(matches!(outcome, OpenOutcome::Recreated { .. }), "{outcome:?}");
    assert_eq!(index.committed_seq().unwrap(), Seq(0));
    assert_eq!(index.doc_count().unwrap(), 0);
    assert!(dir.path().join("index.corrupt").join("meta.json").exists());
}

#[test]
fn a_damaged_segment_file_is_recreated_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    filled(&path);
    let segment_file = std::fs::read_dir(&path)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|file| file.extension().is_some_and(|ext| ext == "idx"))
        .expect("a segment's term index");
    let mut bytes = std::fs::read(&segment_file).unwrap();
    for byte in bytes.iter_mut().take(16) {
        *byte ^= 0xFF;
    }
    std::fs::write(&segment_file, bytes).unwrap();
    let (index, outcome) = TantivyIndex::open(&path).unwrap();
    match outcome {
        OpenOutcome::Recreated { reason } => assert!(reason.contains("checksum"), "{reason}"),
        other => panic!("expected a recreated index, got {other:?}"),
    }
    assert_eq!(index.doc_count().unwrap(), 0);
    index.apply(vec![doc(3, "fresh start")], Seq(1)).unwrap();
    assert_eq!(ids(&index, "fresh"), vec![3]);
}

#[test]
fn an_index_of_another_schema_version_is_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    filled(&path);
    let meta = std::fs::read_to_string(path.join("meta.json")).unwrap();
    let meta = meta.replace(r#"\"schema_version\":1"#, r#"\"schema_version\":999"#);
    assert!(meta.contains("999"), "payload not found in {meta}");
    std::fs::write(path.join("meta.json"), meta).unwrap();
    let (_, outcome) = TantivyIndex::open(&path).unwrap();
    match outcome {
        OpenOutcome::Recreated { reason } => assert!(reason.contains("999"), "{reason}"),
        other => panic!("expected a recreated index, got {other:?}"),
    }
}

#[test]
fn an_index_in_use_by_another_writer_is_an_error_not_wiped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let (first, _) = TantivyIndex::open(&path).unwrap();
    first.apply(vec![doc(1, "keep me")], Seq(5)).unwrap();
    assert!(TantivyIndex::open(&path).is_err());
    assert_eq!(ids(&first, "keep"), vec![1]);
}

#[test]
fn an_unusable_index_in_use_by_another_writer_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let (first, _) = TantivyIndex::open(&path).unwrap();
    first.apply(vec![doc(1, "keep me")], Seq(5)).unwrap();
    // What a second open sees mid-way through the writer's work must not make it recreate the index.
    let meta = std::fs::read(path.join("meta.json")).unwrap();
    std::fs::write(path.join("meta.json"), b"{ not json").unwrap();
    let error = TantivyIndex::open(&path).unwrap_err();
    assert!(error.to_string().contains("in use by another writer"), "{error}");
    assert!(!dir.path().join("index.corrupt").exists());
    std::fs::write(path.join("meta.json"), meta).unwrap();
    first.apply(vec![doc(2, "keep me too")], Seq(6)).unwrap();
    assert_eq!(ids(&first, "keep"), vec![1, 2]);
}
