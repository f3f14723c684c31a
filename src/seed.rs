//! The province fixtures the demo and the simulation share: the real unit trees compiled in
//! (Bắc Kạn's 3 levels until 30 June 2025, Thái Nguyên's 2 levels from 1 July 2025, the 2025
//! successors and the plan that applies them), model provinces for national-scale runs, the
//! real procedures, and the simulated citizen. It imports neither `demo` nor `simulate`.

use chrono::NaiveDate;

use crate::accounts::model::Role;
use crate::accounts::store::{self as users, NewUser};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::units::model::{Unit, UnitKind};
use crate::units::store::{self as units, NewUnit};

const BAC_KAN_3LEVEL: &str = include_str!("../data/seed/units-bac-kan-3level.csv");
const THAI_NGUYEN_2LEVEL: &str = include_str!("../data/seed/units-thai-nguyen-2level.csv");
const SUCCESSORS_2025: &str = include_str!("../data/seed/units-2025-successors.csv");
pub const PROCEDURES: &[u8] = include_bytes!("../data/seed/procedures.json");

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The day the 3-level tree is taken to start (the seed describes it as in force from 2020).
pub fn three_level_from() -> NaiveDate {
    date(2020, 1, 1)
}
/// Last day of the 3-level layout.
pub fn three_level_to() -> NaiveDate {
    date(2025, 6, 30)
}
/// First day of the 2-level layout.
pub fn two_level_from() -> NaiveDate {
    date(2025, 7, 1)
}

struct Row {
    code: String,
    name: String,
    kind: UnitKind,
    parent: Option<String>,
}

fn rows(csv_text: &str) -> AppResult<Vec<Row>> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(AppError::internal)?;
        let field = |i: usize| rec.get(i).unwrap_or_default().trim().to_owned();
        let kind = UnitKind::parse(&field(2)).ok_or_else(|| {
            AppError::internal(std::io::Error::other(format!(
                "unknown unit kind {}",
                field(2)
            )))
        })?;
        let parent = Some(field(3)).filter(|p| !p.is_empty());
        out.push(Row {
            code: field(0),
            name: field(1),
            kind,
            parent,
        });
    }
    Ok(out)
}

/// Inserts a tree given parent-first rows; returns the units by code.
fn insert_tree(
    conn: &mut DbConn,
    rows: &[Row],
    from: NaiveDate,
    to: Option<NaiveDate>,
    root_agency: &str,
) -> AppResult<std::collections::HashMap<String, Unit>> {
    let mut by_code = std::collections::HashMap::new();
    for r in rows {
        let parent = r.parent.as_ref().and_then(|p| by_code.get(p));
        let unit = units::insert(
            conn,
            NewUnit {
                code: &r.code,
                name: &r.name,
                kind: r.kind,
                parent,
                agency_code: parent.is_none().then_some(root_agency),
                valid_from: from,
                valid_to: to,
            },
        )?;
        by_code.insert(r.code.clone(), unit);
    }
    Ok(by_code)
}

/// The first day of the model provinces (`load_model_provinces`): before any year one would
/// simulate, so that a whole year needs no reorganisation.
pub fn model_from() -> NaiveDate {
    date(2020, 1, 1)
}

/// The code of model province `i` (1-based): `M01`, `M02`, …
pub fn model_province_code(i: usize) -> String {
    format!("M{i:02}")
}

/// `count` model provinces for national-scale simulation, each a copy of Thái Nguyên's
/// 2-level tree (the province and its 92 communes; 34 of them come near the country's 3,321
/// communes), coded `M01`, `M01-01843`, … and named "Tỉnh mô phỏng 01", in force since
/// `model_from()`. Those already present are kept. Returns their codes.
pub fn load_model_provinces(conn: &mut DbConn, count: usize) -> AppResult<Vec<String>> {
    let template = rows(THAI_NGUYEN_2LEVEL)?;
    let mut codes = Vec::with_capacity(count);
    for i in 1..=count {
        let code = model_province_code(i);
        codes.push(code.clone());
        if units::find_by_code(conn, &code, model_from())?.is_some() {
            continue;
        }
        let recode = |c: &str, root: bool| {
            if root {
                code.clone()
            } else {
                format!("{code}-{c}")
            }
        };
        let copy: Vec<Row> = template
            .iter()
            .map(|r| Row {
                code: recode(&r.code, r.parent.is_none()),
                name: if r.parent.is_none() {
                    format!("Tỉnh mô phỏng {i:02}")
                } else {
                    r.name.clone()
                },
                kind: r.kind,
                parent: r.parent.as_ref().map(|p| {
                    let root = template.iter().any(|t| &t.code == p && t.parent.is_none());
                    recode(p, root)
                }),
            })
            .collect();
        insert_tree(
            conn,
            &copy,
            model_from(),
            None,
            &format!("000.00.00.M{i:02}"),
        )?;
    }
    Ok(codes)
}

/// Loads both layouts, the 2-level one in force from 1 July 2025, without linking them.
/// Returns false if they are there already.
pub fn load_trees(conn: &mut DbConn) -> AppResult<bool> {
    if units::find_by_code(conn, "06", three_level_from())?.is_some() {
        return Ok(false);
    }
    insert_tree(
        conn,
        &rows(BAC_KAN_3LEVEL)?,
        three_level_from(),
        None,
        "000.00.00.H05",
    )?;
    insert_tree(
        conn,
        &rows(THAI_NGUYEN_2LEVEL)?,
        two_level_from(),
        None,
        "000.00.00.H55",
    )?;
    Ok(true)
}

/// The 2025 reorganisation of Bắc Kạn as a plan file (`old_code,new_code`): its 108 communes
/// into 37 of Thái Nguyên's (data/seed/units-2025-successors.csv), and its 8 districts
/// (abolished) and the province itself into the new province, 19.
pub fn plan_2025_csv() -> AppResult<String> {
    let mut out = String::from("old_code,new_code\n");
    let mut listed = std::collections::HashSet::new();
    let mut reader = csv::Reader::from_reader(SUCCESSORS_2025.as_bytes());
    for rec in reader.records() {
        let rec = rec.map_err(AppError::internal)?;
        if let (Some(o), Some(n)) = (rec.get(0), rec.get(1)) {
            out.push_str(&format!("{},{}\n", o.trim(), n.trim()));
            listed.insert(o.trim().to_owned());
        }
    }
    for r in rows(BAC_KAN_3LEVEL)? {
        if !listed.contains(&r.code) {
            out.push_str(&format!("{},19\n", r.code));
        }
    }
    Ok(out)
}

/// The name the 2025 plan's history events carry.
pub const PLAN_2025_NAME: &str =
    "Nghị quyết 1683/NQ-UBTVQH15 (sắp xếp đơn vị hành chính tỉnh Thái Nguyên, 2025)";

/// Applies the 2025 reorganisation through the same operation an administrator uses.
pub fn apply_plan_2025(conn: &mut DbConn) -> AppResult<crate::reorganise::Outcome> {
    let plan = crate::reorganise::plan_from_csv(
        conn,
        &plan_2025_csv()?,
        two_level_from(),
        PLAN_2025_NAME,
        crate::reorganise::StaffFate::Rehome,
    )?;
    crate::reorganise::run(
        conn,
        crate::auth::Scope::All,
        None,
        &plan,
        crate::dossiers::store::now_instant(),
    )
}

/// Loads both layouts and applies the 2025 reorganisation between them.
pub fn load_units(conn: &mut DbConn) -> AppResult<bool> {
    if !load_trees(conn)? {
        return Ok(false);
    }
    apply_plan_2025(conn)?;
    Ok(true)
}

/// The citizen who files the demo's and the simulation's online dossiers (created with
/// `password_hash` if missing).
pub fn simulated_citizen(conn: &mut DbConn, password_hash: &str) -> AppResult<crate::auth::Caller> {
    let username = "006095001234";
    let user = match users::by_username(conn, username)? {
        Some(u) => u,
        None => users::insert(
            conn,
            NewUser {
                username,
                role: Role::Citizen,
                unit_id: None,
                full_name: "Nguyễn Văn An",
                password_hash,
                citizen_id: Some(username),
                tax_code: None,
                phone: Some("0912345678"),
                email: None,
            },
        )?,
    };
    Ok(crate::auth::Caller {
        user_id: user.uuid(),
        role: Role::Citizen,
        unit_id: None,
    })
}
