//! `trellis import`: bulk-loads messages from JSON Lines (docs/import-format.md).
//!
//! The file is streamed: lines are parsed one at a time and grouped into per-account batches that
//! are ingested as they fill, so memory stays bounded whatever the file size. A malformed line is
//! reported and skipped; every other line still imports. Ingest upserts, so importing the same file
//! twice changes nothing.

mod accounts;
mod line;

pub use line::{parse_line, ImportLine, LineError};

use accounts::AccountDirectory;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use trellis_core::{AccountId, IngestBatch, IngestOutcome, NewMessage, Store, StoreError};

/// Messages a batch holds before it is ingested: large enough to amortize a transaction, small
/// enough that one transaction stays short.
pub const DEFAULT_BATCH_SIZE: usize = 1_000;

/// Lines longer than this are refused without being parsed, so a file that is not JSON Lines (one
/// huge line) cannot exhaust memory.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// A progress line is logged every this many lines, so a long import shows it is alive.
const PROGRESS_EVERY_LINES: u64 = 100_000;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The brand that accounts created by the import belong to.
    pub brand: String,
    pub batch_size: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self { brand: "Default".to_owned(), batch_size: DEFAULT_BATCH_SIZE }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Non-blank lines read.
    pub lines: u64,
    /// Messages stored for the first time.
    pub inserted: u64,
    /// Messages that existed and changed (an edit, a deletion).
    pub updated: u64,
    /// Messages that existed already, identical.
    pub unchanged: u64,
    /// Lines refused, each reported through the `on_reject` callback.
    pub rejected: u64,
    pub accounts_created: u64,
}

impl ImportSummary {
    /// Lines the store accepted, whether or not they changed anything.
    pub fn accepted(&self) -> u64 {
        self.inserted + self.updated + self.unchanged
    }
}

/// A refused line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// 1-based line number in the input.
    pub line: u64,
    pub reason: String,
}

/// Why an import stopped before the end of its input.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read line {line}: {source}")]
    Read {
        line: u64,
        #[source]
        source: std::io::Error,
    },
    #[error("store failed while importing")]
    Store(#[from] StoreError),
}

type Pending = Vec<(u64, NewMessage)>;

/// Imports every line of `input`, calling `on_reject` for each refused line as it is found.
pub async fn import<R>(
    store: Arc<dyn Store>,
    mut input: R,
    options: &ImportOptions,
    on_reject: &mut (dyn FnMut(&Rejection) + Send),
) -> Result<ImportSummary, ImportError>
where
    R: AsyncBufRead + Unpin,
{
    let mut directory = AccountDirectory::load(store.clone(), &options.brand).await?;
    let mut summary = ImportSummary::default();
    let mut pending: HashMap<AccountId, Pending> = HashMap::new();
    let mut buffer = Vec::new();
    let mut line_number = 0u64;
    let batch_size = options.batch_size.max(1);

    loop {
        buffer.clear();
        line_number += 1;
        let read = read_line_bounded(&mut input, &mut buffer)
            .await
            .map_err(|source| ImportError::Read { line: line_number, source })?;
        let (bytes, overlong) = match read {
            LineRead::Eof => break,
            LineRead::Line => (&buffer[..], false),
            LineRead::TooLong => (&buffer[..0], true),
        };
        let mut reject = |summary: &mut ImportSummary, reason: String| {
            summary.rejected += 1;
            on_reject(&Rejection { line: line_number, reason });
        };
        if overlong {
            summary.lines += 1;
            reject(&mut summary, format!("line is longer than {MAX_LINE_BYTES} bytes"));
            continue;
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            summary.lines += 1;
            reject(&mut summary, LineError::NotUtf8.to_string());
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        summary.lines += 1;
        if summary.lines % PROGRESS_EVERY_LINES == 0 {
            tracing::info!(
                lines = summary.lines,
                inserted = summary.inserted,
                rejected = summary.rejected,
                "import progress"
            );
        }
        let parsed = match parse_line(text) {
            Ok(parsed) => parsed,
            Err(err) => {
                reject(&mut summary, err.to_string());
                continue;
            }
        };
        let account = directory.resolve(parsed.channel, &parsed.account).await?;
        let batch = pending.entry(account).or_default();
        batch.push((line_number, parsed.message));
        if batch.len() >= batch_size {
            let batch = std::mem::take(batch);
            flush(store.as_ref(), account, batch, &mut summary, on_reject).await?;
        }
    }

    for (account, batch) in pending {
        if !batch.is_empty() {
            flush(store.as_ref(), account, batch, &mut summary, on_reject).await?;
        }
    }
    summary.accounts_created = directory.created();
    Ok(summary)
}

/// Ingests one batch. When the store refuses it as a whole (a rule it enforces, such as a message
/// it considers invalid), the batch is retried message by message so only the offending lines are
/// rejected. Any other store failure stops the import.
async fn flush(
    store: &dyn Store,
    account_id: AccountId,
    batch: Pending,
    summary: &mut ImportSummary,
    on_reject: &mut (dyn FnMut(&Rejection) + Send),
) -> Result<(), StoreError> {
    let messages: Vec<NewMessage> = batch.iter().map(|(_, message)| message.clone()).collect();
    match store.ingest(IngestBatch { account_id, messages, cursors: Vec::new() }).await {
        Ok(outcome) => {
            add(summary, &outcome);
            Ok(())
        }
        Err(StoreError::Invalid(reason)) | Err(StoreError::Conflict(reason)) => {
            tracing::debug!(%account_id, reason, "batch refused, retrying line by line");
            for (line, message) in batch {
                let single =
                    IngestBatch { account_id, messages: vec![message], cursors: Vec::new() };
                match store.ingest(single).await {
                    Ok(outcome) => add(summary, &outcome),
                    Err(StoreError::Invalid(reason)) | Err(StoreError::Conflict(reason)) => {
                        summary.rejected += 1;
                        on_reject(&Rejection { line, reason });
                    }
                    Err(other) => return Err(other),
                }
            }
            Ok(())
        }
        Err(other) => Err(other),
    }
}

fn add(summary: &mut ImportSummary, outcome: &IngestOutcome) {
    summary.inserted += outcome.inserted;
    summary.updated += outcome.updated;
    summary.unchanged += outcome.unchanged;
}

enum LineRead {
    Eof,
    Line,
    TooLong,
}

/// Reads up to the next `\n` into `buffer` (without it), keeping at most [`MAX_LINE_BYTES`]: the
/// rest of an overlong line is consumed and dropped.
async fn read_line_bounded<R: AsyncBufRead + Unpin>(
    input: &mut R,
    buffer: &mut Vec<u8>,
) -> std::io::Result<LineRead> {
    let mut seen_any = false;
    let mut too_long = false;
    loop {
        let available = input.fill_buf().await?;
        if available.is_empty() {
            break;
        }
        seen_any = true;
        let (chunk, consumed, done) = match available.iter().position(|b| *b == b'\n') {
            Some(at) => (&available[..at], at + 1, true),
            None => (available, available.len(), false),
        };
        if buffer.len() + chunk.len() > MAX_LINE_BYTES {
            too_long = true;
            buffer.clear();
        } else if !too_long {
            buffer.extend_from_slice(chunk);
        }
        input.consume(consumed);
        if done {
            break;
        }
    }
    if !seen_any {
        return Ok(LineRead::Eof);
    }
    if too_long {
        return Ok(LineRead::TooLong);
    }
    if buffer.last() == Some(&b'\r') {
        buffer.pop();
    }
    Ok(LineRead::Line)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
