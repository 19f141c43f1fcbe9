//! `--plot FILE.svg`: bits per byte per file, one colour of mark per compressor, the
//! empirical H0 of each file as a dashed line, and the exact source entropy (generated
//! files) as a black bar.

use std::path::Path;

use plotters::prelude::*;

use super::{Document, Row};

/// Colours of the compressors, in turn (Tableau 10, then two dark ones).
const COLOURS: [RGBColor; 12] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x00, 0x60, 0x60),
    RGBColor(0x39, 0x3b, 0x79),
];

fn colour(i: usize) -> RGBColor {
    COLOURS[i % COLOURS.len()]
}

/// Width of the legend column, pixels.
const LEGEND: u32 = 230;

pub(crate) fn write(path: &Path, doc: &Document) -> Result<(), String> {
    // Files in order of first appearance.
    let mut files: Vec<&Row> = Vec::new();
    for r in &doc.rows {
        if !files.iter().any(|f| f.path == r.path) {
            files.push(r);
        }
    }
    if files.is_empty() {
        return Err("nothing to plot".into());
    }
    let several = files.iter().any(|f| f.corpus != files[0].corpus);
    let labels: Vec<String> = files
        .iter()
        .map(|f| {
            if several {
                format!("{}/{}", f.corpus, f.file)
            } else {
                f.file.clone()
            }
        })
        .collect();
    let n = files.len() as i32;
    let ymax = doc
        .rows
        .iter()
        .map(|r| r.bits_per_byte.max(r.empirical_entropy_bpb[0]))
        .fold(1.0f64, f64::max)
        * 1.08;
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(4) as u32;
    let width = (48 * n as u32 + 120).max(640);
    let height = 620 + 7 * longest;

    let err = |e: &dyn std::fmt::Display| e.to_string();
    let root = SVGBackend::new(path, (width + LEGEND, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (plot, legend) = root.split_horizontally(width);
    let title = match &doc.rows[0].corpus {
        c if !several => format!("Bits per byte per file, {c} (lower is better)"),
        _ => "Bits per byte per file (lower is better)".to_string(),
    };
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(20 + 7 * longest)
        .y_label_area_size(60)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..ymax)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(files.len() + 1)
        // File names are drawn below, rotated, starting at their tick.
        .x_label_formatter(&|_| String::new())
        .light_line_style(WHITE)
        .y_desc("bits per byte")
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .map_err(|e| err(&e))?;

    let at = |i: usize| SegmentValue::CenterOf(i as i32);
    let name_font = ("sans-serif", 13)
        .into_font()
        .transform(FontTransform::Rotate90);
    for (i, label) in labels.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(at(i), 0.0));
        plot.draw(&Text::new(
            label.clone(),
            (x - 6, y + 10),
            name_font.clone(),
        ))
        .map_err(|e| err(&e))?;
    }
    // H0 of every file: a grey bar.
    let grey = RGBColor(150, 150, 150);
    chart
        .draw_series(files.iter().enumerate().map(|(i, f)| {
            EmptyElement::at((at(i), f.empirical_entropy_bpb[0]))
                + PathElement::new(vec![(-18, 0), (18, 0)], grey.stroke_width(3))
        }))
        .map_err(|e| err(&e))?;
    // The exact entropy of generated sources.
    let known: Vec<_> = files
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.source_entropy_bpb.map(|s| (at(i), s)))
        .collect();
    let any_known = !known.is_empty();
    if any_known {
        chart
            .draw_series(known.into_iter().map(|c| {
                EmptyElement::at(c)
                    + PathElement::new(vec![(-10, 0), (10, 0)], BLACK.stroke_width(3))
            }))
            .map_err(|e| err(&e))?;
    }
    // One colour per compressor, circles for kraft and triangles for the peers; marks
    // spread a little sideways so they do not hide each other.
    let k = doc.compressors.len();
    let is_peer = |name: &str| {
        doc.rows
            .iter()
            .any(|r| r.compressor == name && r.kind == "peer")
    };
    for (ci, name) in doc.compressors.iter().enumerate() {
        let colour = colour(ci);
        let dx = (ci as i32 - k as i32 / 2) * 3;
        let points: Vec<_> = files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                doc.rows
                    .iter()
                    .find(|r| r.path == f.path && &r.compressor == name)
                    .map(|r| (at(i), r.bits_per_byte))
            })
            .collect();
        if is_peer(name) {
            chart.draw_series(points.into_iter().map(move |c| {
                EmptyElement::at(c) + TriangleMarker::new((dx, 0), 5, colour.filled())
            }))
        } else {
            chart.draw_series(
                points
                    .into_iter()
                    .map(move |c| EmptyElement::at(c) + Circle::new((dx, 0), 4, colour.filled())),
            )
        }
        .map_err(|e| err(&e))?;
    }
    // The legend, in its own column to the right of the chart.
    enum Mark {
        Bar,
        Circle,
        Triangle,
    }
    let mut entries: Vec<(RGBColor, Mark, String)> =
        vec![(grey, Mark::Bar, "H0 (empirical, order 0)".into())];
    if any_known {
        entries.push((BLACK, Mark::Bar, "source entropy (exact)".into()));
    }
    for (ci, name) in doc.compressors.iter().enumerate() {
        let mark = if is_peer(name) {
            Mark::Triangle
        } else {
            Mark::Circle
        };
        entries.push((colour(ci), mark, name.clone()));
    }
    let font = ("sans-serif", 14).into_font();
    for (i, (colour, mark, text)) in entries.into_iter().enumerate() {
        let y = 60 + 22 * i as i32;
        match mark {
            Mark::Bar => legend.draw(&PathElement::new(
                vec![(4, y), (24, y)],
                colour.stroke_width(3),
            )),
            Mark::Circle => legend.draw(&Circle::new((14, y), 5, colour.filled())),
            Mark::Triangle => legend.draw(&TriangleMarker::new((14, y), 6, colour.filled())),
        }
        .map_err(|e| err(&e))?;
        legend
            .draw(&Text::new(text, (34, y - 8), font.clone()))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
