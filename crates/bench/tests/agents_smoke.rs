//! `trellis-bench agents` end to end at a tiny size, in debug, against the debug `trellis`
//! binary: a corpus is built, agents work through HTTP with their event streams open while
//! messages arrive, a second run reuses the corpus, and every figure is reported with no request
//! failed. Speed is the bench's business (docs/performance.md), not this test's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The debug `trellis` binary of this workspace, built first if it is missing. `None` (a loud
/// skip) when it cannot be had outside CI; in CI a missing binary fails the test.
fn trellis_binary() -> Option<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let binary = target.join("debug").join("trellis");
    if !binary.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        eprintln!("building {} (cargo build -p trellis-server)", binary.display());
        let built = Command::new(cargo)
            .args(["build", "-p", "trellis-server"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status();
        if !built.is_ok_and(|status| status.success()) || !binary.is_file() {
            let message = format!(
                "no trellis binary at {}: run `cargo build -p trellis-server` first",
                binary.display()
            );
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
            eprintln!("SKIPPED agents smoke test: {message}");
            return None;
        }
    }
    Some(binary)
}

fn run_agents(trellis: &Path, data_dir: &Path, duration: &str) -> (Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_trellis-bench"))
        .arg("agents")
        .arg("--trellis")
        .arg(trellis)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--messages", "2000", "--agents", "5", "--arrivals", "20"])
        .args(["--warmup", "1", "--duration", duration, "--think-ms", "100"])
        .args(["--quiet-requests", "20", "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "trellis-bench agents failed:\n{stdout}\n{stderr}");
    let json = stdout.lines().last().expect("no output");
    (serde_json::from_str(json).unwrap(), stdout)
}

fn figure(report: &Value, path: &[&str]) -> f64 {
    let mut value = report;
    for key in path {
        value = &value[*key];
    }
    value.as_f64().unwrap_or_else(|| panic!("no figure {path:?} in {report}"))
}

/// Asserts an operation's figures are present and plausible, and that none failed.
fn assert_op(name: &str, op: &Value) {
    let count = op["count"].as_u64().unwrap_or_else(|| panic!("{name}: no count in {op}"));
    assert_eq!(op["errors"].as_u64(), Some(0), "{name} failed: {op}");
    for field in ["p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms"] {
        let value = op[field].as_f64().unwrap_or_else(|| panic!("{name}: no {field} in {op}"));
        assert!(value.is_finite() && value >= 0.0, "{name}.{field} = {value}");
        if count > 0 {
            assert!(value > 0.0, "{name}.{field} is zero with {count} samples");
        }
    }
    let (p50, p99, max) = (op["p50_ms"].as_f64(), op["p99_ms"].as_f64(), op["max_ms"].as_f64());
    assert!(p50 <= p99 && p99 <= max, "{name}: {op}");
}

#[test]
fn agents_work_the_inbox_over_http_while_messages_arrive() {
    let Some(trellis) = trellis_binary() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("corpus");

    let (report, table) = run_agents(&trellis, &data_dir, "3");
    assert_eq!(report["corpus_reused"], false);
    assert_eq!(figure(&report, &["corpus_messages"]), 2_000.0);
    assert!(figure(&report, &["conversations"]) > 50.0, "{report}");
    assert_eq!(report["agents"], 5);

    assert_eq!(figure(&report, &["quiet", "list", "count"]), 20.0);
    assert_eq!(figure(&report, &["quiet", "page", "count"]), 20.0);
    assert_op("quiet list", &report["quiet"]["list"]);
    assert_op("quiet page", &report["quiet"]["page"]);

    let load = &report["load"];
    assert_op("all", &load["all"]);
    assert!(figure(load, &["all", "count"]) > 10.0, "{load}");
    let operations = load["operations"].as_array().unwrap();
    let names: Vec<&str> = operations.iter().map(|op| op["operation"].as_str().unwrap()).collect();
    assert_eq!(names, ["list", "open", "reply", "note", "assign", "resolve"]);
    for op in operations {
        assert_op(op["operation"].as_str().unwrap(), op);
    }
    for always in ["list", "open", "resolve"] {
        let op = operations.iter().find(|op| op["operation"] == always).unwrap();
        assert!(op["count"].as_u64().unwrap() > 0, "no {always} measured: {load}");
    }
    let acted: u64 = operations
        .iter()
        .filter(|op| ["reply", "note", "assign"].contains(&op["operation"].as_str().unwrap()))
        .map(|op| op["count"].as_u64().unwrap())
        .sum();
    assert!(acted > 0, "no reply, note or assignment measured: {load}");
    assert!(load["error_samples"].as_array().unwrap().is_empty(), "{load}");
    assert!(figure(load, &["requests_per_s"]) > 0.0);

    let sse = &report["sse"];
    assert_eq!(sse["enabled"], true, "event streams were not opened: {sse}");
    assert_eq!(figure(sse, &["open_at_end"]), 5.0, "{sse}");
    assert_eq!(figure(sse, &["drops"]), 0.0, "{sse}");
    assert!(figure(sse, &["events_in_window"]) > 0.0, "no live events arrived: {sse}");
    assert_op("sse connect", &sse["connect"]);

    let arrivals = &report["arrivals"];
    assert!(figure(arrivals, &["messages_in_window"]) > 0.0, "{arrivals}");
    assert!(figure(arrivals, &["inserted"]) > 0.0, "{arrivals}");
    assert_op("ingest", &arrivals["ingest"]);

    let server = &report["server"];
    assert!(figure(server, &["rss_mib"]) > 1.0, "{server}");
    assert!(figure(server, &["peak_rss_mib"]) >= figure(server, &["rss_mib"]), "{server}");
    assert!(figure(server, &["cpu", "seconds"]) > 2.0, "{server}");
    assert!(figure(server, &["cpu", "process_cores"]) > 0.0, "{server}");
    assert!(!server["cpu"]["threads"].as_array().unwrap().is_empty(), "{server}");
    assert!(figure(server, &["bench_cores"]) > 0.0, "{server}");
    assert!(figure(server, &["states", "samples"]) > 10.0, "{server}");
    assert!(!server["states"]["groups"].as_array().unwrap().is_empty(), "{server}");
    assert!(server["states"]["busiest_sqlite_thread"].is_object(), "{server}");
    assert!(table.contains("under load") && table.contains("quiet pass"), "{table}");

    // A second run on the same data dir skips the build and sees the first run's arrivals.
    let (again, _) = run_agents(&trellis, &data_dir, "2");
    assert_eq!(again["corpus_reused"], true);
    assert!(figure(&again, &["stored_messages"]) > 2_000.0, "{again}");
    assert_eq!(figure(&again, &["load", "all", "errors"]), 0.0, "{again}");
    assert!(figure(&again, &["load", "all", "count"]) > 0.0, "{again}");
}

#[tokio::test]
async fn a_data_dir_holding_another_corpus_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(trellis_bench::agents::dataset::MARKER),
        r#"{"messages": 5000, "seed": 1, "conversations": 400, "arrival_runs": 2}"#,
    )
    .unwrap();
    let options = trellis_bench::agents::AgentsOptions {
        trellis: PathBuf::from("/nonexistent/trellis"),
        messages: 2_000,
        agents: 1,
        arrivals: 0,
        duration: 1,
        warmup: 0,
        think_ms: 0,
        no_sse: true,
        quiet_requests: 1,
        data_dir: Some(dir.path().to_owned()),
        json: false,
        seed: 1,
        batch_size: 1_000,
    };
    let error = trellis_bench::agents::run(&options).await.unwrap_err().to_string();
    assert!(error.contains("holds a corpus of 5000 messages"), "{error}");

    let stray = tempfile::tempdir().unwrap();
    std::fs::write(stray.path().join("notes.txt"), b"mine").unwrap();
    let options =
        trellis_bench::agents::AgentsOptions { data_dir: Some(stray.path().to_owned()), ..options };
    let error = trellis_bench::agents::run(&options).await.unwrap_err().to_string();
    assert!(error.contains("is not empty"), "{error}");
}
