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

/// `$n` placeholders rewritten for SQLite. When they appear as `$1, $2, …` in textual order, each
/// once, they become anonymous `?`, which SQLite and sqlx bind by position in O(1). Otherwise they
/// become `?n`, which is correct for any order but costs a linear name lookup per parameter.
/// The statements this is used on contain no string literals.
pub(crate) fn question_marks(sql: &str) -> String {
    let mut plain = String::with_capacity(sql.len());
    let mut numbered = String::with_capacity(sql.len());
    let mut in_order = true;
    let mut expected = 1u64;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut digits = String::new();
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                digits.push(d);
            }
            in_order &= digits.parse::<u64>().is_ok_and(|n| n == expected);
            expected += 1;
            plain.push('?');
            numbered.push('?');
            numbered.push_str(&digits);
        } else {
            plain.push(c);
            numbered.push(c);
        }
    }
    if in_order {
        plain
    } else {
        numbered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_placeholders_become_numbered_question_marks() {
        assert_eq!(question_marks("a = $1 and b in ($2, $3)"), "a = ? and b in (?, ?)");
        assert_eq!(question_marks("price$ = $"), "price$ = $");
    }

    #[test]
    fn out_of_order_or_repeated_placeholders_keep_their_numbers() {
        assert_eq!(question_marks("a = $2 and b = $1"), "a = ?2 and b = ?1");
        assert_eq!(question_marks("a = $1 or b = $1"), "a = ?1 or b = ?1");
    }

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
