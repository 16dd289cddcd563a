//! Colour contrast as WCAG 2.1 measures it, so that the page's colours are checked by tests
//! rather than by eye: a chart's marks need 3:1 against what they sit on (SC 1.4.11, non-text
//! contrast), its text 4.5:1 (SC 1.4.3).

/// The least contrast a mark needs to be told from its background (SC 1.4.11).
pub const NON_TEXT_CONTRAST: f64 = 3.0;
/// The least contrast text of a normal size needs (SC 1.4.3).
pub const TEXT_CONTRAST: f64 = 4.5;

/// The red, green and blue of a `#rrggbb` colour; `None` for any other notation.
pub fn rgb(colour: &str) -> Option<[u8; 3]> {
    let hex = colour.strip_prefix('#')?;
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// WCAG's relative luminance: each sRGB channel made linear, then weighted by how bright the
/// eye finds it; 0 for black, 1 for white.
pub fn relative_luminance([r, g, b]: [u8; 3]) -> f64 {
    let linear = |channel: u8| {
        let c = f64::from(channel) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// The contrast ratio of two `#rrggbb` colours, from 1 (the same) to 21 (black on white),
/// whichever is lighter; `None` when either is not `#rrggbb`.
pub fn contrast_ratio(a: &str, b: &str) -> Option<f64> {
    let (a, b) = (relative_luminance(rgb(a)?), relative_luminance(rgb(b)?));
    let (lighter, darker) = if a >= b { (a, b) } else { (b, a) };
    Some((lighter + 0.05) / (darker + 0.05))
}

#[cfg(test)]
mod tests {
    use super::super::PALETTE;
    use super::super::chart::{BACKGROUND, FOCUS, GRID, INK, INK_MUTED, INK_SECONDARY};
    use super::*;

    fn ratio(a: &str, b: &str) -> f64 {
        contrast_ratio(a, b).unwrap_or_else(|| panic!("{a} and {b} are #rrggbb colours"))
    }

    /// Rounded to two decimals, as contrast checkers print it.
    fn rounded(a: &str, b: &str) -> f64 {
        (ratio(a, b) * 100.0).round() / 100.0
    }

    #[test]
    fn contrast_ratios_are_those_of_wcag() {
        assert_eq!(rounded("#000000", "#ffffff"), 21.0);
        assert_eq!(rounded("#ffffff", "#000000"), 21.0, "in either order");
        assert_eq!(rounded("#777777", "#777777"), 1.0);
        // The lightest grey that passes 4.5:1 on white, and the one just lighter.
        assert_eq!(rounded("#767676", "#ffffff"), 4.54);
        assert_eq!(rounded("#777777", "#ffffff"), 4.48);
        assert_eq!(
            rounded("#000091", "#FFFFFF"),
            14.91,
            "hex digits in either case"
        );
        // The two phase colours the accessibility review found too pale (issue 19, point 7).
        assert_eq!(rounded("#c3992a", "#ffffff"), 2.65);
        assert_eq!(rounded("#f4a381", "#ffffff"), 2.02);
    }

    #[test]
    fn only_rrggbb_colours_are_read() {
        assert_eq!(rgb("#0a76F6"), Some([0x0a, 0x76, 0xf6]));
        for other in [
            "",
            "#fff",
            "0a76f6",
            "#0a76f6ff",
            "#0a76g6",
            "red",
            "#éé76f6",
        ] {
            assert_eq!(rgb(other), None, "{other}");
        }
        assert_eq!(contrast_ratio("red", "#ffffff"), None);
    }

    /// Every colour a chart fills a mark with stands out from the background it is drawn on;
    /// the palette is read from the constant the chart uses, so a colour added to it is
    /// checked too.
    #[test]
    fn every_chart_colour_stands_out_from_the_background() {
        for colour in PALETTE.iter().chain([&FOCUS, &INK_SECONDARY]) {
            let ratio = ratio(colour, BACKGROUND);
            assert!(
                ratio >= NON_TEXT_CONTRAST,
                "{colour} on {BACKGROUND}: {ratio:.2}:1, below {NON_TEXT_CONTRAST}:1"
            );
        }
    }

    #[test]
    fn chart_text_is_readable_on_the_background() {
        for colour in [INK, INK_SECONDARY, INK_MUTED] {
            let ratio = ratio(colour, BACKGROUND);
            assert!(
                ratio >= TEXT_CONTRAST,
                "{colour} on {BACKGROUND}: {ratio:.2}:1"
            );
        }
        // Grid lines are decorative (each value is written on the axis, in the bars' labels
        // and in the table), so they may be pale; they must still differ from the background.
        assert!(ratio(GRID, BACKGROUND) > 1.0);
    }

    /// CIELAB lightness and colour axes of a `#rrggbb` colour (D65 white), to tell how far
    /// apart two colours look.
    fn lab(colour: &str) -> [f64; 3] {
        let [r, g, b] = rgb(colour).expect("a #rrggbb colour").map(|c| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        });
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
        let f = |t: f64| {
            if t > 216.0 / 24389.0 {
                t.cbrt()
            } else {
                (24389.0 / 27.0 * t + 16.0) / 116.0
            }
        };
        [
            116.0 * f(y) - 16.0,
            500.0 * (f(x) - f(y)),
            200.0 * (f(y) - f(z)),
        ]
    }

    /// Colours next to each other in the stack and the legend, the last one next to the first
    /// when the palette is reused, are told apart: a CIE76 distance of at least 20 (2.3 is the
    /// least the eye notices side by side).
    #[test]
    fn neighbouring_chart_colours_look_different() {
        for (i, colour) in PALETTE.iter().enumerate() {
            let next = PALETTE[(i + 1) % PALETTE.len()];
            let ([l1, a1, b1], [l2, a2, b2]) = (lab(colour), lab(next));
            let distance = ((l1 - l2).powi(2) + (a1 - a2).powi(2) + (b1 - b2).powi(2)).sqrt();
            assert!(distance >= 20.0, "{colour} and {next}: {distance:.1}");
        }
    }
}
