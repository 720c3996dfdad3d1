//! The one font of the charts, embedded: plotters' `ab_glyph` support measures and rasterizes
//! text from it, so a fresh machine needs no font installed and no fontconfig (plotters'
//! default `ttf` feature would need both). DejaVu Sans, licence in `reports/fonts/`.
//!
//! SVG charts name the family (`sans-serif`) and leave drawing the glyphs to the viewer, so
//! their text stays real, searchable text; the font here still measures it for the layout.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

/// The family name the charts ask for.
pub const FAMILY: &str = "sans-serif";

const DEJAVU_SANS: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");

/// Registers the font with plotters, once per process; false when it does not parse.
pub fn ensure_registered() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok())
}
