//! `motcua simulate`: a realistic year of dossiers for a province, filed and carried through
//! their workflows by the same service functions as the API (every rule, deadline and history
//! event as in production), a few hundred dossiers per transaction.
//!
//! The shape follows the seed province (DOMAIN §5): a few procedures take most dossiers
//! (Zipf-like popularity), ≈ 73 % filed online, ≈ 59 % of fees paid online, arrivals in
//! working hours with a morning peak, supplements, payments, late dossiers, refusals,
//! withdrawals and ratings. Deterministic for a given seed.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::accounts::model::Role;
use crate::accounts::store::{self as users, NewUser};
use crate::auth::{password, Caller};
use crate::calendar::model::Calendars;
use crate::catalogue::import;
use crate::db::{Db, DbConn};
use crate::dossiers::ledger::Ledger;
use crate::dossiers::model::Action;
use crate::dossiers::service::{
    self, Act, DeskApplicant, DeskIntake, OnlineFiling, PaymentChannel, ReturnChannel,
};
use crate::dossiers::store::{self as dossiers, Channel};
use crate::error::{AppError, AppResult};
use crate::units::model::{Level, Unit};

pub mod bulk;

/// Staff of one desk, who sign the simulated history.
pub(crate) struct Desk {
    pub clerk: Caller,
    pub officer: Caller,
    pub approver: Caller,
    pub unit: Uuid,
}

/// Names for the simulated staff (so that a desk's picker and its receipts read like a real
/// commune's, and no simulated account looks like a demo account).
const STAFF_NAMES: [&str; 12] = [
    "Hoàng Thị Mai",
    "Nông Văn Dũng",
    "Ma Thị Hoa",
    "Triệu Văn Sơn",
    "Lý Thị Lan",
    "Hà Văn Nam",
    "Dương Thị Thảo",
    "Lường Văn Hùng",
    "Bế Thị Yến",
    "Lục Văn Phong",
    "Đinh Thị Vân",
    "Vi Văn Quân",
];

/// The clerk, officer and approver of `unit`, created once (with `password_hash`, a hash of a
/// password nobody knows: these accounts only sign history).
pub(crate) fn desk_staff(conn: &mut DbConn, unit: &Unit, password_hash: &str) -> AppResult<Desk> {
    let mut callers = Vec::with_capacity(3);
    let seed: usize = unit.code.bytes().map(usize::from).sum();
    for (k, role) in [Role::Clerk, Role::Officer, Role::Approver]
        .into_iter()
        .enumerate()
    {
        let username = format!("demo.{}.{}", role.as_str(), unit.code);
        let full_name = STAFF_NAMES[(seed * 3 + k) % STAFF_NAMES.len()];
        let user = match users::by_username(conn, &username)? {
            Some(u) => u,
            None => users::insert(
                conn,
                NewUser {
                    username: &username,
                    role,
                    unit_id: Some(unit.id),
                    full_name,
                    password_hash,
                    citizen_id: None,
                    tax_code: None,
                    phone: None,
                    email: None,
                },
            )?,
        };
        callers.push(Caller {
            user_id: user.uuid(),
            role,
            unit_id: Some(unit.id),
        });
    }
    let mut it = callers.into_iter();
    match (it.next(), it.next(), it.next()) {
        (Some(clerk), Some(officer), Some(approver)) => Ok(Desk {
            clerk,
            officer,
            approver,
            unit: unit.id,
        }),
        _ => Err(AppError::internal(std::io::Error::other("three roles"))),
    }
}

/// A hash of a random password nobody keeps.
pub(crate) fn unknown_password_hash() -> AppResult<String> {
    use rand::distributions::{Alphanumeric, DistString};
    password::hash(&Alphanumeric.sample_string(&mut rand::thread_rng(), 24))
        .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))
}

/// A procedure as the simulation files it.
#[derive(Debug, Clone)]
pub(crate) struct Offered {
    pub code: String,
    pub online: bool,
    /// Indexes of the documents handed in.
    pub documents: Vec<u32>,
    pub levels: Vec<Level>,
}

/// The procedures with a published processing time (others cannot take dossiers).
pub(crate) fn offered() -> AppResult<Vec<Offered>> {
    Ok(import::parse(crate::seed::PROCEDURES)?
        .into_iter()
        .filter(|s| s.processing_days.is_some())
        .map(|s| Offered {
            online: s.online_level != crate::catalogue::model::OnlineLevel::None,
            // Every mandatory document (the desk would not receive it otherwise); where the
            // procedure makes none mandatory, the first.
            documents: {
                let mandatory: Vec<u32> = (0u32..)
                    .zip(&s.required_documents)
                    .filter(|(_, d)| d.mandatory)
                    .map(|(i, _)| i)
                    .collect();
                if mandatory.is_empty() && !s.required_documents.is_empty() {
                    vec![0]
                } else {
                    mandatory
                }
            },
            levels: s.levels,
            code: s.code,
        })
        .collect())
}

/// Applicants' names for desk intakes.
const NAMES: [&str; 8] = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Văn Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Đức",
    "Hà Thị Lan",
    "Nông Văn Minh",
    "Lý Thị Nga",
];

/// One dossier to file and carry through.
pub(crate) struct Filing<'a> {
    pub desk: &'a Desk,
    pub procedure: &'a Offered,
    /// When the applicant turns up (moved to working time by the caller).
    pub start: DateTime<Utc>,
    /// Nothing happens at or after this instant (a dossier filed late stays open).
    pub now: DateTime<Utc>,
    /// Always finish (older dossiers) or stop anywhere along the way (recent ones).
    pub finish: bool,
}

/// Files one dossier and takes it as far as its plan and `now` allow, through the service
/// functions. Returns the number of transitions (filing included).
pub(crate) fn live<L: Ledger + ?Sized>(
    conn: &mut L,
    cal: &Calendars,
    citizen: &Caller,
    f: Filing<'_>,
    rng: &mut StdRng,
) -> AppResult<usize> {
    let (desk, now) = (f.desk, f.now);
    let mut t = f.start;
    let mut steps = 1;
    let code = f.procedure.code.as_str();
    let documents = &f.procedure.documents;
    let online = f.procedure.online && rng.gen::<f64>() < 0.74;
    let row = if online {
        let (row, _) = service::file_online(
            conn,
            citizen,
            OnlineFiling {
                resolving_unit_id: None,
                procedure_code: code,
                unit_id: desk.unit,
                documents,
                idempotency_key: None,
            },
            t,
        )?;
        t += Duration::minutes(rng.gen_range(10..240));
        let refused = rng.gen::<f64>() < 0.03;
        let action = if refused {
            Action::Reject
        } else {
            Action::Receive
        };
        let note = refused.then_some("Hồ sơ chưa đúng thủ tục");
        steps += 1;
        let row = service::transition(
            conn,
            cal,
            &desk.clerk,
            row.uuid(),
            Act {
                action: Some(action),
                note,
                ..Act::default()
            },
            t.min(now),
        )?;
        if refused {
            return Ok(steps);
        }
        row
    } else {
        let channel = if rng.gen::<f64>() < 0.1 {
            Channel::Post
        } else {
            Channel::Desk
        };
        service::intake(
            conn,
            cal,
            &desk.clerk,
            DeskIntake {
                resolving_unit_id: None,
                procedure_code: code,
                channel,
                applicant: DeskApplicant {
                    name: NAMES[rng.gen_range(0..NAMES.len())],
                    id_number: None,
                    phone: None,
                    address: None,
                },
                documents,
                document_quantities: &[],
            },
            t,
        )?
    };
    let id = row.uuid();
    let due = row.due_at.map(crate::db::utc).unwrap_or(now);
    let mut plan: Vec<(Action, &Caller, Duration)> =
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
    let stop_after = if !f.finish {
        rng.gen_range(0..plan.len())
    } else if rng.gen::<f64>() < 0.04 {
        1
    } else {
        plan.len()
    };
    let mut returned = false;
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
        // Results of online dossiers mostly go back electronically.
        let return_channel = (action == Action::ReturnResult).then_some(
            if rng.gen::<f64>() < if online { 0.72 } else { 0.2 } {
                ReturnChannel::Electronic
            } else {
                ReturnChannel::Desk
            },
        );
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
            cal,
            who,
            id,
            Act {
                action: Some(action),
                note,
                return_channel,
                amount_vnd,
                payment_channel,
                ..Act::default()
            },
            t,
        )?;
        steps += 1;
        returned = action == Action::ReturnResult;
    }
    if stop_after == 1 && f.finish && rng.gen::<f64>() < 0.5 {
        let at = t + Duration::hours(3);
        if at < now {
            service::transition(
                conn,
                cal,
                &desk.clerk,
                id,
                Act {
                    action: Some(Action::Withdraw),
                    note: Some("Người nộp rút hồ sơ"),
                    ..Act::default()
                },
                at,
            )?;
            steps += 1;
        }
    }
    // About a third of the applicants rate the service; most are satisfied.
    let rated_at = t + Duration::hours(rng.gen_range(1..72));
    if returned && rated_at < now && rng.gen::<f64>() < 0.35 {
        let rating = if rng.gen::<f64>() < 0.93 {
            dossiers::Rating::Satisfied
        } else {
            dossiers::Rating::NotSatisfied
        };
        conn.rate(id, rating, None, rated_at.naive_utc())?;
    }
    Ok(steps)
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Options {
    /// The province's code (GSO), as in force on `from`.
    pub province: String,
    pub from: NaiveDate,
    /// The day after the last day of arrivals.
    pub to: NaiveDate,
    pub dossiers: usize,
    pub seed: u64,
    /// Dossiers per transaction.
    pub batch: usize,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub province: Unit,
    pub filed: usize,
    pub transitions: usize,
}

/// The desks of a province on a day: its units in force then, by level.
fn desks_by_level(
    conn: &mut DbConn,
    province: &Unit,
    on: NaiveDate,
    hash: &str,
) -> AppResult<Vec<(Level, Vec<Desk>)>> {
    let mut out: Vec<(Level, Vec<Desk>)> = Vec::new();
    let mut units = crate::units::store::all(conn)?;
    // By code: ids (and so the store's order) differ from one database to another, and the
    // simulation must be the same for a seed wherever it runs.
    units.sort_by(|a, b| a.code.cmp(&b.code));
    for u in units.iter().filter(|u| {
        u.is_within(province.id) && u.valid_from <= on && u.valid_to.is_none_or(|end| end > on)
    }) {
        let desk = desk_staff(conn, u, hash)?;
        match out.iter_mut().find(|(l, _)| *l == u.level) {
            Some((_, desks)) => desks.push(desk),
            None => out.push((u.level, vec![desk])),
        }
    }
    Ok(out)
}

/// Everything needed to file dossiers in a province: its desks and staff, the citizen, the
/// procedures with their popularity, the calendar.
pub struct Province {
    pub unit: Unit,
    citizen: Caller,
    desks: Vec<(Level, Vec<Desk>)>,
    procedures: Vec<Offered>,
    /// Cumulative popularity weights, by rank, and the procedure of each rank.
    cumulative: Vec<f64>,
    order: Vec<usize>,
    cal: Calendars,
}

impl Province {
    /// Sets up the province `code` as in force on `on`: the demo's units and catalogue if
    /// missing, staff for every desk, the popularity of the procedures (seeded).
    pub fn prepare(db: &Db, code: &str, on: NaiveDate, seed: u64) -> AppResult<Province> {
        let (unit, citizen, desks) = db.write_blocking(|c| {
            crate::seed::load_units(c)?;
            if crate::catalogue::store::count(c)? == 0 {
                import::store_all(c, &import::parse(crate::seed::PROCEDURES)?)?;
            }
            let unit = crate::units::store::find_by_code(c, code, on)?
                .filter(|u| u.parent_id.is_none())
                .ok_or_else(|| AppError::invalid("province", "no province with that code then"))?;
            let hash = unknown_password_hash()?;
            let citizen = crate::seed::simulated_citizen(c, &hash)?;
            let desks = desks_by_level(c, &unit, on, &hash)?;
            Ok((unit, citizen, desks))
        })?;
        let procedures: Vec<Offered> = offered()?
            .into_iter()
            .filter(|p| {
                p.levels
                    .iter()
                    .any(|l| desks.iter().any(|(dl, d)| dl == l && !d.is_empty()))
            })
            .collect();
        if procedures.is_empty() {
            return Err(AppError::invalid(
                "province",
                "no procedure has a desk there",
            ));
        }
        let mut rng = StdRng::seed_from_u64(seed);
        // Popularity: a seeded order, the i-th procedure weighted 1 / (i + 1)^1.2.
        let mut order: Vec<usize> = (0..procedures.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.gen_range(0..=i));
        }
        let mut cumulative = Vec::with_capacity(order.len());
        let mut sum = 0.0;
        for rank in 0..order.len() {
            sum += 1.0 / ((rank + 1) as f64).powf(1.2);
            cumulative.push(sum);
        }
        let cal = db.read_blocking(crate::calendar::store::load)?;
        Ok(Province {
            unit,
            citizen,
            desks,
            procedures,
            cumulative,
            order,
            cal,
        })
    }

    /// The accounts that sign the simulated history: the citizen and every desk's staff.
    pub fn staff(&self) -> Vec<Uuid> {
        let mut ids = vec![self.citizen.user_id];
        for (_, desks) in &self.desks {
            for d in desks {
                ids.extend([d.clerk.user_id, d.officer.user_id, d.approver.user_id]);
            }
        }
        ids
    }

    /// Files one dossier arriving on `day` (in working hours, more in the morning) and carries
    /// it as far as its plan allows before `now`. Returns the transitions made (0 when the
    /// arrival would be after `now`).
    pub fn file<L: Ledger + ?Sized>(
        &self,
        conn: &mut L,
        rng: &mut StdRng,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> AppResult<usize> {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let pick = rng.gen::<f64>() * total;
        let rank = self.cumulative.partition_point(|c| *c < pick);
        let procedure = &self.procedures[self.order[rank.min(self.order.len() - 1)]];
        let levels: Vec<&(Level, Vec<Desk>)> = self
            .desks
            .iter()
            .filter(|(l, d)| procedure.levels.contains(l) && !d.is_empty())
            .collect();
        let (_, at_level) = levels[rng.gen_range(0..levels.len())];
        let desk = &at_level[rng.gen_range(0..at_level.len())];
        let minutes = 450 + (rng.gen::<f64>().powf(1.6) * 570.0) as i64;
        let local = day.and_time(chrono::NaiveTime::MIN) + Duration::minutes(minutes);
        let start = self
            .cal
            .base()
            .next_working_instant(crate::calendar::model::to_utc(local))
            .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))?;
        if start >= now {
            return Ok(0);
        }
        live(
            conn,
            &self.cal,
            &self.citizen,
            Filing {
                desk,
                procedure,
                start,
                now,
                finish: now - start > Duration::days(10),
            },
            rng,
        )
    }
}

/// Fills the database with `o.dossiers` dossiers arriving between `o.from` and `o.to`,
/// `o.batch` per transaction. `progress` is told how many are done after each batch.
pub fn run(db: &Db, o: &Options, progress: &dyn Fn(usize)) -> AppResult<Outcome> {
    let province = Province::prepare(db, &o.province, o.from, o.seed)?;
    let mut rng = StdRng::seed_from_u64(o.seed.wrapping_add(1));
    let now = Utc::now();
    let days = (o.to - o.from).num_days().max(1);
    let (mut filed, mut transitions) = (0, 0);
    let batch = o.batch.max(1);
    while filed < o.dossiers {
        let n = batch.min(o.dossiers - filed);
        transitions += db.write_blocking(|c| {
            let mut steps = 0;
            for _ in 0..n {
                let day = o.from + Duration::days(rng.gen_range(0..days));
                steps += province.file(c, &mut rng, day, now)?;
            }
            Ok(steps)
        })?;
        filed += n;
        progress(filed);
    }
    Ok(Outcome {
        province: province.unit,
        filed,
        transitions,
    })
}
