#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Auth errors, throttles, usage headers, server failures, OAuth and webhooks against the
//! simulator, and the token never showing in what could be logged.

mod common;

use chrono::{Duration, Utc};
use common::*;
use std::collections::HashMap;
use trellis_connector_facebook::simulator::{FaultConfig, FaultKind, Limits, SimulatorConfig};
use trellis_connector_facebook::webhook::{parse_delivery, verify_signature, SIGNATURE_HEADER};
use trellis_connector_facebook::{
    login_dialog_url, FacebookConfig, OAuthApp, COMMENTS, CONVERSATIONS, FEED,
};
use trellis_core::{Connector, ConnectorError, MessageKind, RateLimit};

#[tokio::test]
async fn an_expired_or_invalidated_token_needs_re_authorization_with_the_platforms_reason() {
    let sim = simulator(SimulatorConfig::default()).await;
    let fb = connector();
    sim.expire_token(TOKEN);
    let outcome = fb.poll(&request(&sim, &HashMap::new())).await;
    assert_eq!(outcome.streams.len(), 1, "no other stream is tried with a dead token");
    match outcome.first_error().unwrap() {
        ConnectorError::Unauthorized { platform_reason } => {
            assert!(platform_reason.contains("Session has expired"), "{platform_reason}");
            assert!(platform_reason.contains("code 190, subcode 463"), "{platform_reason}");
        }
        other => panic!("expected unauthorized, got {other:?}"),
    }

    let sim = simulator(SimulatorConfig::default()).await;
    sim.invalidate_token(TOKEN);
    let error = fb.poll_stream(&request(&sim, &HashMap::new()), CONVERSATIONS).await.unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Unauthorized { platform_reason } if platform_reason.contains("subcode 460")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_user_token_on_page_edges_is_a_permission_problem_needing_re_authorization() {
    let sim = simulator(SimulatorConfig::default()).await;
    let fb = connector();
    let app = app();
    let code = sim.authorization_code(&app.redirect_uri);
    let user = fb.exchange_code(&sim.base_url(), &app, &code).await.unwrap();
    let mut request = request(&sim, &HashMap::new());
    request.access.credentials.access_token = user.access_token.clone();
    let error = fb.poll_stream(&request, FEED).await.unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Unauthorized { platform_reason } if platform_reason.contains("code 210")),
        "{error:?}"
    );
}

#[tokio::test]
async fn usage_headers_slow_polling_down_and_a_spent_budget_is_rate_limited_until_access_returns() {
    let limits = Limits { window: std::time::Duration::from_secs(600), calls: 4 };
    let sim = simulator(SimulatorConfig { limits, ..SimulatorConfig::default() }).await;
    sim.generate(&only(3, 0, 0));
    let fb = connector();
    let first = fb.poll_stream(&request(&sim, &HashMap::new()), FEED).await.unwrap();
    let limit = first.rate_limit.unwrap();
    assert_eq!(limit, RateLimit::default(), "one call of four is 25 % used: not paced yet");
    let second = fb.poll_stream(&request(&sim, &HashMap::new()), FEED).await.unwrap();
    let limit = second.rate_limit.unwrap();
    assert_eq!(limit.remaining, Some(50), "two calls of four are 50 % used");
    let now = Utc::now();
    let spaced = limit.next_poll_at(now, Duration::seconds(1)) - now;
    // 50 % of a rolling hour left, one point kept in reserve: an hour spread over 49 polls.
    let expected = Duration::seconds(3600) / 49;
    assert!((spaced - expected).num_seconds().abs() <= 1, "{spaced} vs {expected}");
    let sent = &sim.requests()[0];
    assert_eq!(sent.param("access_token"), Some(TOKEN));

    for _ in 0..2 {
        fb.poll_stream(&request(&sim, &HashMap::new()), FEED).await.unwrap();
    }
    let error = fb.poll_stream(&request(&sim, &HashMap::new()), FEED).await.unwrap_err();
    match error {
        ConnectorError::RateLimited { retry_at } => {
            let wait = retry_at - Utc::now();
            assert!(wait > Duration::minutes(9) && wait <= Duration::minutes(10), "{wait}");
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
}

#[tokio::test]
async fn server_failures_and_throttles_are_retryable_and_a_timeout_is_transient() {
    let sim = simulator(SimulatorConfig::default()).await;
    let fb = connector_with(FacebookConfig { throttle_wait: Duration::seconds(42), ..config() });
    for kind in [FaultKind::ServerError, FaultKind::RateLimited, FaultKind::TruncatedJson] {
        sim.set_faults(FaultConfig {
            probability: 1.0,
            kinds: vec![kind],
            ..FaultConfig::default()
        });
        let error = fb.poll_stream(&request(&sim, &HashMap::new()), COMMENTS).await.unwrap_err();
        assert!(error.is_retryable(), "{kind:?}: {error:?}");
        if kind == FaultKind::RateLimited {
            let ConnectorError::RateLimited { retry_at } = error else { panic!("{error:?}") };
            assert!((retry_at - Utc::now() - Duration::seconds(42)).num_seconds().abs() <= 1);
        }
    }
    sim.set_faults(FaultConfig {
        probability: 1.0,
        kinds: vec![FaultKind::Slow],
        slow_delay: std::time::Duration::from_millis(400),
    });
    let fast = connector_with(FacebookConfig {
        timeout: std::time::Duration::from_millis(100),
        ..config()
    });
    let error = fast.poll_stream(&request(&sim, &HashMap::new()), FEED).await.unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Transient { reason } if reason.contains("timeout")),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_access_token_never_shows_in_debug_output_errors_or_cursors() {
    let sim = simulator(SimulatorConfig::default()).await;
    sim.generate(&only(120, 0, 0));
    let request = request(&sim, &HashMap::new());
    assert!(!format!("{request:?}").contains(TOKEN));

    // A timeout: reqwest would name the URL, query token included.
    sim.set_faults(FaultConfig {
        probability: 1.0,
        kinds: vec![FaultKind::Slow],
        slow_delay: std::time::Duration::from_millis(300),
    });
    let fast = connector_with(FacebookConfig {
        timeout: std::time::Duration::from_millis(50),
        ..config()
    });
    let error = fast.poll_stream(&request, FEED).await.unwrap_err();
    assert!(!error.to_string().contains(TOKEN) && !format!("{error:?}").contains(TOKEN), "{error}");

    // An interrupted walk stores its resume link without the token the platform put in it.
    sim.set_faults(FaultConfig::default());
    let fb = connector_with(FacebookConfig { page_size: 50, max_requests_per_poll: 1, ..config() });
    let poll = fb.poll_stream(&request, FEED).await.unwrap();
    assert!(poll.more);
    assert!(!format!("{poll:?}").contains(TOKEN));
    assert!(poll.cursors.iter().all(|cursor| !cursor.value.contains(TOKEN)));

    sim.expire_token(TOKEN);
    let error = fb.poll_stream(&request, FEED).await.unwrap_err();
    assert!(!error.to_string().contains(TOKEN));

    let app = app();
    let grant = fb
        .exchange_code(&sim.base_url(), &app, &sim.authorization_code(&app.redirect_uri))
        .await
        .unwrap();
    assert!(!format!("{grant:?}").contains(&grant.access_token));
}

fn app() -> OAuthApp {
    OAuthApp {
        client_id: "trellis-sim-app".into(),
        client_secret: "trellis-sim-app-secret".into(),
        redirect_uri: "https://trellis.example/oauth/facebook".into(),
    }
}

#[tokio::test]
async fn facebook_login_ends_with_page_tokens_the_admin_picks_from() {
    let sim = simulator(SimulatorConfig::default()).await;
    let fb = connector();
    let app = app();
    let dialog = login_dialog_url(&sim.dialog_base_url(), &app, "state-42").unwrap();
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = client.get(dialog).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let location = reqwest::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    let query: HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(query["state"], "state-42");

    let short = fb.exchange_code(&sim.base_url(), &app, &query["code"]).await.unwrap();
    assert!(short.expires_at.unwrap() < Utc::now() + Duration::hours(3));
    let long = fb.long_lived(&sim.base_url(), &app, &short.access_token).await.unwrap();
    assert!(long.expires_at.unwrap() > Utc::now() + Duration::days(50));
    let pages = fb.pages(&sim.base_url(), &long).await.unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].id, sim.page_id());
    assert!(pages[0].tasks.contains(&"MODERATE".to_owned()));

    let sent = sim.requests();
    let token_calls: Vec<_> =
        sent.iter().filter(|r| r.path == "/v19.0/oauth/access_token").collect();
    assert_eq!(token_calls.len(), 2);
    let exchange = token_calls[0];
    assert_eq!(exchange.method, "POST");
    assert_eq!(exchange.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert!(exchange.query.is_empty(), "the code and the secret travel in the body only");
    let form = exchange.form();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], query["code"]);
    assert_eq!(form["client_id"], "trellis-sim-app");
    assert_eq!(form["client_secret"], "trellis-sim-app-secret");
    assert_eq!(form["redirect_uri"], app.redirect_uri);
    let long_request = token_calls[1];
    assert_eq!(long_request.method, "GET");
    assert_eq!(long_request.param("grant_type"), Some("fb_exchange_token"));
    assert_eq!(long_request.param("client_secret"), Some("trellis-sim-app-secret"));
    assert_eq!(long_request.param("fb_exchange_token"), Some(short.access_token.as_str()));
    assert_eq!(sent.last().unwrap().path, "/v19.0/me/accounts");

    let mut access = access(&sim, &pages[0].access_token);
    assert_eq!(fb.verify(&access).await.unwrap().platform_account_id, sim.page_id());
    let reused = fb.exchange_code(&sim.base_url(), &app, &query["code"]).await.unwrap_err();
    assert!(
        matches!(&reused, ConnectorError::Refused { platform_reason, .. } if platform_reason.contains("has been used")),
        "a code is single-use, refused with Graph's reason: {reused:?}"
    );
    access.credentials.access_token = "garbage".into();
    assert!(matches!(fb.verify(&access).await, Err(ConnectorError::Unauthorized { .. })));
}

#[tokio::test]
async fn a_signed_simulator_delivery_verifies_and_parses_into_the_polled_messages() {
    let sim = simulator(SimulatorConfig::default()).await;
    let ana = sim.add_person("Ana Souza");
    let post = sim.post_as(&ana, "hi", Utc::now()).unwrap();
    let comment = sim.comment_as(&ana, &post, None, "ça marche 👍", Utc::now()).unwrap();
    let message = sim.message_from(&ana, "dm me", Utc::now()).unwrap();
    let delivery = sim.webhook_delivery(&[&comment], &[&message]);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(SIGNATURE_HEADER, delivery.signature.parse().unwrap());
    verify_signature("trellis-sim-app-secret", &headers, &delivery.body).unwrap();
    assert!(verify_signature("wrong-secret", &headers, &delivery.body).is_err());

    let parsed = parse_delivery(sim.page_id(), &delivery.body).unwrap();
    assert_eq!(parsed.len(), 2);
    let dm = parsed.iter().find(|m| m.kind == MessageKind::DirectMessage).unwrap();
    assert_eq!((dm.platform_id.as_str(), dm.text.as_str()), (message.as_str(), "dm me"));
    let access = access(&sim, TOKEN);
    let thread = connector().conversation_with(&access, ana.as_str()).await.unwrap().unwrap();
    assert_eq!(Some(thread.as_str().to_owned()), sim.conversation_with(&ana));
    let polled = connector().poll_stream(&request(&sim, &HashMap::new()), COMMENTS).await.unwrap();
    let via_webhook = parsed.iter().find(|m| m.kind == MessageKind::Comment).unwrap();
    let via_poll = &polled.messages[0];
    assert_eq!(via_webhook.platform_id, via_poll.platform_id);
    assert_eq!(via_webhook.thread_platform_id, via_poll.thread_platform_id);
    assert_eq!(via_webhook.parent_platform_id, via_poll.parent_platform_id);
    assert_eq!(via_webhook.text, via_poll.text);
}

#[tokio::test]
async fn a_code_exchange_meeting_a_server_error_is_transient() {
    use axum::http::StatusCode;
    let down = || async { (StatusCode::BAD_GATEWAY, "<html>Bad Gateway</html>") };
    let graph = axum::Router::new().route("/v19.0/oauth/access_token", axum::routing::post(down));
    let served =
        trellis_connector_kit::serve::Served::bind("127.0.0.1:0".parse().unwrap(), graph, "graph")
            .await
            .unwrap();
    let base_url = format!("{}/v19.0", served.base_url());
    let error = connector().exchange_code(&base_url, &app(), "AQ-code").await.unwrap_err();
    assert!(matches!(error, ConnectorError::Transient { .. }), "{error:?}");
    served.shutdown().await;
}
