//! The report and the rates as tables with Vietnamese headings, written as CSV (UTF-8, with
//! a byte-order mark so spreadsheet programs read the diacritics) or XLSX (a sheet for the
//! total and one for the grouping).

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
    Xlsx,
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
    pub headings: Vec<&'static str>,
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
        headings: REPORT_HEADINGS.to_vec(),
        rows: vec![report_row(unit_name, total)],
    }];
    if let Some(g) = group_by {
        tables.push(Table {
            sheet: grouping_sheet(g).to_owned(),
            headings: REPORT_HEADINGS.to_vec(),
            rows: groups.iter().map(|(l, r)| report_row(l, r)).collect(),
        });
    }
    tables
}

const RATES_HEADINGS: [&str; 5] = ["Đơn vị / nhóm", "Chỉ số", "Tử số", "Mẫu số", "Tỷ lệ (%)"];

fn rate_rows(label: &str, r: &Rates) -> Vec<Vec<Cell>> {
    [
        ("Tỷ lệ hồ sơ nộp trực tuyến", r.online_filing),
        ("Tỷ lệ giải quyết đúng hạn", r.on_time),
        ("Tỷ lệ xử lý trực tuyến toàn trình", r.fully_online),
        ("Tỷ lệ thanh toán trực tuyến", r.online_payment),
        ("Tỷ lệ số hóa hồ sơ", r.digitisation),
        ("Tỷ lệ số hóa kết quả", r.result_digitisation),
        ("Tỷ lệ hài lòng", r.satisfaction),
    ]
    .into_iter()
    .map(|(name, rate)| rate_row(label, name, &rate))
    .collect()
}

fn rate_row(label: &str, name: &str, rate: &Rate) -> Vec<Cell> {
    vec![
        Cell::Text(label.to_owned()),
        Cell::Text(name.to_owned()),
        Cell::Number(rate.numerator as f64),
        Cell::Number(rate.denominator as f64),
        rate.value.map_or(Cell::Empty, |v| {
            Cell::Number((v * 10_000.0).round() / 100.0)
        }),
    ]
}

/// The rates, one row per rate: the total (with the catalogue rates), and the groups if any.
pub fn rates_tables(
    unit_name: &str,
    total: &Rates,
    catalogue: &[(&str, Rate)],
    group_by: Option<GroupBy>,
    groups: &[(String, Rates)],
) -> Vec<Table> {
    let mut rows = rate_rows(unit_name, total);
    rows.extend(
        catalogue
            .iter()
            .map(|(name, rate)| rate_row(unit_name, name, rate)),
    );
    let mut tables = vec![Table {
        sheet: "Tổng hợp".to_owned(),
        headings: RATES_HEADINGS.to_vec(),
        rows,
    }];
    if let Some(g) = group_by {
        tables.push(Table {
            sheet: grouping_sheet(g).to_owned(),
            headings: RATES_HEADINGS.to_vec(),
            rows: groups.iter().flat_map(|(l, r)| rate_rows(l, r)).collect(),
        });
    }
    tables
}

/// The tables as one CSV: the first table, then the rows of the others (same headings).
pub fn csv(tables: &[Table]) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        if let Some(first) = tables.first() {
            w.write_record(&first.headings)?;
        }
        for row in tables.iter().flat_map(|t| &t.rows) {
            w.write_record(row.iter().map(|c| match c {
                Cell::Text(s) => s.clone(),
                Cell::Number(n) => n.to_string(),
                Cell::Empty => String::new(),
            }))?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// The tables as an XLSX workbook, one sheet each.
pub fn xlsx(tables: &[Table]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let mut book = Workbook::new();
    let bold = CellFormat::new().set_bold().set_text_wrap();
    for t in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(&t.sheet)?;
        sheet.set_column_width(0, 36)?;
        for (c, h) in t.headings.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            sheet.write_string_with_format(0, col, *h, &bold)?;
            if c > 0 {
                sheet.set_column_width(col, 14)?;
            }
        }
        for (r, row) in t.rows.iter().enumerate() {
            let line = u32::try_from(r + 1).unwrap_or(u32::MAX);
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
        let on_time = &t[0].rows[1];
        assert_eq!(on_time[1], Cell::Text("Tỷ lệ giải quyết đúng hạn".into()));
        assert_eq!(on_time[4], Cell::Number(33.33));
        assert_eq!(t[0].rows[0][4], Cell::Empty);
    }
}
