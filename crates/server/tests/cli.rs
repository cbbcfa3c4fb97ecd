//! The `trellis` binary end to end on SQLite: import, search, reindex, and start-up errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{hit_authors, run, trellis, write_sample};

#[test]
fn import_reports_the_malformed_line_imports_the_rest_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_sample(dir.path());

    let first = run(trellis(dir.path()).arg("import").arg(&file));
    first.assert_success();
    assert!(first.stderr.contains("line 3: rejected: invalid JSON"), "{}", first.stderr);
    assert!(
        first.stdout.contains("read 5 lines: 4 new, 0 updated, 0 unchanged, 1 rejected"),
        "{}",
        first.stdout
    );
    assert!(first.stdout.contains("1 account created"), "{}", first.stdout);

    let second = run(trellis(dir.path()).arg("import").arg(&file));
    second.assert_success();
    assert!(
        second.stdout.contains("read 5 lines: 0 new, 0 updated, 4 unchanged, 1 rejected"),
        "{}",
        second.stdout
    );
    assert!(!second.stdout.contains("account created"), "{}", second.stdout);
}

#[test]
fn imported_messages_are_found_by_hashtag_and_by_author() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_sample(dir.path());
    run(trellis(dir.path()).arg("import").arg(&file)).assert_success();

    let by_tag = run(trellis(dir.path()).args(["search", "#latte", "--json"]));
    let results = by_tag.assert_success().json();
    assert_eq!(results["total"], 2, "{results}");
    let mut authors = hit_authors(&results);
    authors.sort();
    assert_eq!(authors, ["bob", "jane"]);

    let by_author = run(trellis(dir.path()).args(["search", "from:@jane", "--json"]));
    let results = by_author.assert_success().json();
    assert_eq!(results["total"], 2, "{results}");
    assert_eq!(hit_authors(&results), ["jane", "jane"]);
}

#[test]
fn human_search_output_is_one_line_a_hit_with_brackets_in_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_sample(dir.path());
    run(trellis(dir.path()).arg("import").arg(&file)).assert_success();

    let ran = run(trellis(dir.path()).args(["search", "refund", "--sort", "newest"]));
    ran.assert_success();
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", ran.stdout);
    assert!(lines[0].contains("  x  ") && lines[0].contains("@jane"), "{}", lines[0]);
    assert!(lines[0].contains("[refund]"), "{}", lines[0]);
    assert!(!lines[0].contains('\u{1b}'), "no escape codes in a pipe: {:?}", lines[0]);
    assert_eq!(lines[1], "1 of 1 matching messages");
}

#[test]
fn reindex_after_deleting_the_index_restores_search_results() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_sample(dir.path());
    run(trellis(dir.path()).arg("import").arg(&file)).assert_success();

    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    let reindex = run(trellis(dir.path()).arg("reindex"));
    reindex.assert_success();
    assert!(reindex.stdout.contains("reindexed 4 messages"), "{}", reindex.stdout);

    let results = run(trellis(dir.path()).args(["search", "#latte", "--json"]));
    assert_eq!(results.assert_success().json()["total"], 2);
}

#[test]
fn a_lost_index_is_rebuilt_from_the_store_with_a_log_line_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_sample(dir.path());
    run(trellis(dir.path()).arg("import").arg(&file)).assert_success();

    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    let ran = run(trellis(dir.path()).args(["search", "from:@bob", "--json"]));
    assert_eq!(ran.assert_success().json()["total"], 2);
    assert!(ran.stderr.contains("rebuilding search index from the store"), "{}", ran.stderr);
}

#[test]
fn a_corrupt_index_is_recreated_and_rebuilt_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_sample(dir.path());
    run(trellis(dir.path()).arg("import").arg(&file)).assert_success();

    std::fs::write(dir.path().join("index").join("meta.json"), "{ this is not an index").unwrap();
    let ran = run(trellis(dir.path()).args(["search", "#latte", "--json"]));
    assert_eq!(ran.assert_success().json()["total"], 2);
    assert!(ran.stderr.contains("search index was unusable"), "{}", ran.stderr);
    assert!(ran.stderr.contains("rebuilding search index from the store"), "{}", ran.stderr);
}

#[test]
fn an_unreachable_database_is_a_clear_error_naming_the_url_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run(trellis(dir.path()).args([
        "--database-url",
        "postgres://trellis:hunter2@127.0.0.1:1/trellis",
        "migrate",
    ]));
    assert_eq!(ran.code, Some(1), "{ran:?}");
    assert!(ran.stderr.contains("error: cannot open database"), "{}", ran.stderr);
    assert!(ran.stderr.contains("postgres://trellis:***@127.0.0.1:1/trellis"), "{}", ran.stderr);
    assert!(!ran.stderr.contains("hunter2"), "{}", ran.stderr);
    assert!(
        !ran.stderr.contains("panicked") && !ran.stderr.contains("backtrace"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_missing_import_file_fails_before_touching_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run(trellis(dir.path()).args(["import", "does-not-exist.jsonl"]));
    assert_eq!(ran.code, Some(1), "{ran:?}");
    assert!(ran.stderr.contains("cannot open does-not-exist.jsonl"), "{}", ran.stderr);
    assert!(!dir.path().join("trellis.sqlite").exists());
}

#[test]
fn a_file_where_every_line_is_rejected_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wrong.csv");
    std::fs::write(&file, "id,text\n1,hello\n").unwrap();
    let ran = run(trellis(dir.path()).arg("import").arg(&file));
    assert_eq!(ran.code, Some(3), "{ran:?}");
    assert!(ran.stderr.contains("line 1: rejected") && ran.stderr.contains("line 2: rejected"));
}

#[test]
fn import_reads_standard_input_with_a_dash() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let line = support::message("acme", "77", "carol", "hello from a pipe");
    let mut child = trellis(dir.path())
        .args(["import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(line.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("read 1 lines: 1 new"), "{stdout}");
}

#[test]
fn an_unknown_key_in_the_config_file_stops_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trellis.toml"), "bnid = \"127.0.0.1:1\"\n").unwrap();
    let ran = run(trellis(dir.path()).arg("migrate"));
    assert_eq!(ran.code, Some(2), "{ran:?}");
    assert!(ran.stderr.contains("bnid"), "{}", ran.stderr);
}

#[test]
fn migrate_creates_the_default_sqlite_database_in_the_data_dir_and_can_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("fresh");
    let first = run(trellis(&data_dir).arg("migrate"));
    first.assert_success();
    assert!(first.stdout.contains("is up to date"), "{}", first.stdout);
    assert!(data_dir.join("trellis.sqlite").is_file());
    run(trellis(&data_dir).arg("migrate")).assert_success();
}
