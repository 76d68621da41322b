use crate::ParseError;
use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};
use std::fmt;

/// Danish local time, in which timestamps without an offset are read and all times are shown.
pub fn copenhagen() -> Tz {
    chrono_tz::Europe::Copenhagen
}

/// An instant, stored as whole seconds since 1970-01-01T00:00:00Z. The out-of-hours targets
/// are stated in whole minutes and the call log has second resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_unix(secs: i64) -> Timestamp {
        Timestamp(secs)
    }
    pub fn unix(self) -> i64 {
        self.0
    }
    pub fn now() -> Timestamp {
        Timestamp(Utc::now().timestamp())
    }
    pub fn to_utc(self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.0, 0).unwrap_or_default()
    }
    pub fn to_local(self) -> DateTime<Tz> {
        self.to_utc().with_timezone(&copenhagen())
    }
    /// Danish local wall-clock time → instant. In the autumn hour that occurs twice the earlier
    /// instant is taken; a time in the skipped spring hour is an error.
    pub fn from_local(naive: NaiveDateTime) -> Result<Timestamp, ParseError> {
        match copenhagen().from_local_datetime(&naive) {
            LocalResult::Single(t) => Ok(Timestamp(t.timestamp())),
            LocalResult::Ambiguous(a, _) => Ok(Timestamp(a.timestamp())),
            LocalResult::None => Err(ParseError::new(
                "local time falls in the hour skipped by daylight saving",
                naive.to_string(),
            )),
        }
    }
    pub fn plus_seconds(self, s: i64) -> Timestamp {
        Timestamp(self.0 + s)
    }
    pub fn seconds_until(self, later: Timestamp) -> i64 {
        later.0 - self.0
    }

    /// RFC 3339 (`2025-03-01T07:45:00+01:00`, `…Z`), or without offset as Danish local time
    /// (`2025-03-01T07:45:00`, also with a space instead of `T`).
    pub fn parse(s: &str) -> Result<Timestamp, ParseError> {
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(Timestamp(t.timestamp()));
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"] {
            if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
                return Timestamp::from_local(n);
            }
        }
        Err(ParseError::new(
            "expected an RFC 3339 timestamp such as 2025-03-01T07:45:00+01:00",
            s,
        ))
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in Danish local time with its offset, as the extract format writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_local().format("%Y-%m-%dT%H:%M:%S%:z"))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn offset_and_local_agree() {
        let a = Timestamp::parse("2025-03-01T07:45:00+01:00").unwrap();
        let b = Timestamp::parse("2025-03-01T07:45:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "2025-03-01T07:45:00+01:00");
        let summer = Timestamp::parse("2025-07-01T12:00:00").unwrap();
        assert_eq!(summer.to_string(), "2025-07-01T12:00:00+02:00");
    }

    #[test]
    fn dst_gap_is_refused_and_overlap_takes_first() {
        assert!(Timestamp::parse("2025-03-30T02:30:00").is_err());
        let t = Timestamp::parse("2025-10-26T02:30:00").unwrap();
        assert_eq!(t.to_string(), "2025-10-26T02:30:00+02:00");
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(secs in 0i64..2_000_000_000) {
            let t = Timestamp::from_unix(secs);
            prop_assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
        }
    }
}
