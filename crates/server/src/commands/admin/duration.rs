//! Durations as an administrator types them: `30m`, `2h`, `90s`, `1d`, or `never`.

/// A duration that may be `never`, as a command-line value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaybeDuration {
    /// Seconds, `None` for never.
    pub secs: Option<i64>,
}

impl std::str::FromStr for MaybeDuration {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_optional_duration(text).map(|secs| MaybeDuration { secs })
    }
}

/// A duration in seconds, or `None` for `never`.
pub fn parse_optional_duration(text: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    parse_duration(text).map(Some)
}

/// Seconds in a duration such as `30m`: a whole number followed by `s`, `m`, `h` or `d`.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let expected = || format!("invalid duration {text:?}, expected e.g. 90s, 30m, 2h, 1d or never");
    let number: i64 = number.parse().map_err(|_| expected())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(expected()),
    };
    if number == 0 {
        return Err(format!("invalid duration {text:?}: it must be longer than zero"));
    }
    number.checked_mul(unit_secs).ok_or_else(|| format!("invalid duration {text:?}: too long"))
}

/// Seconds said the way they are typed: `30m`, `2h`, `1d`, else `90s`.
pub fn format_duration(secs: i64) -> String {
    match secs {
        s if s > 0 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s > 0 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn minutes_hours_seconds_and_days_are_read_as_seconds() {
        assert_eq!(parse_duration("30m"), Ok(1_800));
        assert_eq!(parse_duration("2h"), Ok(7_200));
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("1d"), Ok(86_400));
    }

    #[test]
    fn never_means_no_duration() {
        assert_eq!(parse_optional_duration("never"), Ok(None));
        assert_eq!(parse_optional_duration("NEVER"), Ok(None));
        assert_eq!(parse_optional_duration("45m"), Ok(Some(2_700)));
    }

    #[test]
    fn a_missing_or_unknown_unit_a_zero_and_garbage_are_refused() {
        for bad in ["30", "30x", "m", "", "-5m", "0m", "1.5h", "30 m"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.starts_with("invalid duration"), "{bad}: {err}");
        }
    }

    #[test]
    fn an_overflowing_duration_is_refused() {
        assert!(parse_duration("9223372036854775807d").unwrap_err().contains("too long"));
    }

    #[test]
    fn durations_are_printed_in_their_largest_whole_unit() {
        assert_eq!(format_duration(1_800), "30m");
        assert_eq!(format_duration(7_200), "2h");
        assert_eq!(format_duration(172_800), "2d");
        assert_eq!(format_duration(90), "90s");
    }
}
