//! The demo province: Bắc Kạn's real 3-level tree (until 30 June 2025), the 2-level Thái Nguyên
//! that absorbed it (from 1 July 2025) with the successor of every retired unit, the real
//! procedures, and one account per role. Loading twice changes nothing but the passwords.

use chrono::NaiveDate;
use rand::distributions::{Alphanumeric, DistString};

use crate::accounts::model::Role;
use crate::accounts::store::{self as users, NewUser};
use crate::auth::{password, store as tokens};
use crate::catalogue::import;
use crate::db::{Db, DbConn};
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

/// Loads both layouts and links each retired unit to its successor.
pub fn load_units(conn: &mut DbConn) -> AppResult<bool> {
    if units::find_by_code(conn, "06", three_level_from())?.is_some() {
        return Ok(false);
    }
    let old = insert_tree(
        conn,
        &rows(BAC_KAN_3LEVEL)?,
        three_level_from(),
        Some(three_level_to()),
        "000.00.00.H05",
    )?;
    let new = insert_tree(
        conn,
        &rows(THAI_NGUYEN_2LEVEL)?,
        two_level_from(),
        None,
        "000.00.00.H55",
    )?;
    let province = new.get("19").map(|u| u.id);
    let mut reader = csv::Reader::from_reader(SUCCESSORS_2025.as_bytes());
    let mut successor_of = std::collections::HashMap::new();
    for rec in reader.records() {
        let rec = rec.map_err(AppError::internal)?;
        if let (Some(o), Some(n)) = (rec.get(0), rec.get(1)) {
            successor_of.insert(o.trim().to_owned(), n.trim().to_owned());
        }
    }
    for (code, unit) in &old {
        // Communes go to the commune that absorbed them; districts (abolished) and the old
        // province go to the new province.
        let successor = successor_of
            .get(code)
            .and_then(|n| new.get(n))
            .map(|u| u.id)
            .or(province);
        units::retire(conn, unit, three_level_to(), successor)?;
    }
    Ok(true)
}

pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub unit: Option<String>,
}

fn random_password() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 16)
}

/// Creates (or re-keys) one account per role; returns them with fresh passwords.
pub fn load_accounts(conn: &mut DbConn) -> AppResult<Vec<DemoAccount>> {
    let on = two_level_from();
    let province = units::find_by_code(conn, "19", on)?;
    let ward = units::find_by_code(conn, "01843", on)?;
    let plan: [(&str, &str, Role, Option<&Unit>); 6] = [
        ("admin", "Quản trị hệ thống", Role::Admin, None),
        (
            "giamsat.tinh",
            "Giám sát cấp tỉnh",
            Role::Supervisor,
            province.as_ref(),
        ),
        (
            "motcua.backan",
            "Cán bộ một cửa phường Bắc Kạn",
            Role::Clerk,
            ward.as_ref(),
        ),
        (
            "chuyenvien.backan",
            "Chuyên viên phường Bắc Kạn",
            Role::Officer,
            ward.as_ref(),
        ),
        (
            "lanhdao.backan",
            "Lãnh đạo phường Bắc Kạn",
            Role::Approver,
            ward.as_ref(),
        ),
        ("006095001234", "Nguyễn Văn An", Role::Citizen, None),
    ];
    let mut out = Vec::new();
    for (username, full_name, role, unit) in plan {
        let pw = random_password();
        let hash = password::hash(&pw)
            .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))?;
        match users::by_username(conn, username)? {
            Some(existing) => {
                users::set_password(conn, existing.uuid(), &hash)?;
                tokens::revoke_user(conn, existing.uuid())?;
            }
            None => {
                users::insert(
                    conn,
                    NewUser {
                        username,
                        role,
                        unit_id: unit.map(|u| u.id),
                        full_name,
                        password_hash: &hash,
                        citizen_id: (role == Role::Citizen).then_some(username),
                        tax_code: None,
                        phone: (role == Role::Citizen).then_some("0912345678"),
                        email: None,
                    },
                )?;
            }
        }
        out.push(DemoAccount {
            username: username.to_owned(),
            password: pw,
            role,
            unit: unit.map(|u| format!("{} ({})", u.name, u.code)),
        });
    }
    Ok(out)
}

/// Loads the whole demo in one transaction and returns the accounts to print.
pub fn load(db: &Db) -> AppResult<Vec<DemoAccount>> {
    db.write_blocking(|c| {
        load_units(c)?;
        import::store_all(c, &import::parse(PROCEDURES)?)?;
        let accounts = load_accounts(c)?;
        load_dossiers(c, DEMO_DOSSIERS, chrono::Utc::now())?;
        Ok(accounts)
    })
}

/// How many dossiers the demo files.
pub const DEMO_DOSSIERS: usize = 300;

/// The desks of the demo: the five first communes of the 2-level Thái Nguyên.
const DEMO_DESKS: [&str; 5] = ["01843", "01840", "01849", "01864", "01879"];

/// Staff of one demo desk (created once; they sign the demo dossiers' history).
struct Desk {
    clerk: crate::auth::Caller,
    officer: crate::auth::Caller,
    approver: crate::auth::Caller,
    unit: uuid::Uuid,
}

fn desk_staff(conn: &mut DbConn, unit: &Unit) -> AppResult<Desk> {
    let mut callers = Vec::new();
    for role in [Role::Clerk, Role::Officer, Role::Approver] {
        let username = format!("demo.{}.{}", role.as_str(), unit.code);
        let user = match users::by_username(conn, &username)? {
            Some(u) => u,
            None => {
                // A random password nobody knows: these accounts only sign the demo history.
                let hash = password::hash(&random_password())
                    .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))?;
                users::insert(
                    conn,
                    NewUser {
                        username: &username,
                        role,
                        unit_id: Some(unit.id),
                        full_name: &format!("Cán bộ {} {}", role.as_str(), unit.name),
                        password_hash: &hash,
                        citizen_id: None,
                        tax_code: None,
                        phone: None,
                        email: None,
                    },
                )?
            }
        };
        callers.push(crate::auth::Caller {
            user_id: user.uuid(),
            role,
            unit_id: Some(unit.id),
        });
    }
    let [clerk, officer, approver]: [crate::auth::Caller; 3] = callers
        .try_into()
        .map_err(|_| AppError::internal(std::io::Error::other("three roles")))?;
    Ok(Desk {
        clerk,
        officer,
        approver,
        unit: unit.id,
    })
}

/// Files `n` dossiers over the last 120 days through the same service functions as the API:
/// ≈ 73 % online, the rest at the desk or by post; most are resolved and returned, some wait
/// for a supplement or a fee, some are late, refused, withdrawn or still in progress.
/// Deterministic (seeded); does nothing if dossiers exist already.
pub fn load_dossiers(
    conn: &mut DbConn,
    n: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<usize> {
    use crate::dossiers::model::Action;
    use crate::dossiers::service::{
        self, Act, DeskApplicant, DeskIntake, OnlineFiling, PaymentChannel, ReturnChannel,
    };
    use crate::dossiers::store::Channel;
    use chrono::Duration;
    use rand::{Rng, SeedableRng};

    let existing: i64 = {
        use diesel::prelude::*;
        crate::db::schema::dossiers::table
            .count()
            .get_result(conn)?
    };
    if existing > 0 {
        return Ok(0);
    }
    let on = two_level_from();
    let mut desks = Vec::new();
    for code in DEMO_DESKS {
        if let Some(u) = units::find_by_code(conn, code, on)? {
            desks.push(desk_staff(conn, &u)?);
        }
    }
    let citizen = users::by_username(conn, "006095001234")?.ok_or(AppError::NotFound)?;
    let citizen = crate::auth::Caller {
        user_id: citizen.uuid(),
        role: Role::Citizen,
        unit_id: None,
    };
    // Commune-level procedures with a published time: what a commune desk takes.
    let mut procedures = Vec::new();
    for spec in import::parse(PROCEDURES)? {
        if spec.processing_days.is_some() && spec.levels == [crate::units::model::Level::Commune] {
            let documents: Vec<u32> = if spec.required_documents.is_empty() {
                vec![]
            } else {
                vec![0]
            };
            procedures.push((
                spec.code,
                spec.online_level != crate::catalogue::model::OnlineLevel::None,
                documents,
            ));
        }
    }
    if desks.is_empty() || procedures.is_empty() {
        return Ok(0);
    }
    let cal = crate::calendar::store::load(conn)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_250_701);
    let names = [
        "Nguyễn Văn An",
        "Trần Thị Bình",
        "Lê Văn Cường",
        "Phạm Thị Dung",
        "Hoàng Văn Đức",
        "Hà Thị Lan",
        "Nông Văn Minh",
        "Lý Thị Nga",
    ];
    let mut filed = 0;
    for i in 0..n {
        let desk = &desks[i % desks.len()];
        // A few procedures take most dossiers.
        let (code, online_ok, documents) = &procedures
            [(rng.gen::<f64>().powi(3) * procedures.len() as f64) as usize % procedures.len()];
        let day = rng.gen_range(0..120);
        let start = cal
            .base()
            .next_working_instant(
                now - Duration::days(day) + Duration::minutes(rng.gen_range(0..600)),
            )
            .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))?;
        if start >= now {
            continue;
        }
        let mut t = start;
        let roll: f64 = rng.gen();
        let row = if *online_ok && roll < 0.73 {
            let (row, _) = service::file_online(
                conn,
                &citizen,
                OnlineFiling {
                    procedure_code: code,
                    unit_id: desk.unit,
                    documents,
                    idempotency_key: None,
                },
                t,
            )?;
            if rng.gen::<f64>() < 0.03 {
                t += Duration::hours(2);
                service::transition(
                    conn,
                    &cal,
                    &desk.clerk,
                    row.uuid(),
                    Act {
                        action: Some(Action::Reject),
                        note: Some("Hồ sơ chưa đúng thủ tục"),
                        ..Act::default()
                    },
                    t.min(now),
                )?;
                filed += 1;
                continue;
            }
            t += Duration::minutes(rng.gen_range(10..240));
            service::transition(
                conn,
                &cal,
                &desk.clerk,
                row.uuid(),
                Act {
                    action: Some(Action::Receive),
                    ..Act::default()
                },
                t.min(now),
            )?
        } else {
            let channel = if rng.gen::<f64>() < 0.1 {
                Channel::Post
            } else {
                Channel::Desk
            };
            let name = names[rng.gen_range(0..names.len())];
            let applicant = DeskApplicant {
                name,
                id_number: None,
                phone: None,
                address: None,
            };
            service::intake(
                conn,
                &cal,
                &desk.clerk,
                DeskIntake {
                    procedure_code: code,
                    channel,
                    applicant,
                    documents,
                },
                t,
            )?
        };
        filed += 1;
        let id = row.uuid();
        let due = row.due_at.map(crate::db::utc).unwrap_or(now);
        // How far this dossier got: older dossiers are mostly finished.
        let age_days = (now - start).num_days();
        let mut plan: Vec<(Action, &crate::auth::Caller, Duration)> =
            vec![(Action::Assign, &desk.clerk, Duration::minutes(30))];
        if rng.gen::<f64>() < 0.12 {
            plan.push((
                Action::RequestSupplement,
                &desk.officer,
                Duration::hours(rng.gen_range(2..20)),
            ));
            plan.push((
                Action::Supplement,
                &desk.clerk,
                Duration::hours(rng.gen_range(4..72)),
            ));
        }
        if rng.gen::<f64>() < 0.25 {
            plan.push((Action::RequestPayment, &desk.officer, Duration::hours(1)));
            plan.push((
                Action::Pay,
                &desk.clerk,
                Duration::hours(rng.gen_range(1..30)),
            ));
        }
        // Most finish in time; about one in eight runs past the due date.
        let work = if rng.gen::<f64>() < 0.12 {
            (due - t) + Duration::days(2)
        } else {
            (due - t) / 2
        };
        plan.push((
            Action::SubmitForApproval,
            &desk.officer,
            work.max(Duration::hours(1)),
        ));
        let decision = if rng.gen::<f64>() < 0.06 {
            Action::Deny
        } else {
            Action::Approve
        };
        plan.push((
            decision,
            &desk.approver,
            Duration::hours(rng.gen_range(1..8)),
        ));
        plan.push((
            Action::ReturnResult,
            &desk.clerk,
            Duration::hours(rng.gen_range(1..48)),
        ));
        let stop_after = if age_days < 10 {
            rng.gen_range(0..plan.len())
        } else if rng.gen::<f64>() < 0.04 {
            1
        } else {
            plan.len()
        };
        for (k, (action, who, after)) in plan.into_iter().enumerate() {
            if k >= stop_after {
                break;
            }
            t += after;
            if t >= now {
                break;
            }
            let note = match action {
                Action::RequestSupplement => Some("Bổ sung bản sao giấy tờ tùy thân"),
                Action::Deny => Some("Không đủ điều kiện theo quy định"),
                _ => None,
            };
            let channel = (action == Action::ReturnResult).then_some(if rng.gen::<f64>() < 0.5 {
                ReturnChannel::Electronic
            } else {
                ReturnChannel::Desk
            });
            // Fees as the seed province's (a few tens of thousands of đồng), ≈ 59 % paid online.
            let amount_vnd = (action == Action::RequestPayment)
                .then(|| [10_000, 20_000, 50_000, 100_000][rng.gen_range(0..4)]);
            let payment_channel = (action == Action::Pay).then_some(if rng.gen::<f64>() < 0.59 {
                PaymentChannel::Online
            } else {
                PaymentChannel::Desk
            });
            service::transition(
                conn,
                &cal,
                who,
                id,
                Act {
                    action: Some(action),
                    note,
                    return_channel: channel,
                    amount_vnd,
                    payment_channel,
                    ..Act::default()
                },
                t,
            )?;
        }
        if stop_after == 1 && age_days >= 3 && rng.gen::<f64>() < 0.5 {
            service::transition(
                conn,
                &cal,
                &desk.clerk,
                id,
                Act {
                    action: Some(Action::Withdraw),
                    note: Some("Người nộp rút hồ sơ"),
                    ..Act::default()
                },
                (t + Duration::hours(3)).min(now),
            )?;
        }
    }
    Ok(filed)
}
