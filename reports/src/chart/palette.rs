//! Colours: one per series, the same in every chart and in the report's tables.
//!
//! Tableau 10 without its red, which is kept for targets so that a target line never looks
//! like a series. Past nine series the colours repeat; the legend still names every line.

use plotters::style::RGBColor;

const SERIES: [RGBColor; 9] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0xba, 0xb0, 0xac),
];

/// Targets and other reference lines.
pub const TARGET: RGBColor = RGBColor(0xd6, 0x27, 0x28);
/// Text, axes and the stroke samples of the legend.
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text (the region under a service name).
pub const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
pub const GRID_LIGHT: RGBColor = RGBColor(0xee, 0xee, 0xee);
pub const GRID_BOLD: RGBColor = RGBColor(0xd4, 0xd4, 0xd4);

/// The colour of series `i`.
pub fn colour(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// The fill of series `i` in a stacked area: its colour mixed with white, opaque, so that the
/// bands drawn over one another show their own colour and the edges stay visible.
pub fn light(i: usize) -> RGBColor {
    let RGBColor(r, g, b) = colour(i);
    let mix = |c: u8| ((u16::from(c) * 2 + 255 * 3) / 5) as u8;
    RGBColor(mix(r), mix(g), mix(b))
}

/// The colour of series `i` as CSS `#rrggbb`, for the report's tables.
pub fn colour_hex(i: usize) -> String {
    let RGBColor(r, g, b) = colour(i);
    format!("#{r:02x}{g:02x}{b:02x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_colours_cycle_and_never_use_the_target_red() {
        assert_eq!(colour_hex(0), "#4e79a7");
        assert_eq!(colour(9), colour(0));
        assert!(SERIES.iter().all(|&c| c != TARGET));
    }
}
