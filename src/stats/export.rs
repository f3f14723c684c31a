//! The report and the rates as tables with Vietnamese headings, written as CSV (UTF-8, with
//! a byte-order mark so spreadsheet programs read the diacritics; commas, or semicolons and
//! decimal commas as Excel set to Vietnamese reads them) or XLSX (a sheet for the total and
//! one for the grouping, each under a title, the unit and the period, with the headings
//! frozen). The rates are one row per unit or group, each rate as numerator, denominator
//! and percentage.

use serde::Deserialize;
use utoipa::ToSchema;

use super::model::{Rate, Rates, Report};
use super::reference::GroupBy;

/// How a figure is sent back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Json,
    Csv,
    /// CSV with `;` between fields and decimal commas (what Excel set to Vietnamese reads).
    CsvSemicolon,
    Xlsx,
}

/// What heads each sheet of a download: the title, the unit, the period as a person reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    pub title: String,
    pub unit: String,
    /// E.g. "Năm 2025 (từ ngày 01/01/2025 đến hết ngày 31/12/2025)".
    pub period: String,
}

/// How a CSV separates fields and writes decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvStyle {
    /// `,` and `33.33`.
    Plain,
    /// `;` and `33,33`.
    Vietnamese,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

/// One sheet: a name, headings, rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub sheet: String,
    pub headings: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

const REPORT_HEADINGS: [&str; 16] = [
    "Đơn vị / nhóm",
    "Kỳ trước chuyển qua",
    "Mới tiếp nhận",
    "Tiếp nhận trực tuyến",
    "Tiếp nhận trực tiếp",
    "Tiếp nhận qua bưu chính",
    "Đã giải quyết",
    "Trước hạn",
    "Đúng hạn",
    "Quá hạn",
    "Đang giải quyết",
    "Trong hạn",
    "Quá hạn (đang giải quyết)",
    "Rút hồ sơ",
    "Từ chối tiếp nhận",
    "Dừng xử lý",
];

fn report_row(label: &str, r: &Report) -> Vec<Cell> {
    let mut row = vec![Cell::Text(label.to_owned())];
    row.extend(
        [
            r.carried_over,
            r.new,
            r.new_online,
            r.new_desk,
            r.new_post,
            r.resolved,
            r.early,
            r.on_time,
            r.late,
            r.unresolved,
            r.within_time,
            r.overdue,
            r.withdrawn,
            r.rejected,
            r.stopped,
        ]
        .map(|n| Cell::Number(n as f64)),
    );
    row
}

fn grouping_sheet(g: GroupBy) -> &'static str {
    match g {
        GroupBy::Child => "Theo đơn vị",
        GroupBy::Procedure => "Theo thủ tục",
        GroupBy::Field => "Theo lĩnh vực",
        GroupBy::Month => "Theo tháng",
    }
}

/// The processing report: the total, and the groups if any.
pub fn report_tables(
    unit_name: &str,
    total: &Report,
    group_by: Option<GroupBy>,
    groups: &[(String, Report)],
) -> Vec<Table> {
    let mut tables = vec![Table {
        sheet: "Tổng hợp".to_owned(),
        headings: REPORT_HEADINGS.map(str::to_owned).to_vec(),
        rows: vec![report_row(unit_name, total)],
    }];
    if let Some(g) = group_by {
        tables.push(Table {
            sheet: grouping_sheet(g).to_owned(),
            headings: REPORT_HEADINGS.map(str::to_owned).to_vec(),
            rows: groups.iter().map(|(l, r)| report_row(l, r)).collect(),
        });
    }
    tables
}

/// The rates of DOMAIN §5, in the order they are shown.
pub const RATE_NAMES: [&str; 7] = [
    "Tỷ lệ hồ sơ nộp trực tuyến",
    "Tỷ lệ giải quyết đúng hạn",
    "Tỷ lệ xử lý trực tuyến toàn trình",
    "Tỷ lệ thanh toán trực tuyến",
    "Tỷ lệ số hóa hồ sơ",
    "Tỷ lệ số hóa kết quả",
    "Tỷ lệ hài lòng",
];

pub fn rate_list(r: &Rates) -> [Rate; 7] {
    [
        r.online_filing,
        r.on_time,
        r.fully_online,
        r.online_payment,
        r.digitisation,
        r.result_digitisation,
        r.satisfaction,
    ]
}

/// Three columns a rate: numerator, denominator, percentage.
fn rate_headings(names: &[&str]) -> Vec<String> {
    let mut h = vec!["Đơn vị / nhóm".to_owned()];
    for n in names {
        h.push(format!("{n} – tử số"));
        h.push(format!("{n} – mẫu số"));
        h.push(format!("{n} (%)"));
    }
    h
}

fn rate_cells(row: &mut Vec<Cell>, rate: &Rate) {
    row.push(Cell::Number(rate.numerator as f64));
    row.push(Cell::Number(rate.denominator as f64));
    row.push(rate.value.map_or(Cell::Empty, |v| {
        Cell::Number((v * 10_000.0).round() / 100.0)
    }));
}

fn rates_row(label: &str, r: &Rates, extra: &[Rate]) -> Vec<Cell> {
    let mut row = vec![Cell::Text(label.to_owned())];
    for rate in rate_list(r).iter().chain(extra) {
        rate_cells(&mut row, rate);
    }
    row
}

/// The rates as a table, a row per unit or group: the total (with the catalogue's rates as
/// further columns), and the groups if any.
pub fn rates_tables(
    unit_name: &str,
    total: &Rates,
    catalogue: &[(&str, Rate)],
    group_by: Option<GroupBy>,
    groups: &[(String, Rates)],
) -> Vec<Table> {
    let mut names: Vec<&str> = RATE_NAMES.to_vec();
    names.extend(catalogue.iter().map(|(n, _)| *n));
    let extra: Vec<Rate> = catalogue.iter().map(|(_, r)| *r).collect();
    let mut tables = vec![Table {
        sheet: "Tổng hợp".to_owned(),
        headings: rate_headings(&names),
        rows: vec![rates_row(unit_name, total, &extra)],
    }];
    if let Some(g) = group_by {
        tables.push(Table {
            sheet: grouping_sheet(g).to_owned(),
            headings: rate_headings(&RATE_NAMES),
            rows: groups.iter().map(|(l, r)| rates_row(l, r, &[])).collect(),
        });
    }
    tables
}

/// The tables as one CSV: the first table, then the rows of the others (same headings).
pub fn csv(tables: &[Table]) -> Result<Vec<u8>, csv::Error> {
    csv_with(tables, CsvStyle::Plain)
}

/// A number as the style writes it.
fn number(n: f64, style: CsvStyle) -> String {
    let s = n.to_string();
    match style {
        CsvStyle::Plain => s,
        CsvStyle::Vietnamese => s.replace('.', ","),
    }
}

/// The tables as one CSV in `style`: the first table's headings, then every table's rows
/// (the groups after the total; their columns are the same, the total's extra ones aside).
pub fn csv_with(tables: &[Table], style: CsvStyle) -> Result<Vec<u8>, csv::Error> {
    csv_sheets(tables, style, None)
}

/// The tables as one CSV under the heading's three title rows and an empty row, as the
/// XLSX sheets have them.
pub fn csv_titled(
    tables: &[Table],
    style: CsvStyle,
    heading: &Heading,
) -> Result<Vec<u8>, csv::Error> {
    csv_sheets(tables, style, Some(heading))
}

fn csv_sheets(
    tables: &[Table],
    style: CsvStyle,
    heading: Option<&Heading>,
) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let delimiter = match style {
            CsvStyle::Plain => b',',
            CsvStyle::Vietnamese => b';',
        };
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_writer(&mut out);
        if let Some(h) = heading {
            w.write_record([h.title.as_str()])?;
            w.write_record([format!("Đơn vị: {}", h.unit)])?;
            w.write_record([format!("Kỳ báo cáo: {}", h.period)])?;
            w.write_record([""])?;
        }
        if let Some(first) = tables.first() {
            w.write_record(&first.headings)?;
        }
        for row in tables.iter().flat_map(|t| &t.rows) {
            w.write_record(row.iter().map(|c| match c {
                Cell::Text(s) => s.clone(),
                Cell::Number(n) => number(*n, style),
                Cell::Empty => String::new(),
            }))?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// The tables as an XLSX workbook, one sheet each.
pub fn xlsx(tables: &[Table]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    xlsx_sheets(tables, None)
}

/// The tables as an XLSX workbook, one sheet each, every sheet under `heading`.
pub fn xlsx_titled(
    tables: &[Table],
    heading: &Heading,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    xlsx_sheets(tables, Some(heading))
}

fn xlsx_sheets(
    tables: &[Table],
    heading: Option<&Heading>,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let mut book = Workbook::new();
    let bold = CellFormat::new().set_bold().set_text_wrap();
    let title = CellFormat::new().set_bold().set_font_size(14);
    for t in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(&t.sheet)?;
        sheet.set_column_width(0, 36)?;
        // The title, the unit and the period above the table; the headings stay in view.
        let top: u32 = match heading {
            Some(h) => {
                sheet.write_string_with_format(0, 0, &h.title, &title)?;
                sheet.write_string(1, 0, format!("Đơn vị: {}", h.unit))?;
                sheet.write_string(2, 0, format!("Kỳ báo cáo: {}", h.period))?;
                4
            }
            None => 0,
        };
        sheet.set_freeze_panes(top + 1, 1)?;
        for (c, h) in t.headings.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            sheet.write_string_with_format(top, col, h, &bold)?;
            if c > 0 {
                sheet.set_column_width(col, 14)?;
            }
        }
        for (r, row) in t.rows.iter().enumerate() {
            let line = top + u32::try_from(r + 1).unwrap_or(u32::MAX - top);
            for (c, cell) in row.iter().enumerate() {
                let col = u16::try_from(c).unwrap_or(u16::MAX);
                match cell {
                    Cell::Text(s) => {
                        sheet.write_string(line, col, s)?;
                    }
                    Cell::Number(n) => {
                        sheet.write_number(line, col, *n)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_has_vietnamese_headings_and_every_group() {
        let r = Report {
            new: 3,
            new_online: 2,
            new_desk: 1,
            ..Report::default()
        };
        let tables = report_tables(
            "Tỉnh Thái Nguyên",
            &r,
            Some(GroupBy::Child),
            &[
                ("Phường Bắc Kạn".into(), r),
                ("Xã Phong Quang".into(), Report::default()),
            ],
        );
        let bytes = csv(&tables).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let text = text.strip_prefix('\u{feff}').unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().unwrap().clone();
        assert_eq!(&headers[2], "Mới tiếp nhận");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[1][0], "Phường Bắc Kạn");
        assert_eq!(&rows[1][2], "3");
        assert_eq!(&rows[2][3], "0");
    }

    #[test]
    fn rates_give_percentages_and_leave_empty_what_was_not_counted() {
        let half = Rate {
            numerator: 1,
            denominator: 3,
            value: Some(1.0 / 3.0),
        };
        let rates = Rates {
            on_time: half,
            ..Rates::default()
        };
        let t = rates_tables("X", &rates, &[], None, &[]);
        // One row; three columns a rate: on time is the second rate.
        assert_eq!(t[0].rows.len(), 1);
        assert_eq!(t[0].headings[4], "Tỷ lệ giải quyết đúng hạn – tử số");
        let row = &t[0].rows[0];
        assert_eq!(row[4], Cell::Number(1.0));
        assert_eq!(row[5], Cell::Number(3.0));
        assert_eq!(row[6], Cell::Number(33.33));
        // Online filing counted nothing: no percentage.
        assert_eq!(row[3], Cell::Empty);
    }

    #[test]
    fn the_vietnamese_csv_uses_semicolons_and_decimal_commas() {
        let t = vec![Table {
            sheet: "x".into(),
            headings: vec!["Đơn vị".into(), "Tỷ lệ (%)".into()],
            rows: vec![vec![Cell::Text("Xã A; B".into()), Cell::Number(33.33)]],
        }];
        let text = String::from_utf8(csv_with(&t, CsvStyle::Vietnamese).unwrap()).unwrap();
        assert_eq!(
            text.trim_start_matches('\u{feff}'),
            "Đơn vị;Tỷ lệ (%)\n\"Xã A; B\";33,33\n"
        );
        let plain = String::from_utf8(csv(&t).unwrap()).unwrap();
        assert!(plain.ends_with("Xã A; B,33.33\n"), "{plain}");
    }
}
