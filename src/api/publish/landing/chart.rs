//! A stacked bar chart drawn as inline SVG, for pages that must work without JavaScript.
//!
//! [`layout`] does the geometry (plain numbers, unit-tested); [`svg`] and [`table`] only print
//! it, through maud, which escapes every text and attribute. Each bar segment carries a
//! `<title>` that screen readers and tooltips show, and [`table`] gives the same figures as a
//! table for those who cannot see the picture.

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
const LEGEND_ITEM_WIDTH: f64 = 210.0;
const LEGEND_ROW_HEIGHT: f64 = 24.0;
/// At most this many bar labels are printed; the others are skipped evenly.
const MAX_BAR_LABELS: usize = 24;
/// Bar width as a share of the room each bar has.
const BAR_FILL: f64 = 0.7;
/// Totals are printed over bars at least this wide, where they fit.
const MIN_WIDTH_FOR_TOTALS: f64 = 36.0;

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
    /// What a value counts, after the number in tooltips ("startups").
    pub unit: String,
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
        height: TOP + PLOT_HEIGHT + BELOW_PLOT + legend_rows as f64 * LEGEND_ROW_HEIGHT + 8.0,
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

/// A coordinate as printed: one decimal is finer than any screen needs.
fn n(x: f64) -> String {
    let text = format!("{x:.1}");
    text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
}

/// The chart as an `<svg>` element, to be put straight into an HTML page.
pub fn svg(chart: &StackedBars) -> Markup {
    let layout = layout(chart);
    let title_id = format!("{}-title", chart.id);
    let desc_id = format!("{}-desc", chart.id);
    let plot_bottom = layout.plot_bottom();
    let label_every = chart.bars.len().div_ceil(MAX_BAR_LABELS).max(1);
    let legend_top = plot_bottom + BELOW_PLOT;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" id=(chart.id) class="chart"
            viewBox=(format!("0 0 {} {}", n(WIDTH), n(layout.height)))
            role="img" aria-labelledby=(format!("{title_id} {desc_id}"))
            font-family="system-ui, sans-serif" font-size="13" {
            title id=(title_id) { (chart.title) }
            desc id=(desc_id) { (chart.description) }
            g class="grid" aria-hidden="true" {
                @for tick in &layout.ticks {
                    @let y = n(layout.y_of(*tick));
                    line x1=(n(LEFT)) x2=(n(WIDTH - RIGHT)) y1=(y) y2=(y)
                        stroke=(if *tick == 0 { "#3a3a3a" } else { "#dddddd" }) stroke-width="1" {}
                    text x=(n(LEFT - 8.0)) y=(y) dy="0.32em" text-anchor="end" fill="#3a3a3a" {
                        (group_digits(*tick))
                    }
                }
            }
            @if chart.bars.is_empty() {
                text x=(n(LEFT + (WIDTH - LEFT - RIGHT) / 2.0)) y=(n(TOP + PLOT_HEIGHT / 2.0))
                    text-anchor="middle" fill="#666666" { "Aucune donnée" }
            }
            @for (index, bar) in chart.bars.iter().enumerate() {
                g class="bar" data-label=(bar.label) data-total=(bar.total()) {
                    @for segment in layout.segments.iter().filter(|s| s.bar == index) {
                        @let series = &chart.series[segment.series];
                        rect x=(n(segment.x)) y=(n(segment.y)) width=(n(segment.width))
                            height=(n(segment.height)) fill=(series.colour)
                            data-series=(series.key) data-value=(segment.value) {
                            title {
                                (bar.caption) " — " (series.label) "\u{a0}: " (group_digits(segment.value))
                                " " (chart.unit)
                            }
                        }
                    }
                    @if bar.total() > 0 && layout.bar_width >= MIN_WIDTH_FOR_TOTALS {
                        text x=(n(layout.bar_centres[index])) y=(n(layout.y_of(bar.total()) - 4.0))
                            text-anchor="middle" font-size="11" fill="#3a3a3a" aria-hidden="true" {
                            (group_digits(bar.total()))
                        }
                    }
                    @if index % label_every == 0 {
                        text x=(n(layout.bar_centres[index])) y=(n(plot_bottom + 18.0))
                            text-anchor="middle" fill="#161616" { (bar.label) }
                    }
                }
            }
            text x=(n(LEFT + (WIDTH - LEFT - RIGHT) / 2.0)) y=(n(plot_bottom + 44.0))
                text-anchor="middle" fill="#161616" { (chart.x_label) }
            text x="8" y=(n(TOP - 22.0)) text-anchor="start" fill="#161616" { (chart.y_label) }
            g class="legend" {
                @for (index, series) in chart.series.iter().enumerate() {
                    @let x = LEFT + (index % layout.legend_columns) as f64 * LEGEND_ITEM_WIDTH;
                    @let y = legend_top + (index / layout.legend_columns) as f64 * LEGEND_ROW_HEIGHT;
                    g data-series=(series.key) {
                        rect x=(n(x)) y=(n(y)) width="14" height="14" fill=(series.colour) {}
                        text x=(n(x + 20.0)) y=(n(y + 7.0)) dy="0.32em" fill="#161616" {
                            (series.label)
                        }
                    }
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
            unit: "startups".to_owned(),
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
        assert!(svg(&few).into_string().contains(">1\u{202f}234</text>"));
        let labels: Vec<String> = (1900..2000).map(|y| y.to_string()).collect();
        let bars: Vec<(&str, &[i64])> = labels.iter().map(|l| (l.as_str(), &[7][..])).collect();
        assert!(
            !svg(&chart(&["a"], &bars))
                .into_string()
                .contains(">7</text>")
        );
    }

    #[test]
    fn coordinates_print_short() {
        assert_eq!(n(12.0), "12");
        assert_eq!(n(12.25), "12.2");
        assert_eq!(n(320.04), "320");
    }
}
