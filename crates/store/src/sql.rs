//! Helpers for the few statements whose text depends on the batch size: multi-row `values` lists and
//! `in (…)` lists with `$n` placeholders, which both SQLite and PostgreSQL accept.

use std::fmt::Write;

/// Binds per statement, under SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_BINDS: usize = 30_000;

/// Rows per multi-row statement for a table of `columns` bound columns (plus `extra` fixed binds).
pub(crate) fn rows_per_statement(columns: usize, extra: usize) -> usize {
    ((MAX_BINDS - extra) / columns.max(1)).max(1)
}

/// `($first, …), (…), …` for `rows` rows of `columns` placeholders each.
pub(crate) fn tuples(rows: usize, columns: usize, first: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 6);
    let mut n = first;
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for column in 0..columns {
            if column > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "${n}");
            n += 1;
        }
        out.push(')');
    }
    out
}

/// `$first, $first+1, …` for an `in (…)` list of `len` values.
pub(crate) fn list(len: usize, first: usize) -> String {
    let mut out = String::with_capacity(len * 6);
    for i in 0..len {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "${}", first + i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_number_placeholders_across_rows() {
        assert_eq!(tuples(2, 3, 2), "($2, $3, $4), ($5, $6, $7)");
    }

    #[test]
    fn lists_start_where_asked() {
        assert_eq!(list(3, 1), "$1, $2, $3");
        assert_eq!(list(0, 1), "");
    }

    #[test]
    fn wide_rows_still_get_one_row_per_statement() {
        assert_eq!(rows_per_statement(40_000, 0), 1);
        assert_eq!(rows_per_statement(10, 0), 3_000);
    }
}
