//! A stacked bar chart drawn as inline SVG, for pages that must work without JavaScript.
//!
//! [`layout`] does the geometry (plain numbers, unit-tested); [`svg`] and [`table`] only print
//! it, through maud, which escapes every text and attribute. Nothing is told by hover alone:
//! each bar is focusable (by keyboard, and by touch where a tap focuses), is named in words for
//! screen readers ([`bar_summary`]), and while it has the focus or the pointer gives its
//! figures in the legend ([`STYLE`]); [`table`] gives the same figures as a table.

use maud::{Markup, html};

/// The width of the drawing, in SVG user units; it scales to its container.
const WIDTH: f64 = 960.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 16.0;
/// Room above the plot for the vertical axis title and the tallest bar's total.
const TOP: f64 = 40.0;
const PLOT_HEIGHT: f64 = 320.0;
/// Room under the plot for the bar labels and the axis title.
const BELOW_PLOT: f64 = 64.0;
/// Room for a series' swatch, a bar's value for it and its label.
const LEGEND_ITEM_WIDTH: f64 = 290.0;
/// Where a legend entry's value ends (it is aligned right, between the swatch and the label,
/// room for `12 345`) and where its label starts, from the entry's left.
const LEGEND_VALUE_END: f64 = 62.0;
const LEGEND_LABEL_START: f64 = 70.0;
const LEGEND_ROW_HEIGHT: f64 = 24.0;
/// At most this many bar labels are printed; the others are skipped evenly.
const MAX_BAR_LABELS: usize = 24;
/// Bar width as a share of the room each bar has.
const BAR_FILL: f64 = 0.7;
/// Totals are printed over bars at least this wide, where they fit.
const MIN_WIDTH_FOR_TOTALS: f64 = 36.0;
/// Room between a bar and the ring drawn around it while it has the focus.
const RING_GAP: f64 = 3.0;

/// The background every mark of the chart sits on. The chart paints it first, so that the
/// contrast of its colours, checked against it (see [`super::colour`]), holds on any page.
pub const BACKGROUND: &str = "#ffffff";
/// Titles, labels and the figures a focused bar shows (DSFR grey-50).
pub const INK: &str = "#161616";
/// The axis line, its numbers and the bars' totals (DSFR grey-200).
pub const INK_SECONDARY: &str = "#3a3a3a";
/// "No data" (DSFR grey-425).
pub const INK_MUTED: &str = "#666666";
/// Grid lines (DSFR grey-900). They are decorative, so they need not contrast: each value is
/// also written on the axis, in the bars' names and in the table.
pub const GRID: &str = "#dddddd";
/// The ring around the bar that has the focus, the colour of the page's focused links.
pub const FOCUS: &str = "#0a76f6";

/// What shows a bar's figures while it has the focus (keyboard, or a tap) or the pointer, for
/// the page's style sheet: its ring and its `tip`, in place of the last bar's, which shows at
/// rest. When the pointer is on another bar than the focused one, only the pointed one shows
/// its figures, where `:has` is supported.
pub const STYLE: &str = "
.chart .bar { outline: none; }
.chart .bar:focus .ring { visibility: visible; }
.chart .bar:hover .tip, .chart .bar:focus .tip { visibility: visible; }
.chart .bar:hover ~ .tip, .chart .bar:focus ~ .tip { visibility: hidden; }
.chart:has(.bar:hover) .bar:not(:hover) .tip { visibility: hidden; }
";

/// One stacked series: a layer of every bar, and an entry of the legend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// A stable key, printed as `data-series` for scripts and tests.
    pub key: String,
    /// What the legend and the tooltips call it.
    pub label: String,
    /// A CSS colour.
    pub colour: &'static str,
}

/// One bar: a value per series, in the order of [`StackedBars::series`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// Printed under the bar.
    pub label: String,
    /// Names the bar in full in the tooltips and the table (say, the exact day counted).
    pub caption: String,
    pub values: Vec<i64>,
}

impl Bar {
    pub fn total(&self) -> i64 {
        self.values.iter().map(|v| (*v).max(0)).sum()
    }
}

/// Everything a chart shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackedBars {
    /// Prefix of the element ids, unique within the page.
    pub id: String,
    pub title: String,
    pub description: String,
    pub x_label: String,
    pub y_label: String,
    /// What a value counts, written after the numbers in words (`12 startups`).
    pub unit: Noun,
    /// Bottom of the stack first.
    pub series: Vec<Series>,
    pub bars: Vec<Bar>,
}

/// One drawn rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub bar: usize,
    pub series: usize,
    pub value: i64,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Where everything goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The value at the top of the vertical axis: a round number at least the tallest total.
    pub axis_max: i64,
    /// Values of the horizontal grid lines, from 0 to `axis_max`.
    pub ticks: Vec<i64>,
    /// Segments of non-zero value, bar by bar, bottom up.
    pub segments: Vec<Segment>,
    /// Centre of each bar.
    pub bar_centres: Vec<f64>,
    pub bar_width: f64,
    /// Height of the whole drawing, legend included.
    pub height: f64,
    pub legend_columns: usize,
}

impl Layout {
    pub fn plot_bottom(&self) -> f64 {
        TOP + PLOT_HEIGHT
    }

    /// The top of the row above the legend where a focused bar names itself.
    pub fn legend_top(&self) -> f64 {
        self.plot_bottom() + BELOW_PLOT
    }

    /// The top left corner of the colour swatch of legend entry `index`.
    pub fn legend_item(&self, index: usize) -> (f64, f64) {
        let column = (index % self.legend_columns) as f64;
        let row = (index / self.legend_columns + 1) as f64;
        (
            LEFT + column * LEGEND_ITEM_WIDTH,
            self.legend_top() + row * LEGEND_ROW_HEIGHT,
        )
    }

    /// The vertical position of `value` on the axis.
    pub fn y_of(&self, value: i64) -> f64 {
        // `axis_max` is at least 1: no division by zero, no NaN, even for an empty chart.
        let share = value.max(0) as f64 / self.axis_max.max(1) as f64;
        self.plot_bottom() - share * PLOT_HEIGHT
    }
}

/// A round step (1, 2 or 5 times a power of ten) giving at most five intervals up to `max`, and
/// the multiple of it that tops the axis.
pub fn axis_scale(max: i64) -> (i64, i64) {
    let max = max.max(1);
    let mut magnitude: i64 = 1;
    loop {
        for factor in [1, 2, 5] {
            let step = factor * magnitude;
            if step.saturating_mul(5) >= max {
                // Both are positive: rounding the quotient up is adding `step - 1` first.
                let top = (max.saturating_add(step - 1) / step).saturating_mul(step);
                return (top, step);
            }
        }
        match magnitude.checked_mul(10) {
            Some(next) => magnitude = next,
            None => return (max, max),
        }
    }
}

pub fn layout(chart: &StackedBars) -> Layout {
    let tallest = chart.bars.iter().map(Bar::total).max().unwrap_or(0);
    let (axis_max, step) = axis_scale(tallest);
    let ticks = (0..=axis_max / step).map(|i| i * step).collect();
    let plot_width = WIDTH - LEFT - RIGHT;
    let slot = plot_width / chart.bars.len().max(1) as f64;
    let bar_width = slot * BAR_FILL;
    let bar_centres: Vec<f64> = (0..chart.bars.len())
        .map(|i| LEFT + slot * (i as f64 + 0.5))
        .collect();
    let legend_columns = ((plot_width / LEGEND_ITEM_WIDTH).floor() as usize).max(1);
    let legend_rows = chart.series.len().div_ceil(legend_columns);
    let mut layout = Layout {
        axis_max,
        ticks,
        segments: Vec::new(),
        bar_centres,
        bar_width,
        // One more row than the legend's: the focused bar's caption, above it.
        height: TOP + PLOT_HEIGHT + BELOW_PLOT + (legend_rows + 1) as f64 * LEGEND_ROW_HEIGHT + 8.0,
        legend_columns,
    };
    for (bar_index, bar) in chart.bars.iter().enumerate() {
        let mut below = 0;
        for (series, value) in bar.values.iter().enumerate() {
            let value = (*value).max(0);
            if value == 0 {
                continue;
            }
            let bottom = layout.y_of(below);
            below += value;
            let top = layout.y_of(below);
            layout.segments.push(Segment {
                bar: bar_index,
                series,
                value,
                x: layout.bar_centres[bar_index] - bar_width / 2.0,
                y: top,
                width: bar_width,
                height: bottom - top,
            });
        }
    }
    layout
}

/// A count as the French write it, digits grouped by three with a narrow no-break space:
/// `12 345`.
pub fn group_digits(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 * 3 + 1);
    if value < 0 {
        grouped.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('\u{202f}');
        }
        grouped.push(digit);
    }
    grouped
}

/// Whether a count takes the plural in French: from 2 on. Unlike English, French writes 0 and
/// 1 in the singular (« 0 startup », « 1 startup »); -1 likewise.
pub fn takes_plural(count: i64) -> bool {
    count.unsigned_abs() >= 2
}

/// A noun in its two forms, to write counts of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Noun {
    pub singular: &'static str,
    pub plural: &'static str,
}

impl Noun {
    /// The form that goes with `count` ([`takes_plural`]).
    pub fn form(&self, count: i64) -> &'static str {
        if takes_plural(count) {
            self.plural
        } else {
            self.singular
        }
    }

    /// `count` and the noun, as the French write them: `1 startup`, `1 234 startups`.
    pub fn count(&self, count: i64) -> String {
        format!("{} {}", group_digits(count), self.form(count))
    }
}

/// A coordinate as printed: one decimal is finer than any screen needs.
fn n(x: f64) -> String {
    let text = format!("{x:.1}");
    text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
}

/// A bar in words, its accessible name: its caption and total, then the value of each series
/// it holds, `31 décembre 2023 : 12 startups — Investigation : 3, Construction : 9`.
pub fn bar_summary(chart: &StackedBars, bar: &Bar) -> String {
    let mut summary = format!("{}\u{a0}: {}", bar.caption, chart.unit.count(bar.total()));
    let parts: Vec<String> = chart
        .series
        .iter()
        .zip(&bar.values)
        .filter(|(_, value)| **value > 0)
        .map(|(series, value)| format!("{}\u{a0}: {}", series.label, group_digits(*value)))
        .collect();
    if !parts.is_empty() {
        summary.push_str(" — ");
        summary.push_str(&parts.join(", "));
    }
    summary
}

/// The chart as an `<svg>` element, to be put straight into an HTML page. It is a group rather
/// than one image, so that its bars can take the focus; what only decorates or repeats the
/// bars' names (grid, axis titles, legend) is hidden from screen readers.
pub fn svg(chart: &StackedBars) -> Markup {
    let layout = layout(chart);
    let title_id = format!("{}-title", chart.id);
    let desc_id = format!("{}-desc", chart.id);
    let plot_bottom = layout.plot_bottom();
    html! {
        svg xmlns="http://www.w3.org/2000/svg" id=(chart.id) class="chart"
            viewBox=(format!("0 0 {} {}", n(WIDTH), n(layout.height)))
            role="group" aria-labelledby=(title_id) aria-describedby=(desc_id)
            font-family="system-ui, sans-serif" font-size="13" {
            title id=(title_id) { (chart.title) }
            desc id=(desc_id) { (chart.description) }
            rect width=(n(WIDTH)) height=(n(layout.height)) fill=(BACKGROUND) {}
            g class="grid" aria-hidden="true" {
                @for tick in &layout.ticks {
                    @let y = n(layout.y_of(*tick));
                    line x1=(n(LEFT)) x2=(n(WIDTH - RIGHT)) y1=(y) y2=(y) stroke=(GRID) stroke-width="1" {}
                    text x=(n(LEFT - 8.0)) y=(y) dy="0.32em" text-anchor="end" fill=(INK_SECONDARY) {
                        (group_digits(*tick))
                    }
                }
            }
            @if chart.bars.is_empty() {
                text x=(n(LEFT + (WIDTH - LEFT - RIGHT) / 2.0)) y=(n(TOP + PLOT_HEIGHT / 2.0))
                    text-anchor="middle" fill=(INK_MUTED) { "Aucune donnée" }
            }
            @for index in 0..chart.bars.len() {
                (bar(chart, &layout, index))
            }
            // At rest, the legend gives the last bar's figures (today's, on the landing page).
            @if let Some(last) = chart.bars.last() {
                (tip(chart, &layout, last, true))
            }
            g aria-hidden="true" {
                // The axis line, over the bars' edges.
                line x1=(n(LEFT)) x2=(n(WIDTH - RIGHT)) y1=(n(plot_bottom)) y2=(n(plot_bottom))
                    stroke=(INK_SECONDARY) stroke-width="1" {}
                text x=(n(LEFT + (WIDTH - LEFT - RIGHT) / 2.0)) y=(n(plot_bottom + 44.0))
                    text-anchor="middle" fill=(INK) { (chart.x_label) }
                text x="8" y=(n(TOP - 22.0)) text-anchor="start" fill=(INK) { (chart.y_label) }
            }
            (legend(chart, &layout))
        }
    }
}

/// Bar `index`: focusable and named in words, its segments each with a tooltip and parted by
/// a line of the background (so that each colour is seen against the background, not against
/// its neighbour), its total above, its label below, and its [`tip`].
fn bar(chart: &StackedBars, layout: &Layout, index: usize) -> Markup {
    let bar = &chart.bars[index];
    let total = bar.total();
    let top = layout.y_of(total);
    let centre = layout.bar_centres[index];
    let label_every = chart.bars.len().div_ceil(MAX_BAR_LABELS).max(1);
    html! {
        g class="bar" tabindex="0" role="img" aria-label=(bar_summary(chart, bar))
            data-label=(bar.label) data-total=(total) {
            rect class="ring" x=(n(centre - layout.bar_width / 2.0 - RING_GAP)) y=(n(top - RING_GAP))
                width=(n(layout.bar_width + 2.0 * RING_GAP))
                height=(n(layout.plot_bottom() - top + 2.0 * RING_GAP))
                fill="none" stroke=(FOCUS) stroke-width="2" visibility="hidden" {}
            @for segment in layout.segments.iter().filter(|s| s.bar == index) {
                @let series = &chart.series[segment.series];
                rect x=(n(segment.x)) y=(n(segment.y)) width=(n(segment.width))
                    height=(n(segment.height)) fill=(series.colour) stroke=(BACKGROUND) stroke-width="1"
                    data-series=(series.key) data-value=(segment.value) {
                    title {
                        (bar.caption) " — " (series.label) "\u{a0}: " (chart.unit.count(segment.value))
                    }
                }
            }
            @if total > 0 && layout.bar_width >= MIN_WIDTH_FOR_TOTALS {
                text class="total" x=(n(centre)) y=(n(top - RING_GAP - 4.0)) text-anchor="middle" font-size="11"
                    fill=(INK_SECONDARY) { (group_digits(total)) }
            }
            @if index.is_multiple_of(label_every) {
                text x=(n(centre)) y=(n(layout.plot_bottom() + 18.0)) text-anchor="middle" fill=(INK) {
                    (bar.label)
                }
            }
            (tip(chart, layout, bar, false))
        }
    }
}

/// A bar's figures as the legend gives them: its caption and total in the row above the legend,
/// and its value for each series in the series' legend entry. Nothing is drawn there but the
/// legend, so no later bar covers it. A bar's own is hidden until [`STYLE`] shows it, while the
/// bar has the focus or the pointer; screen readers have the bar's name instead.
fn tip(chart: &StackedBars, layout: &Layout, bar: &Bar, at_rest: bool) -> Markup {
    html! {
        g class="tip" visibility=(if at_rest { "visible" } else { "hidden" }) aria-hidden=[at_rest.then_some("true")] {
            text x=(n(LEFT)) y=(n(layout.legend_top() + 7.0)) dy="0.32em" font-weight="bold" fill=(INK) {
                (bar.caption) "\u{a0}: " (chart.unit.count(bar.total()))
            }
            @for (index, value) in bar.values.iter().enumerate().take(chart.series.len()) {
                @let (x, y) = layout.legend_item(index);
                text x=(n(x + LEGEND_VALUE_END)) y=(n(y + 7.0)) dy="0.32em"
                    text-anchor="end" font-weight="bold" fill=(INK) { (group_digits(*value)) }
            }
        }
    }
}

/// A swatch and a label per series, in stacking order.
fn legend(chart: &StackedBars, layout: &Layout) -> Markup {
    html! {
        g class="legend" aria-hidden="true" {
            @for (index, series) in chart.series.iter().enumerate() {
                @let (x, y) = layout.legend_item(index);
                g data-series=(series.key) {
                    rect x=(n(x)) y=(n(y)) width="14" height="14" fill=(series.colour) {}
                    text x=(n(x + LEGEND_LABEL_START)) y=(n(y + 7.0)) dy="0.32em" fill=(INK) { (series.label) }
                }
            }
        }
    }
}

/// The chart's figures as an HTML table: one row per bar, one column per series.
pub fn table(chart: &StackedBars) -> Markup {
    html! {
        table {
            caption { (chart.title) }
            thead {
                tr {
                    th scope="col" { (chart.x_label) }
                    @for series in &chart.series { th scope="col" { (series.label) } }
                    th scope="col" { "Total" }
                }
            }
            tbody {
                @for bar in &chart.bars {
                    tr {
                        th scope="row" { (bar.caption) }
                        @for value in &bar.values { td { (group_digits(*value)) } }
                        td { (group_digits(bar.total())) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STARTUP: Noun = Noun {
        singular: "startup",
        plural: "startups",
    };

    fn series(keys: &[&str]) -> Vec<Series> {
        keys.iter()
            .map(|key| Series {
                key: (*key).to_owned(),
                label: key.to_uppercase(),
                colour: "#000091",
            })
            .collect()
    }

    fn chart(keys: &[&str], bars: &[(&str, &[i64])]) -> StackedBars {
        StackedBars {
            id: "c".to_owned(),
            title: "Title".to_owned(),
            description: "Description".to_owned(),
            x_label: "Year".to_owned(),
            y_label: "Startups".to_owned(),
            unit: STARTUP,
            series: series(keys),
            bars: bars
                .iter()
                .map(|(label, values)| Bar {
                    label: (*label).to_owned(),
                    caption: format!("End of {label}"),
                    values: values.to_vec(),
                })
                .collect(),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn axis_tops_are_round_and_cover_the_tallest_bar() {
        assert_eq!(axis_scale(0), (1, 1));
        assert_eq!(axis_scale(1), (1, 1));
        assert_eq!(axis_scale(4), (4, 1));
        assert_eq!(axis_scale(7), (8, 2));
        assert_eq!(axis_scale(23), (25, 5));
        assert_eq!(axis_scale(100), (100, 20));
        assert_eq!(axis_scale(101), (150, 50));
        assert_eq!(axis_scale(86_421), (100_000, 20_000));
        let (top, step) = axis_scale(i64::MAX);
        assert!(top >= step && step > 0);
    }

    #[test]
    fn segment_heights_are_proportional_to_values() {
        let chart = chart(&["a", "b"], &[("2020", &[10, 30]), ("2021", &[20, 0])]);
        let layout = layout(&chart);
        assert_eq!(layout.axis_max, 40);
        let height = |bar, series| {
            layout
                .segments
                .iter()
                .find(|s| s.bar == bar && s.series == series)
                .map(|s| s.height)
        };
        let unit = PLOT_HEIGHT / 40.0;
        assert!(close(height(0, 0).unwrap(), 10.0 * unit));
        assert!(close(height(0, 1).unwrap(), 30.0 * unit));
        assert!(close(height(1, 0).unwrap(), 20.0 * unit));
        assert_eq!(height(1, 1), None, "a zero value draws nothing");
        // The tallest bar reaches the top of the axis, stacked without gaps from the axis line.
        let first: Vec<&Segment> = layout.segments.iter().filter(|s| s.bar == 0).collect();
        assert!(close(first[0].y + first[0].height, layout.plot_bottom()));
        assert!(close(first[1].y + first[1].height, first[0].y));
        assert!(close(first[1].y, TOP));
        // Bars do not overlap and stay in the plot.
        let bars: Vec<&Segment> = layout.segments.iter().filter(|s| s.series == 0).collect();
        assert!(bars[0].x + bars[0].width < bars[1].x);
        assert!(bars[0].x > LEFT && bars[1].x + bars[1].width < WIDTH - RIGHT);
    }

    #[test]
    fn every_series_is_in_the_legend_even_without_values() {
        let chart = chart(
            &["investigation", "construction", "abandon"],
            &[("2020", &[1, 0, 0])],
        );
        let svg = svg(&chart).into_string();
        let legend = &svg[svg.find("class=\"legend\"").expect("a legend")..];
        for series in &chart.series {
            assert!(
                legend.contains(&format!("data-series=\"{}\"", series.key)),
                "{}",
                series.key
            );
            assert!(legend.contains(&format!(">{}</text>", series.label)));
        }
    }

    #[test]
    fn one_titled_rect_per_non_zero_value() {
        let chart = chart(&["a", "b"], &[("2020", &[2, 3]), ("2021", &[0, 5])]);
        let svg = svg(&chart).into_string();
        assert_eq!(svg.matches("<g class=\"bar\"").count(), 2);
        assert_eq!(svg.matches("data-value=").count(), 3);
        assert!(svg.contains("<title>End of 2020 — B\u{a0}: 3 startups</title>"));
        assert!(svg.contains("data-label=\"2021\" data-total=\"5\""));
    }

    #[test]
    fn counts_of_one_or_none_are_singular() {
        for singular in [0, 1, -1] {
            assert!(!takes_plural(singular), "{singular}");
        }
        for plural in [2, -2, 10, 1_000, i64::MIN, i64::MAX] {
            assert!(takes_plural(plural), "{plural}");
        }
        assert_eq!(STARTUP.count(0), "0 startup");
        assert_eq!(STARTUP.count(1), "1 startup");
        assert_eq!(STARTUP.count(2), "2 startups");
        assert_eq!(STARTUP.count(1234), "1\u{202f}234 startups");
        assert_eq!(STARTUP.form(1), "startup");
        let chart = chart(&["a", "b"], &[("2020", &[1, 0])]);
        let svg = svg(&chart).into_string();
        assert!(
            svg.contains("<title>End of 2020 — A\u{a0}: 1 startup</title>"),
            "{svg}"
        );
        assert!(svg.contains(">End of 2020\u{a0}: 1 startup</text>"));
        assert!(!svg.contains("1 startups"));
    }

    #[test]
    fn each_bar_is_focusable_and_named_in_words() {
        let chart = chart(
            &["a", "b", "c"],
            &[("2020", &[2, 0, 1]), ("2021", &[0, 0, 0])],
        );
        assert_eq!(
            bar_summary(&chart, &chart.bars[0]),
            "End of 2020\u{a0}: 3 startups — A\u{a0}: 2, C\u{a0}: 1"
        );
        assert_eq!(
            bar_summary(&chart, &chart.bars[1]),
            "End of 2021\u{a0}: 0 startup"
        );
        let svg = svg(&chart).into_string();
        assert!(
            svg.contains("role=\"group\" aria-labelledby=\"c-title\" aria-describedby=\"c-desc\"")
        );
        assert_eq!(
            svg.matches("<g class=\"bar\" tabindex=\"0\" role=\"img\" aria-label=\"")
                .count(),
            2
        );
        assert!(
            svg.contains("aria-label=\"End of 2020\u{a0}: 3 startups — A\u{a0}: 2, C\u{a0}: 1\"")
        );
        assert!(svg.contains("class=\"legend\" aria-hidden=\"true\""));
    }

    #[test]
    fn a_bar_shows_its_figures_beside_the_legend_when_focused() {
        let chart = chart(&["a", "b", "c", "d"], &[("2020", &[2, 0, 1, 1234])]);
        let layout = layout(&chart);
        let svg = svg(&chart).into_string();
        let tip = &svg[svg
            .find("<g class=\"tip\" visibility=\"hidden\">")
            .expect("a hidden tip")..];
        let tip = &tip[..tip.find("</g>").expect("the tip's end")];
        assert!(
            tip.contains(">End of 2020\u{a0}: 1\u{202f}237 startups</text>"),
            "{tip}"
        );
        // A value per series, zeros too, in its legend entry, between the swatch and the label.
        for (index, value) in ["2", "0", "1", "1\u{202f}234"].iter().enumerate() {
            let (x, y) = layout.legend_item(index);
            let at = format!(
                "x=\"{}\" y=\"{}\" dy=\"0.32em\" text-anchor=\"end\" font-weight=\"bold\" fill=\"#161616\">{value}</text>",
                n(x + LEGEND_VALUE_END),
                n(y + 7.0)
            );
            assert!(tip.contains(&at), "{at} in {tip}");
        }
        // The legend wraps (three entries a row), below the row of the caption, inside the
        // drawing.
        assert_eq!(layout.legend_columns, 3);
        assert_eq!(
            layout.legend_item(0),
            (LEFT, layout.legend_top() + LEGEND_ROW_HEIGHT)
        );
        assert_eq!(layout.legend_item(3).0, LEFT);
        assert!(layout.legend_item(3).1 + LEGEND_ROW_HEIGHT <= layout.height);
        assert!(layout.legend_item(2).0 + LEGEND_ITEM_WIDTH <= WIDTH);
        // The style shows the tip and the focus ring of a focused or pointed bar.
        assert!(
            STYLE.contains(
                ".chart .bar:hover .tip, .chart .bar:focus .tip { visibility: visible; }"
            )
        );
        assert!(STYLE.contains(".chart .bar:focus .ring { visibility: visible; }"));
        assert!(svg.contains("class=\"ring\""));
    }

    #[test]
    fn at_rest_the_legend_gives_the_last_bars_figures() {
        let two = chart(&["a", "b"], &[("2020", &[2, 0]), ("2021", &[5, 1])]);
        let drawn = svg(&two).into_string();
        let resting = "<g class=\"tip\" visibility=\"visible\" aria-hidden=\"true\">";
        assert_eq!(drawn.matches(resting).count(), 1);
        let at = drawn.find(resting).unwrap();
        assert!(
            drawn[..at].contains("<g class=\"bar\""),
            "after the bars, as their sibling"
        );
        assert!(drawn[at..].contains(">End of 2021\u{a0}: 6 startups</text>"));
        assert!(STYLE.contains(
            ".chart .bar:hover ~ .tip, .chart .bar:focus ~ .tip { visibility: hidden; }"
        ));
        let empty = svg(&chart(&["a"], &[])).into_string();
        assert!(!empty.contains("class=\"tip\""), "{empty}");
    }

    #[test]
    fn marks_sit_on_the_background_the_colours_are_checked_against() {
        let chart = chart(&["a", "b"], &[("2020", &[2, 3])]);
        let svg = svg(&chart).into_string();
        let background = format!(
            "<rect width=\"960\" height=\"{}\" fill=\"{BACKGROUND}\"></rect>",
            n(layout(&chart).height)
        );
        let first_mark = svg.find("<g class=\"grid\"").expect("a grid");
        assert!(svg[..first_mark].contains(&background), "{svg}");
        assert_eq!(
            svg.matches(&format!(
                "stroke=\"{BACKGROUND}\" stroke-width=\"1\" data-series="
            ))
            .count(),
            2
        );
    }

    #[test]
    fn an_empty_chart_has_no_nan_and_says_so() {
        for chart in [chart(&[], &[]), chart(&["a"], &[("2020", &[0])])] {
            let layout = layout(&chart);
            assert!(layout.height.is_finite());
            assert!(layout.segments.is_empty());
            let svg = svg(&chart).into_string();
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        }
        assert!(
            svg(&chart(&["a"], &[]))
                .into_string()
                .contains("Aucune donnée")
        );
    }

    #[test]
    fn negative_values_draw_nothing() {
        let chart = chart(&["a", "b"], &[("2020", &[-5, 2])]);
        let layout = layout(&chart);
        assert_eq!(layout.segments.len(), 1);
        assert_eq!(chart.bars[0].total(), 2);
    }

    #[test]
    fn many_bars_get_fewer_labels() {
        let labels: Vec<String> = (1900..2000).map(|y| y.to_string()).collect();
        let bars: Vec<(&str, &[i64])> = labels.iter().map(|l| (l.as_str(), &[1][..])).collect();
        let svg = svg(&chart(&["a"], &bars)).into_string();
        let printed = labels
            .iter()
            .filter(|l| svg.contains(&format!(">{l}</text>")))
            .count();
        assert!(printed > 1 && printed <= MAX_BAR_LABELS, "{printed}");
    }

    #[test]
    fn text_is_escaped() {
        let mut chart = chart(&["a"], &[("<2020>", &[1])]);
        chart.title = "</title><script>alert(1)</script>".to_owned();
        chart.series[0].label = "R&D <b>".to_owned();
        chart.series[0].key = "\"onload=\"x".to_owned();
        chart.bars[0].caption = "<i>".to_owned();
        let svg = svg(&chart).into_string();
        assert!(!svg.contains("<script>") && !svg.contains("<b>") && !svg.contains("<i>"));
        assert!(svg.contains("&lt;/title&gt;&lt;script&gt;"));
        assert!(svg.contains("R&amp;D &lt;b&gt;"));
        assert!(svg.contains("data-series=\"&quot;onload=&quot;x\""));
        assert!(svg.contains("data-label=\"&lt;2020&gt;\""));
        let table = table(&chart).into_string();
        assert!(table.contains("<th scope=\"col\">R&amp;D &lt;b&gt;</th>"));
        assert!(table.contains("<th scope=\"row\">&lt;i&gt;</th>"));
    }

    #[test]
    fn the_table_has_a_row_per_bar_and_totals() {
        let chart = chart(&["a", "b"], &[("2020", &[2, 3]), ("2021", &[0, 5])]);
        let table = table(&chart).into_string();
        assert_eq!(table.matches("<th scope=\"row\">").count(), 2);
        assert!(table.contains("<td>2</td><td>3</td><td>5</td>"));
        assert!(table.contains("<td>0</td><td>5</td><td>5</td>"));
    }

    #[test]
    fn counts_are_grouped_by_three() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1\u{202f}000");
        assert_eq!(group_digits(100_000), "100\u{202f}000");
        assert_eq!(group_digits(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(group_digits(-12_345), "-12\u{202f}345");
        assert_eq!(
            group_digits(i64::MIN)
                .chars()
                .filter(char::is_ascii_digit)
                .count(),
            19
        );
    }

    #[test]
    fn totals_only_over_bars_wide_enough() {
        let few = chart(&["a"], &[("2020", &[1234])]);
        let few = svg(&few).into_string();
        let total = &few[few.find("class=\"total\"").expect("a total")..];
        let total = &total[..total.find("</text>").expect("a text")];
        assert!(total.ends_with(">1\u{202f}234"), "{total}");
        let labels: Vec<String> = (1900..2000).map(|y| y.to_string()).collect();
        let bars: Vec<(&str, &[i64])> = labels.iter().map(|l| (l.as_str(), &[7][..])).collect();
        assert!(
            !svg(&chart(&["a"], &bars))
                .into_string()
                .contains("class=\"total\"")
        );
    }

    #[test]
    fn coordinates_print_short() {
        assert_eq!(n(12.0), "12");
        assert_eq!(n(12.25), "12.2");
        assert_eq!(n(320.04), "320");
    }
}
