//! The burst bench end to end at a small size, in debug: every generated message is polled through
//! the scheduler, stored once on its platform's account and searchable. Speed is the bench's
//! business (docs/performance.md), not this test's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use trellis_bench::burst::{run, BurstOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_burst_across_the_three_platforms_is_stored_once_and_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let options = BurstOptions {
        messages: 2_000,
        json: false,
        seed: 11,
        data_dir: Some(dir.path().join("trellis")),
    };
    let report = run(&options).await.unwrap();

    let platforms: Vec<&str> = report.platforms.iter().map(|p| p.platform.as_str()).collect();
    assert_eq!(platforms, ["x", "facebook", "discourse"]);
    // Bookkeeping posts and comments deleted before any poll are generated but not deliverable.
    assert!(report.messages > 1_900 && report.messages <= 2_000, "{}", report.messages);
    let stored: u64 = report.platforms.iter().map(|p| p.stored).sum();
    assert_eq!(stored, report.messages);
    for platform in &report.platforms {
        assert!(platform.generated > 400, "{platform:?}");
        assert_eq!(platform.stored, platform.generated, "{platform:?}");
        assert_eq!(platform.searchable, platform.stored - platform.deleted, "{platform:?}");
        assert!(platform.known_found >= 2, "{platform:?}");
    }
    assert!(report.requests > 3 && report.polls >= 3, "{report:?}");
    assert!(report.seconds >= report.poll_store_seconds && report.messages_per_s > 0.0);
    assert!(report.table().contains("end to end"));
}

#[tokio::test]
async fn a_data_dir_that_is_not_empty_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trellis.sqlite"), b"").unwrap();
    let options =
        BurstOptions { messages: 10, json: false, seed: 1, data_dir: Some(dir.path().into()) };
    let error = run(&options).await.unwrap_err().to_string();
    assert!(error.contains("is not empty"), "{error}");
}
