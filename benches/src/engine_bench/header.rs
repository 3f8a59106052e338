//! The run's header: the machine (CPU model and count from `/proc/cpuinfo`) and the date (the
//! calendar arithmetic is `ferrolite_bench_format::time`'s, shared with the bench report).

use ferrolite_bench_format::time::UtcTime;

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
    show(UtcTime::now())
}

/// Seconds since the Unix epoch as `YYYY-MM-DD hh:mm:ss UTC`.
pub fn utc_datetime(unix_secs: u64) -> String {
    show(UtcTime::from_unix(unix_secs))
}

fn show(t: UtcTime) -> String {
    t.datetime()
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
