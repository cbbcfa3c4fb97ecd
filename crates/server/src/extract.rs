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
