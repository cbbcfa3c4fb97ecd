//! The trellis query language (parsed here, without IO, so the search index and the triage rules
//! share one grammar). Being written: see docs/query-language.md.
