//! Keeps the bench from rotting: the whole pipeline on a small corpus, through the binary's real
//! interface (`--messages N --json`, one JSON object on the last line). No timing assertions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::process::Command;
use trellis_bench::queries::{is_simple, query_mix};

const MESSAGES: u64 = 2_000;

fn run_bench() -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_trellis-bench"))
        .args(["--messages", &MESSAGES.to_string(), "--json", "--queries", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "bench failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("search (25 hits with snippets)"), "a readable table: {stdout}");
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

fn f(value: &Value, path: &str) -> f64 {
    value.pointer(path).and_then(Value::as_f64).unwrap_or_else(|| panic!("{path} missing"))
}

#[test]
fn the_bench_measures_every_phase_and_reports_plausible_figures() {
    let report = run_bench();

    assert_eq!(report["messages"], MESSAGES);
    assert!(f(&report, "/machine/cores") >= 1.0);
    assert!(report["machine"]["cpu_model"].as_str().is_some());
    assert!(f(&report, "/machine/memory_total_mib") > 0.0);

    assert_eq!(f(&report, "/ingest/messages") as u64, MESSAGES);
    assert_eq!(f(&report, "/ingest/index_docs") as u64, MESSAGES, "every message indexed");
    assert!(f(&report, "/ingest/messages_per_s") > 0.0);
    let conversations = f(&report, "/ingest/conversations");
    assert!(conversations > 100.0 && conversations < MESSAGES as f64, "{conversations}");
    assert!(f(&report, "/ingest/triage_updates") > conversations / 3.0);
    assert!(f(&report, "/ingest/store_bytes") > 0.0 && f(&report, "/ingest/index_bytes") > 0.0);

    // Every query that should match did, with at most 25 hits, each with a snippet.
    let mix = query_mix("unused");
    let searched = report["search"]["queries"].as_array().unwrap();
    assert_eq!(searched.len(), mix.len());
    for (query, result) in mix.iter().zip(searched) {
        assert_eq!(result["name"], query.name);
        let hits = result["hits"].as_u64().unwrap();
        let total = result["total"].as_u64().unwrap();
        assert!(hits <= 25 && total >= hits, "{}: {hits} of {total}", query.name);
        if query.must_match {
            assert!(hits > 0, "{} found nothing", query.name);
            assert_eq!(result["snippets"], true, "{} has snippets", query.name);
        }
        assert!(f(result, "/latency/samples") == 2.0);
    }
    assert!(f(&report, "/search/latency/p99_ms") >= f(&report, "/search/latency/p50_ms"));

    let cases = report["conversation_list"]["cases"].as_array().unwrap();
    assert!(cases.len() >= 8);
    let first_page = cases.iter().find(|c| c["name"] == "all" && c["page"] == 1).unwrap();
    assert_eq!(first_page["items"], 50);
    assert!(cases.iter().all(|c| c["items"].as_u64().unwrap() > 0), "{cases:?}");

    assert!(f(&report, "/memory/peak_rss_mib") >= f(&report, "/memory/rss_after_mib"));
    assert!(f(&report, "/memory/serving_rss_mib") > 0.0, "the serving probe ran");

    let peers = &report["peers"];
    let engines = peers["engines"].as_array().unwrap();
    if let Some(error) = peers["postgres_error"].as_str() {
        assert!(!trellis_store::testing::in_ci(), "postgres is required in CI: {error}");
        eprintln!("SKIPPING postgres peers in the smoke test: postgres unreachable: {error}");
        assert_eq!(engines.len(), 1);
    } else {
        assert_eq!(engines.len(), 3);
    }
    for engine in engines {
        let name = engine["engine"].as_str().unwrap();
        assert!(f(engine, "/p99_ratio_vs_trellis") > 0.0, "{name}");
        let peer_queries = engine["queries"].as_array().unwrap();
        for ((query, ours), theirs) in mix.iter().zip(searched).zip(peer_queries) {
            assert_eq!(theirs["name"], query.name);
            let total = ours["total"].as_u64().unwrap();
            let matches = theirs["matches"].as_u64().unwrap();
            if query.must_match {
                assert!(
                    theirs["hits"].as_u64().unwrap() > 0,
                    "{name} found nothing for {}",
                    query.name
                );
            }
            if is_simple(query) && name != "postgres_ilike" {
                // Same words, same corpus: full-text engines agree up to tokenizer details.
                let slack = (total / 10).max(2);
                assert!(
                    total.abs_diff(matches) <= slack,
                    "{name} {}: {matches} vs {total}",
                    query.name
                );
            }
        }
    }
}
