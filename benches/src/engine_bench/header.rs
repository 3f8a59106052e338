//! The run's header: the machine (CPU model and count from `/proc/cpuinfo`) and the date.

/// The machine, for the header: CPU model and count, from `/proc/cpuinfo` where there is one.
pub fn cpu_description() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    };
    let processors = info
        .lines()
        .filter(|l| l.split(':').next().is_some_and(|k| k.trim() == "processor"))
        .count();
    let count = if processors > 0 { processors } else { cores };
    let model = field("model name")
        .or_else(|| field("Model"))
        .or_else(|| field("cpu model"))
        .unwrap_or_else(|| format!("unknown CPU ({})", std::env::consts::ARCH));
    let mut s = format!("{count} * {model}");
    if cores > 0 && cores != count {
        s.push_str(&format!(" ({cores} available to this process)"));
    }
    if let Some(cache) = field("cache size") {
        s.push_str(&format!("; cache {cache}"));
    }
    s
}

/// The current time in UTC as `YYYY-MM-DD hh:mm:ss UTC`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_datetime(secs)
}

/// Seconds since the Unix epoch as `YYYY-MM-DD hh:mm:ss UTC`.
pub fn utc_datetime(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    let (y, m, d) = civil_date(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The proleptic Gregorian date `days` days after 1970-01-01. Counts in 400-year cycles of
/// 146 097 days from a year taken to start on 1 March, so the leap day ends the year.
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days from 0000-03-01
    let cycle = z.div_euclid(146_097);
    let day_of_cycle = z.rem_euclid(146_097);
    let year_of_cycle =
        (day_of_cycle - day_of_cycle / 1460 + day_of_cycle / 36_524 - day_of_cycle / 146_096) / 365;
    let day_of_year =
        day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_cycle + cycle * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(utc_datetime(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_datetime(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_datetime(1_709_251_199), "2024-02-29 23:59:59 UTC");
        assert_eq!(utc_datetime(4_102_444_800), "2100-01-01 00:00:00 UTC");
        assert!(!cpu_description().is_empty());
    }
}
