//! Extractors whose rejections answer with the [`AppError`] body, so bad input always gets the same
//! `{"error":{"code":…,"message":…}}` shape (axum's `customize-extractor-error` example).

use crate::error::AppError;
use axum::extract::{FromRequest, FromRequestParts};
use axum::response::{IntoResponse, Response};

/// `axum::Json`, rejecting with [`AppError`]; also a JSON response.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct AppJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query`, rejecting with [`AppError`].
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct AppQuery<T>(pub T);

/// `axum::extract::Path`, rejecting with [`AppError`]: `/conversations/abc` is a 400 with the
/// error body, not a plain-text answer.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct AppPath<T>(pub T);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{header, Request, StatusCode};
    use axum::routing::post;
    use axum::Router;
    use tower::ServiceExt;

    #[derive(serde::Deserialize, serde::Serialize)]
    struct Note {
        text: String,
    }

    async fn echo(AppJson(note): AppJson<Note>) -> AppJson<Note> {
        AppJson(note)
    }

    async fn post_json(body: &str, content_type: Option<&str>) -> (StatusCode, serde_json::Value) {
        let mut request = Request::post("/");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let app = Router::new().route("/", post(echo));
        let response =
            app.oneshot(request.body(Body::from(body.to_owned())).unwrap()).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn a_valid_body_passes_through() {
        let (status, body) = post_json(r#"{"text":"hi"}"#, Some("application/json")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["text"], "hi");
    }

    #[tokio::test]
    async fn json_rejections_use_the_api_error_body() {
        let (status, body) = post_json("{nope", Some("application/json")).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("malformed_json"))
        );

        let (status, body) = post_json(r#"{"txt":"hi"}"#, Some("application/json")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "invalid_body");
        assert!(body["error"]["message"].as_str().unwrap().contains("text"), "{body}");

        let (status, body) = post_json(r#"{"text":"hi"}"#, None).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(body["error"]["code"], "unsupported_media_type");
    }
}
