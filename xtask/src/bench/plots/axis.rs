//! Value axes: linear from zero (throughput and latency, where the figures compare ratios:
//! a ±30 % difference must look like one) or log10 over whole decades (counts that span
//! them; one labelled tick per decade, light lines at 2..9 × each decade), tick labels
//! (compact SI, plain, category names) and the choice between them.

use super::canvas::Chart;
use anyhow::Result;
use plotters::prelude::*;

/// Light grid lines at 2..9 × each decade of a log axis (plotters' own light lines would be
/// evenly spaced in log space, which reads wrong). `vertical`: the log axis is x.
pub(super) fn log_minor_grid(
    chart: &mut Chart,
    axis: &Axis,
    other: (f64, f64),
    vertical: bool,
) -> Result<()> {
    if !axis.log {
        return Ok(());
    }
    let grey = RGBColor(232, 232, 232);
    let mut lines = Vec::new();
    let mut d = axis.lo;
    while d < axis.hi {
        for m in 2..=9 {
            let v = d + (m as f64).log10();
            lines.push(if vertical {
                vec![(v, other.0), (v, other.1)]
            } else {
                vec![(other.0, v), (other.1, v)]
            });
        }
        d += 1.0;
    }
    chart.draw_series(lines.into_iter().map(|l| PathElement::new(l, grey)))?;
    Ok(())
}

/// Formats a number compactly: 950, 1.2k, 3.4M, 0.25.
pub fn si(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e12 {
        (v / 1e12, "T")
    } else if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let s = if scaled == scaled.round() || scaled.abs() >= 100.0 {
        format!("{scaled:.0}")
    } else if scaled.abs() >= 10.0 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.2}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{suffix}")
}

/// The decade at or below `min`, one lower if `min` sits at its very bottom (so that a bar
/// of exactly 10^k still shows).
pub(super) fn log_floor(min: f64) -> f64 {
    let l = min.log10();
    if l - l.floor() < 0.1 {
        l.floor() - 1.0
    } else {
        l.floor()
    }
}

/// A value axis: linear from zero, or log10 over whole decades.
#[derive(Clone, Debug)]
pub(super) struct Axis {
    pub(super) desc: String,
    pub(super) log: bool,
    /// Plot-space bounds (log10 of the values on a log axis).
    pub(super) lo: f64,
    pub(super) hi: f64,
}

impl Axis {
    /// Fits the positive values: log when they span more than ~1.5 decades.
    pub(super) fn fit(desc: &str, values: impl IntoIterator<Item = f64>) -> Axis {
        let v: Vec<f64> = values
            .into_iter()
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(0.0, f64::max);
        if v.is_empty() {
            return Axis {
                desc: desc.into(),
                log: false,
                lo: 0.0,
                hi: 1.0,
            };
        }
        if max / min > 30.0 {
            // At least 0.3 of a decade above the largest value, for the labels drawn at the
            // top of a panel (the cores mark).
            let top = max.log10();
            Axis {
                desc: format!("{desc}, log scale"),
                log: true,
                lo: log_floor(min),
                hi: top.ceil().max(top + 0.3).max(log_floor(min) + 1.0),
            }
        } else {
            Axis {
                desc: desc.into(),
                log: false,
                lo: 0.0,
                hi: max * 1.12,
            }
        }
    }

    /// A linear axis from zero that holds every value — medians and the ends of their error
    /// bars alike — with `headroom` (0.12: 12 %) above the largest, for value labels.
    pub(super) fn linear(desc: &str, values: impl IntoIterator<Item = f64>, headroom: f64) -> Axis {
        let max = values
            .into_iter()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        Axis {
            desc: desc.into(),
            log: false,
            lo: 0.0,
            hi: if max > 0.0 {
                max * (1.0 + headroom)
            } else {
                1.0
            },
        }
    }

    /// A value in plot space (values at or below the bottom of a log axis sit on it).
    pub(super) fn map(&self, v: f64) -> f64 {
        if self.log {
            if v > 0.0 {
                v.log10().max(self.lo)
            } else {
                self.lo
            }
        } else {
            v
        }
    }

    pub(super) fn ticks(&self) -> usize {
        if self.log {
            (self.hi - self.lo) as usize + 1
        } else {
            8
        }
    }

    pub(super) fn label(&self, v: f64) -> String {
        if self.log {
            if (v - v.round()).abs() < 1e-6 {
                si(10f64.powf(v.round()))
            } else {
                String::new()
            }
        } else {
            si(v)
        }
    }
}

/// The label of category index `v`, or nothing between categories.
pub(super) fn category_label(names: &[String], v: f64) -> String {
    let i = v.round();
    if (v - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    names.get(i as usize).cloned().unwrap_or_default()
}

/// plotters' light grid: on for linear value axes, off for log ones (see [`log_minor_grid`]).
pub(super) fn light(axis: &Axis) -> ShapeStyle {
    if axis.log {
        TRANSPARENT.into()
    } else {
        RGBColor(235, 235, 235).into()
    }
}

/// A tick label without SI suffixes below 100 000 (times, counts on a linear axis).
pub(super) fn plain(v: f64) -> String {
    if v.abs() < 1e5 && v == v.round() {
        format!("{}", v as i64)
    } else {
        si(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_formats() {
        assert_eq!(si(950.0), "950");
        assert_eq!(si(1200.0), "1.2k");
        assert_eq!(si(3_450_000.0), "3.45M");
        assert_eq!(si(1e6), "1M");
        assert_eq!(si(0.25), "0.25");
        assert_eq!(si(12_500.0), "12.5k");
    }

    #[test]
    fn axis_goes_log_over_decades() {
        let a = Axis::fit("x", [1.0, 5.0]);
        assert!(!a.log);
        let a = Axis::fit("x", [200.0, 4_000_000.0]);
        assert!(a.log);
        assert_eq!((a.lo, a.hi), (2.0, 7.0));
        // A minimum at a decade's bottom gets the decade below, so its bar shows.
        assert_eq!(Axis::fit("x", [1000.0, 1e6]).lo, 2.0);
        assert_eq!(a.ticks(), 6);
        // A largest value at a decade's top gets headroom, not a whole decade more.
        assert!((Axis::fit("x", [1.0, 1e6]).hi - 6.3).abs() < 1e-9);
        assert_eq!(a.label(3.0), "1k");
        assert_eq!(a.label(3.5), "");
    }

    #[test]
    fn a_linear_axis_starts_at_zero_and_holds_every_value() {
        // Values four decades apart stay linear: ratios are what the figures compare.
        let a = Axis::linear("x", [2.0, 20_000.0, f64::NAN], 0.1);
        assert!(!a.log);
        assert_eq!(a.lo, 0.0);
        assert!((a.hi - 22_000.0).abs() < 1e-9);
        assert_eq!(a.map(5.0), 5.0);
        assert_eq!(Axis::linear("x", [], 0.1).hi, 1.0);
    }
}
