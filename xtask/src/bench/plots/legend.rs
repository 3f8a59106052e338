//! The legend column right of a figure's plots: a title, a symbol and a name per series (a
//! filled box for bars; a stroke in the series' dash pattern, with its marker, for lines),
//! then notes — what is *not* drawn and why ("crossbeam: not measured"), what the whiskers
//! and the shaded region mean. Notes are wrapped to the column's width.

use super::canvas::LEGEND_W;
use super::style::{legend_marker, Style, FONT, LABEL, TICK};
use anyhow::Result;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::canvas::Area;

/// What a legend's symbols look like.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Legend {
    Bars,
    Lines,
    LinesWithMarkers,
}

/// Characters of a note per line in the legend column (13 px sans-serif).
const NOTE_CHARS: usize = (LEGEND_W as usize - 16) / 7;

/// Splits `text` into lines of at most `width` characters at spaces (a longer word gets a
/// line of its own).
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Draws a legend column: a symbol and a name per entry, then the `notes`, each wrapped to
/// the column and set apart by a small gap.
pub(super) fn draw_legend(
    area: &Area,
    title: &str,
    entries: &[(String, Style)],
    kind: Legend,
    notes: &[String],
) -> Result<()> {
    let font = (FONT, LABEL).into_font();
    area.draw(&Text::new(
        title.to_string(),
        (8, 40),
        font.clone().style(FontStyle::Bold),
    ))?;
    let mut y = 68;
    for (name, s) in entries {
        if kind == Legend::Bars {
            area.draw(&Rectangle::new(
                [(10, y - 6), (30, y + 6)],
                s.color.filled(),
            ))?;
        } else {
            let stroke = s.color.stroke_width(2);
            match s.dash.pattern() {
                None => area.draw(&PathElement::new(vec![(6, y), (36, y)], stroke))?,
                Some((dash, gap)) => area.draw(&DashedPathElement::new(
                    vec![(6, y), (36, y)],
                    dash,
                    gap,
                    stroke,
                ))?,
            }
            if kind == Legend::LinesWithMarkers {
                legend_marker(area, (21, y), *s)?;
            }
        }
        area.draw(&Text::new(name.clone(), (42, y - 8), font.clone()))?;
        y += 24;
    }
    let note_font = (FONT, TICK).into_font().color(&RGBColor(70, 70, 70));
    y += 6;
    for note in notes {
        for line in wrap(note, NOTE_CHARS) {
            area.draw(&Text::new(line, (8, y), note_font.clone()))?;
            y += 16;
        }
        y += 8;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_wrap_at_spaces() {
        assert_eq!(
            wrap("crossbeam: not measured (no counters)", 16),
            ["crossbeam: not", "measured (no", "counters)"]
        );
        assert_eq!(wrap("a verylongword b", 4), ["a", "verylongword", "b"]);
        assert!(wrap("  ", 10).is_empty());
    }
}
