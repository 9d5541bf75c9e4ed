//! SigV4 timestamps without a date library.
//!
//! Unix seconds <-> `YYYYMMDDTHHMMSSZ` via the days-from-civil and
//! civil-from-days algorithms (proleptic Gregorian calendar, UTC, no leap
//! seconds), for years 1970 through 9999.

use core::fmt;

/// The last second representable as a four-digit year: 9999-12-31T23:59:59Z.
const MAX_UNIX_SECS: u64 = 253_402_300_799;
const SECS_PER_DAY: u64 = 86_400;

/// A timestamp that cannot be formatted or parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DateError {
    /// The time is after 9999-12-31T23:59:59Z.
    OutOfRange(u64),
    /// The text is not a timestamp of the expected form.
    Malformed,
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateError::OutOfRange(secs) => {
                write!(f, "unix time {secs} is after the year 9999")
            }
            DateError::Malformed => f.write_str("malformed timestamp"),
        }
    }
}

impl std::error::Error for DateError {}

/// Civil date of a day count since 1970-01-01 (Hinnant's civil_from_days).
/// Valid for every `days` this module produces (0 ..= 2_932_896).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Day count since 1970-01-01 of a civil date (Hinnant's days_from_civil).
/// `year >= 1970`, `month` in 1..=12, `day` in 1..=31.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400; // [0, 399]
    let mp = if month > 2 { month - 3 } else { month + 9 }; // [0, 11]
    let doy = (153 * mp + 2) / 5 + day - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

fn is_leap(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Broken-down UTC time.
struct Civil {
    year: u64,
    month: u64,
    day: u64,
    hour: u64,
    minute: u64,
    second: u64,
}

fn to_civil(unix_secs: u64) -> Result<Civil, DateError> {
    if unix_secs > MAX_UNIX_SECS {
        return Err(DateError::OutOfRange(unix_secs));
    }
    let (year, month, day) = civil_from_days(unix_secs / SECS_PER_DAY);
    let secs = unix_secs % SECS_PER_DAY;
    Ok(Civil {
        year,
        month,
        day,
        hour: secs / 3_600,
        minute: secs % 3_600 / 60,
        second: secs % 60,
    })
}

fn from_civil(c: &Civil) -> Result<u64, DateError> {
    if !(1970..=9999).contains(&c.year)
        || !(1..=12).contains(&c.month)
        || c.day < 1
        || c.day > days_in_month(c.year, c.month)
        || c.hour > 23
        || c.minute > 59
        || c.second > 59
    {
        return Err(DateError::Malformed);
    }
    Ok(days_from_civil(c.year, c.month, c.day) * SECS_PER_DAY
        + c.hour * 3_600
        + c.minute * 60
        + c.second)
}

/// `unix_secs` as a SigV4 timestamp, `YYYYMMDDTHHMMSSZ` (ISO 8601 basic, UTC).
pub fn format_amz_date(unix_secs: u64) -> Result<String, DateError> {
    let c = to_civil(unix_secs)?;
    Ok(format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    ))
}

/// The date of `unix_secs` as used in a credential scope, `YYYYMMDD`.
pub fn format_scope_date(unix_secs: u64) -> Result<String, DateError> {
    let c = to_civil(unix_secs)?;
    Ok(format!("{:04}{:02}{:02}", c.year, c.month, c.day))
}

/// Parses exactly `n` ASCII digits.
fn digits(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        bytes
            .iter()
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0')),
    )
}

/// Parses a SigV4 timestamp `YYYYMMDDTHHMMSSZ` into unix seconds.
///
/// Strict: exactly 16 characters, a real calendar date, years 1970-9999.
pub fn parse_amz_date(text: &str) -> Result<u64, DateError> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return Err(DateError::Malformed);
    }
    let field = |range: core::ops::Range<usize>| digits(&b[range]).ok_or(DateError::Malformed);
    from_civil(&Civil {
        year: field(0..4)?,
        month: field(4..6)?,
        day: field(6..8)?,
        hour: field(9..11)?,
        minute: field(11..13)?,
        second: field(13..15)?,
    })
}

/// Parses a scope date `YYYYMMDD` into the unix seconds of its midnight.
pub(crate) fn parse_scope_date(text: &str) -> Result<u64, DateError> {
    let b = text.as_bytes();
    if b.len() != 8 {
        return Err(DateError::Malformed);
    }
    let field = |range: core::ops::Range<usize>| digits(&b[range]).ok_or(DateError::Malformed);
    from_civil(&Civil {
        year: field(0..4)?,
        month: field(4..6)?,
        day: field(6..8)?,
        hour: 0,
        minute: 0,
        second: 0,
    })
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]; // 1970-01-01 was a Thursday

/// Parses the value of an HTTP `Date` header as SigV4 accepts it: either the
/// SigV4 form `YYYYMMDDTHHMMSSZ` or the IMF-fixdate form of RFC 9110
/// (`Sun, 30 Aug 2015 12:36:00 GMT`, weekday checked).
pub fn parse_http_date(text: &str) -> Result<u64, DateError> {
    if let Ok(secs) = parse_amz_date(text) {
        return Ok(secs);
    }
    // "Sun, 30 Aug 2015 12:36:00 GMT" is exactly 29 bytes.
    let b = text.as_bytes();
    if b.len() != 29
        || &b[3..5] != b", "
        || b[7] != b' '
        || b[11] != b' '
        || b[16] != b' '
        || b[19] != b':'
        || b[22] != b':'
        || &b[25..29] != b" GMT"
    {
        return Err(DateError::Malformed);
    }
    let month_name = text.get(8..11).ok_or(DateError::Malformed)?;
    let month = MONTHS
        .iter()
        .position(|m| *m == month_name)
        .ok_or(DateError::Malformed)?;
    let field = |range: core::ops::Range<usize>| digits(&b[range]).ok_or(DateError::Malformed);
    let secs = from_civil(&Civil {
        year: field(12..16)?,
        month: month as u64 + 1,
        day: field(5..7)?,
        hour: field(17..19)?,
        minute: field(20..22)?,
        second: field(23..25)?,
    })?;
    let weekday = WEEKDAYS[(secs / SECS_PER_DAY % 7) as usize];
    if text.get(0..3) != Some(weekday) {
        return Err(DateError::Malformed);
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(format_amz_date(0).unwrap(), "19700101T000000Z");
        assert_eq!(format_amz_date(1_440_938_160).unwrap(), "20150830T123600Z");
        assert_eq!(format_amz_date(951_782_400).unwrap(), "20000229T000000Z");
        assert_eq!(format_amz_date(4_107_542_400).unwrap(), "21000301T000000Z");
        assert_eq!(format_amz_date(MAX_UNIX_SECS).unwrap(), "99991231T235959Z");
        assert_eq!(
            format_amz_date(MAX_UNIX_SECS + 1),
            Err(DateError::OutOfRange(MAX_UNIX_SECS + 1))
        );
        assert_eq!(format_scope_date(1_440_938_160).unwrap(), "20150830");
        assert_eq!(parse_amz_date("20150830T123600Z"), Ok(1_440_938_160));
        assert_eq!(parse_scope_date("20150830"), Ok(1_440_892_800));
    }

    #[test]
    fn rejects_bad_dates() {
        for bad in [
            "",
            "20150830T123600",
            "20150830T123600z",
            "20150830 123600Z",
            "20150230T000000Z",
            "21000229T000000Z",
            "20151301T000000Z",
            "20150800T000000Z",
            "20150830T240000Z",
            "20150830T236000Z",
            "20150830T235960Z",
            "19691231T235959Z",
            "2015083OT123600Z",
            "+0150830T123600Z",
            "20150830T12360\u{e9}",
        ] {
            assert_eq!(parse_amz_date(bad), Err(DateError::Malformed), "{bad}");
        }
        assert!(parse_amz_date("20000229T000000Z").is_ok());
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"),
            Ok(1_440_938_160)
        );
        assert_eq!(parse_http_date("20150830T123600Z"), Ok(1_440_938_160));
        assert_eq!(
            parse_http_date("Mon, 30 Aug 2015 12:36:00 GMT"),
            Err(DateError::Malformed)
        );
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 UTC"),
            Err(DateError::Malformed)
        );
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT\u{e9}"),
            Err(DateError::Malformed)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Ok(0));
    }

    #[test]
    fn every_day_round_trips() {
        // Every day from 1970 to 2500, and consistency with a naive counter.
        let (mut y, mut m, mut d) = (1970, 1, 1);
        for days in 0..days_from_civil(2500, 1, 1) {
            assert_eq!(civil_from_days(days), (y, m, d));
            assert_eq!(days_from_civil(y, m, d), days);
            d += 1;
            if d > days_in_month(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn format_parse_round_trip(secs in 0..=MAX_UNIX_SECS) {
            let text = format_amz_date(secs).unwrap();
            proptest::prop_assert_eq!(parse_amz_date(&text), Ok(secs));
            proptest::prop_assert_eq!(&text[..8], format_scope_date(secs).unwrap());
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,40}") {
            let _ = parse_amz_date(&text);
            let _ = parse_http_date(&text);
            let _ = parse_scope_date(&text);
        }
    }
}
