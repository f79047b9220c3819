//! SVG charts of evaluation results: a labelled scatter plot, grouped horizontal bars per class, and a
//! confusion-matrix heatmap. Each function returns the text of a self-contained SVG image.
//!
//! Charts are drawn with plotters' SVG backend, which writes text as SVG `<text>` and needs no font files, so
//! the layout here sizes margins from an estimate of the text width (0.6 em per character, generous for
//! proportional sans-serif fonts). Category labels are drawn horizontally (bars, heatmap rows) or rotated a
//! quarter turn (heatmap columns), so charts of up to a few dozen classes stay readable.
//!
//! [`PngRenderer`] turns such an SVG into a PNG (resvg, pure Rust). Text needs a font file: it uses the
//! system's fonts, and where there are none it cannot be made (see [`PngRenderer::with_system_fonts`]).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::io;

/// One point of a scatter plot, drawn with its label beside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub label: String,
    pub x: f64,
    pub y: f64,
}

/// One series of a bar chart: a name (in the legend) and one value per category.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// Colors of series and points, in order (Tableau 10), cycling past ten.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
];

/// The color of series or point `i`.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The color as CSS `#rrggbb`, for legends outside the SVG.
pub fn css_color(i: usize) -> String {
    let RGBColor(r, g, b) = color(i);
    format!("#{r:02x}{g:02x}{b:02x}")
}

const FAMILY: &str = "sans-serif";
const LABEL_PX: f64 = 12.0;
const TITLE_PX: f64 = 16.0;

/// A font of `px` pixels as it shows in the SVG (plotters writes `size / 1.24` as the font size).
fn font(px: f64) -> TextStyle<'static> {
    TextStyle::from((FAMILY, px * 1.24).into_font())
}

/// Estimated width in pixels of `text` at `px` pixels.
fn text_width(text: &str, px: f64) -> u32 {
    (text.chars().count() as f64 * px * 0.6).ceil() as u32
}

fn widest(labels: &[String], px: f64) -> u32 {
    labels.iter().map(|l| text_width(l, px)).max().unwrap_or(0)
}

fn svg_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("drawing a chart: {e}"))
}

/// Draws into a fresh SVG of `size` pixels and returns its text.
fn render(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> io::Result<()>,
) -> io::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(svg_error)?;
        draw(&root)?;
        root.present().map_err(svg_error)?;
    }
    Ok(svg)
}

/// Draws `text` at pixel `pos` of `area`, anchored as `anchor` says.
fn text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    pos: (i32, i32),
    style: TextStyle<'_>,
    anchor: (HPos, VPos),
) -> io::Result<()> {
    let style = style.pos(Pos::new(anchor.0, anchor.1));
    area.draw(&Text::new(text.to_string(), pos, style))
        .map_err(svg_error)
}

/// A scatter plot with a logarithmic x axis (e.g. seconds, which differ by orders of magnitude between
/// algorithms) and a linear y axis fitted to the points within `y_bounds` (e.g. accuracy, within 0–1).
/// Labels stand in a column right of the plot, each joined to its point by a line, so that points close
/// together keep readable labels.
pub fn scatter_log_x(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    y_bounds: (f64, f64),
    points: &[Point],
) -> io::Result<String> {
    let x_of = |p: &Point| p.x.max(1e-6);
    let (x_min, x_max) = points.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), p| {
        (lo.min(x_of(p)), hi.max(x_of(p)))
    });
    // Room on both sides; a range narrower than a decade widens to whole decades, so that the axis has at
    // least two labelled ticks.
    let (x_min, x_max) = if points.is_empty() {
        (0.1, 10.0)
    } else if x_max / x_min >= 10.0 {
        (x_min / 1.5, x_max * 1.5)
    } else {
        (
            10f64.powf((x_min / 1.5).log10().floor()),
            10f64.powf((x_max * 1.5).log10().ceil()),
        )
    };
    let (y_min, y_max) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.y), hi.max(p.y))
        });
    let (y_min, y_max) = if points.is_empty() {
        y_bounds
    } else {
        let pad = ((y_max - y_min) * 0.15).max(0.01);
        ((y_min - pad).max(y_bounds.0), (y_max + pad).min(y_bounds.1))
    };
    let labels: Vec<String> = points.iter().map(|p| p.label.clone()).collect();
    let label_column = widest(&labels, LABEL_PX) as i32 + 50;
    let (width, height) = (620 + label_column as u32, 440u32);
    render((width, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, font(TITLE_PX))
            .margin(16)
            .margin_right(label_column as u32)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d((x_min..x_max).log_scale(), y_min..y_max)
            .map_err(svg_error)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .label_style(font(LABEL_PX))
            .axis_desc_style(font(LABEL_PX + 1.0))
            .y_labels(8)
            .max_light_lines(1)
            .x_label_formatter(&|x| format_seconds(*x))
            .y_label_formatter(&|y| format!("{y:.3}"))
            .light_line_style(RGBColor(0xf2, 0xf2, 0xf2))
            .draw()
            .map_err(svg_error)?;
        let pixel: Vec<(i32, i32)> = points
            .iter()
            .map(|p| chart.backend_coord(&(x_of(p), p.y)))
            .collect();
        // Label rows: at their points' heights where possible, pushed apart to one line each, kept inside.
        let line = LABEL_PX as i32 + 4;
        let mut order: Vec<usize> = (0..points.len()).collect();
        order.sort_by_key(|&i| (pixel[i].1, -pixel[i].0, i));
        let mut rows: Vec<i32> = Vec::with_capacity(order.len());
        for &i in &order {
            let y = rows
                .last()
                .map_or(pixel[i].1, |&above| pixel[i].1.max(above + line));
            rows.push(y);
        }
        let mut limit = height as i32 - 60;
        for y in rows.iter_mut().rev() {
            *y = (*y).min(limit);
            limit = *y - line;
        }
        let label_x = width as i32 - label_column + 24;
        for (&i, &y) in order.iter().zip(&rows) {
            let ink = color(i);
            root.draw(&PathElement::new(
                vec![(pixel[i].0 + 7, pixel[i].1), (label_x - 4, y)],
                ink.mix(0.6).stroke_width(1),
            ))
            .map_err(svg_error)?;
            text(
                root,
                &points[i].label,
                (label_x, y),
                font(LABEL_PX).color(&ink),
                (HPos::Left, VPos::Center),
            )?;
        }
        chart
            .draw_series(
                points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| Circle::new((x_of(p), p.y), 6, color(i).mix(0.85).filled())),
            )
            .map_err(svg_error)?;
        Ok(())
    })
}

/// Seconds as a short tick label: `0.001`, `0.5`, `3`, `120`.
fn format_seconds(s: f64) -> String {
    if s >= 10.0 {
        return format!("{s:.0}");
    }
    let decimals = if s >= 1.0 {
        1
    } else {
        (-s.log10()).ceil().max(1.0) as usize
    };
    let text = format!("{s:.decimals$}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Horizontal bars, one group per category (top to bottom in the order given) and one bar per series within
/// a group, on a 0–1 scale (F1, precision, recall). With one series each bar shows its value.
pub fn grouped_bars(
    title: &str,
    value_desc: &str,
    categories: &[String],
    series: &[Series],
) -> io::Result<String> {
    let n = categories.len().max(1);
    let m = series.len().max(1);
    let bar = if m == 1 {
        16
    } else {
        (28 / m as u32).clamp(5, 9)
    };
    let gap = 8;
    let group = m as u32 * bar + gap;
    let label_width = widest(categories, LABEL_PX) + 12;
    let legend_height = if series.len() > 1 { 24 } else { 0 };
    let (top, bottom) = (40 + legend_height, 48);
    let plot_width = 520;
    let width = label_width + plot_width + 50;
    let height = top + n as u32 * group + bottom;
    render((width, height), |root| {
        text(
            root,
            title,
            (width as i32 / 2, 10),
            font(TITLE_PX),
            (HPos::Center, VPos::Top),
        )?;
        // The legend: one swatch and name per series, in a row under the title.
        let mut x = label_width as i32;
        for (s, item) in series.iter().enumerate().filter(|_| series.len() > 1) {
            let y = 40;
            root.draw(&Rectangle::new(
                [(x, y), (x + 12, y + 12)],
                color(s).filled(),
            ))
            .map_err(svg_error)?;
            text(
                root,
                &item.name,
                (x + 16, y + 6),
                font(LABEL_PX),
                (HPos::Left, VPos::Center),
            )?;
            x += 16 + text_width(&item.name, LABEL_PX) as i32 + 18;
        }
        let area = root.margin(top, 0, 0, 30);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(bottom)
            .y_label_area_size(label_width)
            .build_cartesian_2d(0.0..1.0, 0.0..(n as f64 * group as f64))
            .map_err(svg_error)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(11)
            .max_light_lines(1)
            .x_desc(value_desc)
            .label_style(font(LABEL_PX))
            .axis_desc_style(font(LABEL_PX + 1.0))
            .x_label_formatter(&|x| format!("{x:.1}"))
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .draw()
            .map_err(svg_error)?;
        let total = n as f64 * group as f64;
        for (c, category) in categories.iter().enumerate() {
            // Group c spans [total - (c+1)·group, total - c·group) in bar units, top to bottom.
            let group_top = total - (c as f64) * group as f64 - gap as f64 / 2.0;
            for (s, item) in series.iter().enumerate() {
                let value = item.values.get(c).copied().unwrap_or(0.0).clamp(0.0, 1.0);
                let y0 = group_top - (s as f64) * bar as f64;
                let y1 = y0 - bar as f64;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(0.0, y0), (value, y1)],
                        color(s).filled(),
                    )))
                    .map_err(svg_error)?;
                if series.len() == 1 {
                    let (px, py) = chart.backend_coord(&(value, (y0 + y1) / 2.0));
                    text(
                        root,
                        &format!("{value:.3}"),
                        (px + 4, py),
                        font(LABEL_PX - 1.0),
                        (HPos::Left, VPos::Center),
                    )?;
                }
            }
            let middle = group_top - (m as f64 * bar as f64) / 2.0;
            let (px, py) = chart.backend_coord(&(0.0, middle));
            text(
                root,
                category,
                (px - 6, py),
                font(LABEL_PX),
                (HPos::Right, VPos::Center),
            )?;
        }
        Ok(())
    })
}

/// A confusion-matrix heatmap: rows are true labels, columns predicted ones, in the order of `labels`. A
/// cell's shade is its share of the row (so small classes show as clearly as large ones) and its number is
/// the count of documents.
pub fn confusion_heatmap(
    title: &str,
    labels: &[String],
    confusion: &[Vec<usize>],
) -> io::Result<String> {
    let k = labels.len().max(1);
    let cell = (600 / k as u32).clamp(16, 48);
    let row_labels = widest(labels, LABEL_PX) + 34;
    let column_labels = widest(labels, LABEL_PX) + 12;
    let top = 58;
    let grid = k as u32 * cell;
    let width = (row_labels + grid + 30).max(text_width(title, TITLE_PX) + 40);
    let height = top + grid + column_labels + 30;
    render((width, height), |root| {
        text(
            root,
            title,
            (width as i32 / 2, 10),
            font(TITLE_PX),
            (HPos::Center, VPos::Top),
        )?;
        text(
            root,
            "rows: true label; columns: predicted; shade: share of the row; numbers: documents",
            (width as i32 / 2, 34),
            font(LABEL_PX - 1.0).color(&RGBColor(0x55, 0x55, 0x55)),
            (HPos::Center, VPos::Top),
        )?;
        let (x0, y0) = (row_labels as i32, top as i32);
        let c = cell as i32;
        let number_px = (cell as f64 * 0.42).min(LABEL_PX);
        for (t, row) in confusion.iter().enumerate() {
            let row_total: usize = row.iter().sum();
            for (p, &count) in row.iter().enumerate() {
                let share = if row_total == 0 {
                    0.0
                } else {
                    count as f64 / row_total as f64
                };
                let (x, y) = (x0 + p as i32 * c, y0 + t as i32 * c);
                root.draw(&Rectangle::new(
                    [(x, y), (x + c, y + c)],
                    shade(share).filled(),
                ))
                .map_err(svg_error)?;
                // Wide counts get a smaller font rather than none; below 6 px they would not be read.
                let digits = count.to_string();
                let px = number_px.min((c - 3) as f64 / (digits.len() as f64 * 0.6));
                if count > 0 && px >= 6.0 {
                    let ink = if share > 0.5 { WHITE } else { BLACK };
                    text(
                        root,
                        &digits,
                        (x + c / 2, y + c / 2),
                        font(px).color(&ink),
                        (HPos::Center, VPos::Center),
                    )?;
                }
            }
        }
        let grey = RGBColor(0xbb, 0xbb, 0xbb);
        root.draw(&Rectangle::new(
            [(x0, y0), (x0 + k as i32 * c, y0 + k as i32 * c)],
            grey.stroke_width(1),
        ))
        .map_err(svg_error)?;
        for (i, label) in labels.iter().enumerate() {
            let middle = i as i32 * c + c / 2;
            text(
                root,
                label,
                (x0 - 6, y0 + middle),
                font(LABEL_PX),
                (HPos::Right, VPos::Center),
            )?;
            text(
                root,
                label,
                (x0 + middle, y0 + k as i32 * c + 6),
                font(LABEL_PX).transform(FontTransform::Rotate270),
                (HPos::Right, VPos::Center),
            )?;
        }
        text(
            root,
            "true label",
            (12, y0 + k as i32 * c / 2),
            font(LABEL_PX + 1.0).transform(FontTransform::Rotate270),
            (HPos::Center, VPos::Center),
        )?;
        text(
            root,
            "predicted",
            (x0 + k as i32 * c / 2, height as i32 - 6),
            font(LABEL_PX + 1.0),
            (HPos::Center, VPos::Bottom),
        )?;
        Ok(())
    })
}

/// Renders SVG charts as PNG images, drawing their text with a system font (cargo feature `png`).
#[cfg(feature = "png")]
pub struct PngRenderer {
    options: resvg::usvg::Options<'static>,
}

#[cfg(feature = "png")]
/// Sans-serif families tried first, in order, for the charts' `sans-serif` text.
const SANS_SERIF: [&str; 7] = [
    "DejaVu Sans",
    "Liberation Sans",
    "Noto Sans",
    "Arial",
    "Helvetica",
    "FreeSans",
    "Roboto",
];

#[cfg(feature = "png")]
impl PngRenderer {
    /// A renderer with the system's fonts (the usual font folders of Linux, macOS and Windows), or `None`
    /// when there is no font at all: without one a chart's labels would be missing, and a chart without its
    /// labels is worse than none.
    pub fn with_system_fonts() -> Option<PngRenderer> {
        let mut db = resvg::usvg::fontdb::Database::new();
        db.load_system_fonts();
        let has = |family: &str| {
            db.faces()
                .any(|f| f.families.iter().any(|(name, _)| name == family))
        };
        let family = SANS_SERIF
            .iter()
            .find(|f| has(f))
            .map(|f| f.to_string())
            .or_else(|| {
                let proportional = db.faces().find(|f| !f.monospaced).or(db.faces().next());
                proportional.and_then(|f| f.families.first().map(|(name, _)| name.clone()))
            })?;
        db.set_sans_serif_family(family.clone());
        Some(PngRenderer {
            options: resvg::usvg::Options {
                font_family: family,
                fontdb: std::sync::Arc::new(db),
                ..resvg::usvg::Options::default()
            },
        })
    }

    /// The family that draws the charts' text.
    pub fn font_family(&self) -> &str {
        &self.options.font_family
    }

    /// The PNG image of `svg`, `scale` times its size in pixels (2 for sharp text on high-density screens).
    pub fn render(&self, svg: &str, scale: f32) -> io::Result<Vec<u8>> {
        let tree = resvg::usvg::Tree::from_str(svg, &self.options)
            .map_err(|e| io::Error::other(format!("reading the SVG: {e}")))?;
        let size = tree.size().to_int_size().scale_by(scale).ok_or_else(|| {
            io::Error::other(format!(
                "a chart of {}×{} pixels cannot be scaled by {scale}",
                tree.size().width(),
                tree.size().height()
            ))
        })?;
        let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
            .ok_or_else(|| io::Error::other(format!("an image of {size:?} pixels")))?;
        resvg::render(
            &tree,
            resvg::tiny_skia::Transform::from_scale(scale, scale),
            &mut pixmap.as_mut(),
        );
        pixmap
            .encode_png()
            .map_err(|e| io::Error::other(format!("encoding the PNG: {e}")))
    }
}

/// White for 0 through to dark blue for 1.
fn shade(share: f64) -> RGBColor {
    let (light, dark) = ((0xf7, 0xfb, 0xff), (0x08, 0x30, 0x6b));
    let mix =
        |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * share.clamp(0.0, 1.0)).round() as u8;
    RGBColor(
        mix(light.0, dark.0),
        mix(light.1, dark.1),
        mix(light.2, dark.2),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn heatmap_holds_every_label_and_count_and_escapes_markup() {
        let svg = confusion_heatmap(
            "confusion",
            &names(&["a&b", "<c>"]),
            &[vec![7, 1], vec![0, 3]],
        )
        .unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("a&amp;b") && svg.contains("&lt;c&gt;"));
        for count in ["7", "1", "3"] {
            assert!(svg.contains(&format!(">\n{count}\n<")) || svg.contains(&format!(">{count}<")));
        }
        assert!(svg.contains("rotate(270"));
    }

    #[test]
    fn bars_label_every_category_and_name_every_series() {
        let series = vec![
            Series {
                name: "svm".into(),
                values: vec![0.5, 1.0, 0.25],
            },
            Series {
                name: "nb".into(),
                values: vec![0.1, 0.2, 0.3],
            },
        ];
        let svg = grouped_bars("F1", "F1", &names(&["x", "y", "z"]), &series).unwrap();
        for label in ["x", "y", "z", "svm", "nb"] {
            assert!(svg.contains(&format!("\n{label}\n")), "{label} missing");
        }
        // One rectangle per bar, plus the background and two legend swatches at least.
        assert!(svg.matches("<rect").count() >= 6 + 3);
    }

    #[test]
    fn scatter_labels_points() {
        let points = vec![
            Point {
                label: "logreg".into(),
                x: 2.5,
                y: 0.9,
            },
            Point {
                label: "nb".into(),
                x: 0.05,
                y: 0.8,
            },
        ];
        let svg = scatter_log_x("t", "seconds", "accuracy", (0.0, 1.0), &points).unwrap();
        assert!(svg.contains("\nlogreg\n") && svg.contains("\nnb\n"));
        assert_eq!(svg.matches("<circle").count(), 2);
    }

    #[cfg(feature = "png")]
    #[test]
    fn png_charts_have_their_size_and_ink() {
        // Machines without any font cannot draw text; everything else must.
        let Some(renderer) = PngRenderer::with_system_fonts() else {
            return;
        };
        let svg = confusion_heatmap("t", &names(&["a", "b"]), &[vec![3, 1], vec![0, 2]]).unwrap();
        let png = renderer.render(&svg, 2.0).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let svg_width: u32 = svg
            .split("width=\"")
            .nth(1)
            .and_then(|w| w.split('"').next())
            .and_then(|w| w.parse().ok())
            .unwrap();
        assert_eq!(width, 2 * svg_width);
        let text_less =
            confusion_heatmap("", &names(&["", ""]), &[vec![0, 0], vec![0, 0]]).unwrap();
        assert_ne!(
            renderer.render(&text_less, 2.0).unwrap().len(),
            png.len(),
            "labels and counts leave ink"
        );
    }

    #[test]
    fn seconds_ticks_are_short() {
        assert_eq!(format_seconds(0.5), "0.5");
        assert_eq!(format_seconds(3.0), "3");
        assert_eq!(format_seconds(120.0), "120");
        assert_eq!(format_seconds(0.01), "0.01");
        assert_eq!(format_seconds(0.0001), "0.0001");
        assert_eq!(format_seconds(0.002), "0.002");
        assert_eq!(format_seconds(2.5), "2.5");
    }
}
