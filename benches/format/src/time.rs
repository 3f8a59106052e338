//! UTC timestamps from the system clock, for report headers: seconds since the Unix epoch
//! broken into a proleptic Gregorian date and a time of day, with no date library (the
//! calendar arithmetic is Howard Hinnant's `civil_from_days`).

/// A moment in UTC, to the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtcTime {
    /// The year (proleptic Gregorian).
    pub year: i64,
    /// 1..=12.
    pub month: u32,
    /// 1..=31.
    pub day: u32,
    /// 0..=23.
    pub hour: u32,
    /// 0..=59.
    pub minute: u32,
    /// 0..=59.
    pub second: u32,
}

impl UtcTime {
    /// `unix_secs` seconds after 1970-01-01 00:00:00 UTC.
    pub fn from_unix(unix_secs: u64) -> UtcTime {
        let (year, month, day) = civil_from_days((unix_secs / 86_400) as i64);
        let rem = (unix_secs % 86_400) as u32;
        UtcTime {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem / 60 % 60,
            second: rem % 60,
        }
    }

    /// Now, by the system clock (the epoch if the clock is before it).
    pub fn now() -> UtcTime {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        UtcTime::from_unix(secs)
    }

    /// `YYYY-MM-DD hh:mm:ss UTC`, as the reports print it.
    pub fn datetime(&self) -> String {
        format!(
            "{} {:02}:{:02}:{:02} UTC",
            self.date(),
            self.hour,
            self.minute,
            self.second
        )
    }

    /// `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The proleptic Gregorian date `days` days after 1970-01-01, as (year, month, day). Counts in
/// 400-year eras of 146 097 days from a year taken to start on 1 March, so the leap day ends
/// the counting year.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of the era, 0..146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of the era
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the March-based year
    let mp = (5 * doy + 2) / 153; // month, 0 = March
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_across_leap_days_and_centuries() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(47_541), (2100, 3, 1));
        let t = UtcTime::from_unix(1_709_251_199);
        assert_eq!(
            (t.date(), t.hour, t.minute, t.second),
            ("2024-02-29".to_string(), 23, 59, 59)
        );
        assert_eq!(UtcTime::from_unix(4_102_444_800).date(), "2100-01-01");
        assert!(UtcTime::now().year >= 2024);
    }
}
