#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Connecting: clear, prompt errors for what an operator gets wrong.

use trellis_core::StoreError;

#[tokio::test]
async fn an_unreachable_postgresql_is_unavailable_at_once_and_says_where() {
    // Port 9 (discard) is closed on test machines: the connection is refused, and the error must say
    // so rather than that a pool timed out.
    let err =
        trellis_store::connect("postgres://postgres@127.0.0.1:9/nowhere").await.err().unwrap();
    let StoreError::Unavailable(message) = err else { panic!("expected unavailable, got {err:?}") };
    assert!(message.contains("127.0.0.1:9/nowhere"), "{message}");
    assert!(message.to_lowercase().contains("refused"), "{message}");
}

#[tokio::test]
async fn an_unknown_scheme_names_the_accepted_ones() {
    let err = trellis_store::connect("mysql://localhost/db").await.err().unwrap();
    let StoreError::Invalid(message) = err else { panic!("expected invalid, got {err:?}") };
    assert!(message.contains("sqlite://") && message.contains("postgres://"), "{message}");
}
