//! What every handler can reach.

use crate::config::Config;
use std::sync::Arc;
use trellis_core::{SearchIndex, Store};

/// Shared by all handlers through `State`. Cheap to clone: everything is behind an `Arc`.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub index: Arc<dyn SearchIndex>,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, index: Arc<dyn SearchIndex>, config: Arc<Config>) -> Self {
        Self { store, index, config }
    }
}
