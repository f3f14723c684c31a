//! The demo province: Bắc Kạn's real 3-level tree (until 30 June 2025), the 2-level Thái Nguyên
//! that absorbed it (from 1 July 2025) with the successor of every retired unit, the real
//! procedures, and one account per role. Loading twice changes nothing but the passwords.

pub use crate::seed::*;

use rand::distributions::{Alphanumeric, DistString};

use crate::accounts::model::Role;
use crate::accounts::store::{self as users, NewUser};
use crate::auth::{password, store as tokens};
use crate::catalogue::import;
use crate::db::{Db, DbConn};
use crate::error::{AppError, AppResult};
use crate::units::model::Unit;
use crate::units::store as units;

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

/// Files `n` dossiers over the last 120 days through the same service functions as the API:
/// ≈ 73 % online, the rest at the desk or by post; most are resolved and returned, some wait
/// for a supplement or a fee, some are late, refused, withdrawn or still in progress.
/// Deterministic (seeded); does nothing if dossiers exist already.
pub fn load_dossiers(
    conn: &mut DbConn,
    n: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<usize> {
    use crate::simulate::{self, Filing};
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
    let hash = simulate::unknown_password_hash()?;
    let mut desks = Vec::new();
    for code in DEMO_DESKS {
        if let Some(u) = units::find_by_code(conn, code, on)? {
            desks.push(simulate::desk_staff(conn, &u, &hash)?);
        }
    }
    let citizen = simulated_citizen(conn, &hash)?;
    // Commune-level procedures: what a commune desk takes.
    let procedures: Vec<simulate::Offered> = simulate::offered()?
        .into_iter()
        .filter(|p| p.levels == [crate::units::model::Level::Commune])
        .collect();
    if desks.is_empty() || procedures.is_empty() {
        return Ok(0);
    }
    let cal = crate::calendar::store::load(conn)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_250_701);
    let mut filed = 0;
    for i in 0..n {
        // A few procedures take most dossiers.
        let procedure = &procedures
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
        simulate::live(
            conn,
            &cal,
            &citizen,
            Filing {
                desk: &desks[i % desks.len()],
                procedure,
                start,
                now,
                finish: (now - start).num_days() >= 10,
            },
            &mut rng,
        )?;
        filed += 1;
    }
    Ok(filed)
}
