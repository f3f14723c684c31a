//! The `motcua` command: serve (default), migrate, create-admin, import-procedures,
//! import-calendar, openapi, simulate.

use std::io::BufRead;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use motcua::accounts::model::{self, Role};
use motcua::accounts::store::{self as users, NewUser};
use motcua::auth::password;
use motcua::config::{Config, ConfigArgs, ServeArgs, StoreArgs};
use motcua::error::{AppError, Validator};
use motcua::{catalogue, demo, open_db, telemetry};

#[derive(Parser)]
#[command(
    name = "motcua",
    version,
    about = "Một cửa điện tử: the one-stop administrative-procedure backend",
    long_about = "Một cửa điện tử: the one-stop administrative-procedure backend.\n\n\
With no command, serves HTTP (as `motcua serve`): the flags below are `serve`'s. Each \
command's --help lists its own flags; every flag can also be set by the environment variable \
shown with it.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    serve: ServeArgs,
    /// Load the demo province (Bắc Kạn → Thái Nguyên, real procedures) and print its accounts.
    #[arg(long)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default).
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        serve: ServeArgs,
        /// Load the demo province (Bắc Kạn → Thái Nguyên, real procedures) and print its accounts.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Create an administrator. The password is read from MOTCUA_ADMIN_PASSWORD, else from stdin.
    CreateAdmin {
        #[command(flatten)]
        store: StoreArgs,
        /// The administrator's user name (3–64 of a-z, 0-9, '.', '_', '-').
        #[arg(long)]
        username: String,
        /// The name shown for the account.
        #[arg(long, default_value = "Quản trị hệ thống")]
        full_name: String,
    },
    /// Import a catalogue of procedures from a JSON file (idempotent: changes make new versions).
    ImportProcedures {
        #[command(flatten)]
        store: StoreArgs,
        /// The catalogue, shaped like data/seed/procedures-*.json.
        file: std::path::PathBuf,
    },
    /// Load a year's days off, compensatory days off and working Saturdays from a CSV file
    /// shaped like data/seed/holidays-vn.csv (`date,kind,name`); running services pick it up
    /// within seconds. Due dates in years not loaded are provisional.
    ImportCalendar {
        #[command(flatten)]
        store: StoreArgs,
        /// The days, `date,kind,name` per line.
        file: std::path::PathBuf,
    },
    /// Apply a reorganisation from a CSV shaped like data/seed/units-2025-successors.csv
    /// (`old_code,new_code[,staff]`): each old unit retires the day before DATE, its open
    /// dossiers, staff (re-homed, or `disable`d) and agencies go to the new one. One
    /// transaction; prints what moves as a table.
    Reorganise {
        #[command(flatten)]
        store: StoreArgs,
        /// The plan: `old_code,new_code[,staff]` per retired unit.
        #[arg(long)]
        plan: std::path::PathBuf,
        /// The first day of the new layout (YYYY-MM-DD).
        #[arg(long)]
        on: chrono::NaiveDate,
        /// Print what would happen; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// The plan's name in the dossiers' history (default: the file's name).
        #[arg(long)]
        name: Option<String>,
        /// The staff of a unit whose row has no `staff`, and of the units of the plan's trees
        /// it does not list but that end the day before DATE: moved to the successor or
        /// disabled.
        #[arg(long, default_value = "rehome", value_parser = ["rehome", "disable"])]
        staff: String,
    },
    /// Copy the database and the documents into DIR (new or empty) while the service runs:
    /// SQLite through `VACUUM INTO` (a consistent snapshot); on PostgreSQL the documents
    /// only, with the `pg_dump` command to run beside it. Writes DIR/backup.json.
    Backup {
        #[command(flatten)]
        store: StoreArgs,
        /// Where the copy goes (must be new or empty).
        dir: std::path::PathBuf,
    },
    /// Verify the installation: each dossier's state is its last event's, each document's
    /// file is there with its SHA-256, the statistics equal a refold of every dossier; list
    /// files no record refers to. Exit status 1 when anything is wrong.
    Check {
        #[command(flatten)]
        store: StoreArgs,
        /// Remove the listed orphan files older than a day.
        #[arg(long)]
        repair_orphans: bool,
    },
    /// Print the OpenAPI document generated from the code.
    Openapi,
    /// Fill the database with a simulated year of a province's dossiers, filed and processed
    /// through the service (deterministic for a seed), then fold them into the statistics.
    Simulate {
        #[command(flatten)]
        store: StoreArgs,
        /// The province's code as in force on 1 January of the year: 06 (Bắc Kạn, 3 levels,
        /// until mid-2025) or 19 (Thái Nguyên, 2 levels, from 1 July 2025).
        #[arg(long, default_value = "06")]
        province: String,
        /// The calendar year simulated.
        #[arg(long, default_value_t = 2024)]
        year: i32,
        /// How many dossiers (the seed province received 149,016 in a year).
        #[arg(long, default_value_t = 149_016)]
        dossiers: usize,
        /// The random seed: the same seed gives the same year.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Dossiers per transaction (default 200; 5,000 with `--bulk`).
        #[arg(long)]
        batch: Option<usize>,
        /// Run the service's rules against an in-memory ledger and write each batch with
        /// multi-row inserts: for millions of dossiers, into provinces nobody works in meanwhile.
        #[arg(long)]
        bulk: bool,
        /// Instead of `--province`: the whole country as this many model provinces (copies of
        /// Thái Nguyên's tree, coded M01, M02, …, created if missing) sharing the dossiers;
        /// implies `--bulk`. 34 gives about the country's number of communes.
        #[arg(long)]
        model_provinces: Option<usize>,
        /// With `--model-provinces`: provinces filled at once, each on its own connection.
        #[arg(long, default_value_t = 2)]
        jobs: usize,
    },
}

impl Command {
    /// The storage flags the command took (`None`: it needs no database).
    fn store(&self) -> Option<&StoreArgs> {
        match self {
            Command::Serve { store, .. }
            | Command::Migrate { store }
            | Command::CreateAdmin { store, .. }
            | Command::ImportProcedures { store, .. }
            | Command::ImportCalendar { store, .. }
            | Command::Reorganise { store, .. }
            | Command::Backup { store, .. }
            | Command::Check { store, .. }
            | Command::Simulate { store, .. } => Some(store),
            Command::Openapi => None,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve {
        store: cli.store,
        serve: cli.serve,
        demo: cli.demo,
    });
    let Some(store) = command.store().cloned() else {
        return match serde_json::to_string_pretty(&motcua::app::openapi()) {
            Ok(s) => {
                println!("{s}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        };
    };
    let service_args = match &command {
        Command::Serve { serve, .. } => Ok(serve.clone()),
        _ => ServeArgs::from_env(),
    };
    let service_args = match service_args {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let config = match Config::from_args(&ConfigArgs {
        store,
        serve: service_args,
    }) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    telemetry::init(&config.log, config.log_format);
    let db = match open_db(&config) {
        Ok(db) => db,
        Err(e) => return fail(&e),
    };
    let result: Result<(), Box<dyn std::error::Error>> = match command {
        Command::Serve { demo, .. } => serve(config, db, demo),
        Command::Migrate { .. } => {
            println!("database is up to date ({})", config.backend_name());
            Ok(())
        }
        Command::CreateAdmin {
            username,
            full_name,
            ..
        } => create_admin(&db, &username, &full_name),
        Command::ImportProcedures { file, .. } => import(&db, &file),
        Command::ImportCalendar { file, .. } => import_calendar(&db, &file),
        Command::Reorganise {
            plan,
            on,
            dry_run,
            name,
            staff,
            ..
        } => reorganise(&db, &plan, on, dry_run, name, &staff),
        Command::Backup { dir, .. } => backup(&config, &db, &dir),
        Command::Check { repair_orphans, .. } => {
            return match check(&config, &db, repair_orphans) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => fail(e.as_ref()),
            };
        }
        Command::Openapi => Ok(()),
        Command::Simulate {
            province,
            year,
            dossiers,
            seed,
            batch,
            bulk,
            model_provinces,
            jobs,
            ..
        } => simulate(
            &db,
            Simulation {
                province,
                year,
                dossiers,
                seed,
                batch,
                bulk,
                model_provinces,
                jobs,
            },
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e.as_ref()),
    }
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("motcua: {e}");
    ExitCode::FAILURE
}

fn serve(
    config: Config,
    db: motcua::db::Db,
    with_demo: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    if with_demo {
        let accounts = demo::load(&db).map_err(describe)?;
        println!("Demo province loaded. Accounts (passwords are new at every start with --demo):");
        for a in accounts {
            println!(
                "  {:<20} {:<16} {:<10} {}",
                a.username,
                a.password,
                a.role.as_str(),
                a.unit.unwrap_or_default()
            );
        }
    }
    actix_web::rt::System::new().block_on(motcua::serve(config, db))?;
    Ok(())
}

fn describe(e: AppError) -> Box<dyn std::error::Error> {
    let p = e.problem();
    let fields: Vec<String> = p
        .errors
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect();
    if fields.len() > 1 {
        format!("{} ({})", p.detail, fields.join("; ")).into()
    } else {
        p.detail.into()
    }
}

fn create_admin(
    db: &motcua::db::Db,
    username: &str,
    full_name: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let username = username.trim().to_lowercase();
    let pw = match std::env::var("MOTCUA_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprintln!("password for {username}:");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let mut v = Validator::new();
    v.check(
        model::valid_username(&username),
        "username",
        "must be 3–64 of a-z, 0-9, '.', '_', '-'",
    );
    v.text("full_name", full_name, 200);
    model::check_password(&mut v, "password", &pw);
    v.finish().map_err(describe)?;
    let hash = password::hash(&pw).map_err(|e| e.to_string())?;
    let user = db
        .write_blocking(|c| {
            if users::username_taken(c, &username)? {
                return Err(AppError::Conflict(format!("user name {username} is taken")));
            }
            users::insert(
                c,
                NewUser {
                    username: &username,
                    role: Role::Admin,
                    unit_id: None,
                    full_name,
                    password_hash: &hash,
                    citizen_id: None,
                    tax_code: None,
                    phone: None,
                    email: None,
                },
            )
        })
        .map_err(describe)?;
    println!("administrator {} created (id {})", user.username, user.id);
    Ok(())
}

fn import(db: &motcua::db::Db, file: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let specs = catalogue::import::parse(&bytes).map_err(describe)?;
    let report = db
        .write_blocking(|c| catalogue::import::store_all(c, &specs))
        .map_err(describe)?;
    println!(
        "{} procedures: {} created, {} new versions, {} unchanged",
        specs.len(),
        report.created,
        report.new_versions,
        report.unchanged
    );
    Ok(())
}

fn import_calendar(
    db: &motcua::db::Db,
    file: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    use motcua::calendar::import;
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let days = import::parse(&text).map_err(describe)?;
    let report = db
        .write_blocking(|c| import::store(c, &days))
        .map_err(describe)?;
    let years: Vec<String> = report.years.iter().map(i32::to_string).collect();
    println!(
        "{} days for {}: {} added, {} changed, {} unchanged",
        days.len(),
        years.join(", "),
        report.added,
        report.changed,
        report.unchanged
    );
    Ok(())
}

fn reorganise(
    db: &motcua::db::Db,
    file: &std::path::Path,
    on: chrono::NaiveDate,
    dry_run: bool,
    name: Option<String>,
    staff: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    use motcua::reorganise;
    let staff = if staff == "disable" {
        reorganise::StaffFate::Disable
    } else {
        reorganise::StaffFate::Rehome
    };
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let name = name.unwrap_or_else(|| {
        file.file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let outcome = db
        .write_blocking(|c| {
            let mut plan = reorganise::plan_from_csv(c, &text, on, &name, staff)?;
            plan.dry_run = dry_run;
            reorganise::run(
                c,
                motcua::auth::Scope::All,
                None,
                &plan,
                motcua::dossiers::store::now_instant(),
            )
        })
        .map_err(describe)?;
    print!("{}", reorganise::table(&outcome));
    Ok(())
}

fn documents(config: &Config) -> motcua::blobs::BlobStore {
    motcua::blobs::BlobStore::new(&config.documents_dir, config.max_upload_bytes)
}

fn backup(
    config: &Config,
    db: &motcua::db::Db,
    dir: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let report = motcua::ops::backup(db, &documents(config), dir).map_err(describe)?;
    match &report.database {
        Some(path) => println!("database copied to {}", path.display()),
        None => println!(
            "PostgreSQL: the documents are copied; take the database beside them with\n  \
             pg_dump --format=custom --file={}/motcua.pgdump \"$DATABASE_URL\"\n\
             (restore: pg_restore --clean --if-exists --dbname=\"$DATABASE_URL\" motcua.pgdump)",
            dir.display()
        ),
    }
    println!(
        "{} documents ({} bytes) copied to {}",
        report.documents,
        report.document_bytes,
        dir.join("documents").display()
    );
    Ok(())
}

/// Prints what `check` found; `Ok(true)` when nothing is wrong.
fn check(
    config: &Config,
    db: &motcua::db::Db,
    repair_orphans: bool,
) -> Result<bool, Box<dyn std::error::Error>> {
    let r = motcua::ops::check(db, &documents(config), repair_orphans).map_err(describe)?;
    println!(
        "{} dossiers, {} document records checked",
        r.dossiers, r.documents
    );
    let sections: [(&str, &Vec<String>); 8] = [
        (
            "dossiers whose state is not their last event's",
            &r.state_mismatches,
        ),
        ("documents whose file is missing", &r.missing_files),
        (
            "documents whose file does not match its SHA-256",
            &r.corrupt_files,
        ),
        (
            "dossiers folded into the statistics with a stale contribution",
            &r.stale_folds,
        ),
        (
            "statistics buckets that differ from a refold",
            &r.wrong_buckets,
        ),
        (
            "retired units still holding open dossiers",
            &r.work_at_retired,
        ),
        ("enabled accounts at retired units", &r.accounts_at_retired),
        ("orphan files (no record refers to them)", &r.orphans),
    ];
    for (what, items) in sections {
        println!("{what}: {}", items.len());
        for item in items.iter().take(20) {
            println!("  {item}");
        }
        if items.len() > 20 {
            println!("  … and {} more", items.len() - 20);
        }
    }
    if repair_orphans {
        println!(
            "orphan files older than a day removed: {}",
            r.orphans_removed
        );
    }
    let faults = r.faults();
    println!("{}", if faults == 0 { "OK" } else { "FAULTS FOUND" });
    Ok(faults == 0)
}

/// `motcua simulate`'s arguments.
struct Simulation {
    province: String,
    year: i32,
    dossiers: usize,
    seed: u64,
    batch: Option<usize>,
    bulk: bool,
    model_provinces: Option<usize>,
    jobs: usize,
}

fn simulate(db: &motcua::db::Db, s: Simulation) -> Result<(), Box<dyn std::error::Error>> {
    use indicatif::{ProgressBar, ProgressStyle};
    let (from, to) = match (
        chrono::NaiveDate::from_ymd_opt(s.year, 1, 1),
        chrono::NaiveDate::from_ymd_opt(s.year + 1, 1, 1),
    ) {
        (Some(f), Some(t)) => (f, t),
        _ => return Err(format!("no such year: {}", s.year).into()),
    };
    let bulk = s.bulk || s.model_provinces.is_some();
    let dossiers = s.dossiers;
    let options = motcua::simulate::Options {
        province: s.province,
        from,
        to,
        dossiers,
        seed: s.seed,
        batch: s.batch.unwrap_or(if bulk { 5_000 } else { 200 }),
    };
    let bar = ProgressBar::new(dossiers as u64).with_style(ProgressStyle::with_template(
        "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, {eta} left)",
    )?);
    bar.set_message("hồ sơ");
    let started = std::time::Instant::now();
    let progress = |done: usize| bar.set_position(done as u64);
    let (filed, transitions, place) = match s.model_provinces {
        Some(count) => {
            let n = motcua::simulate::bulk::national(db, count, s.jobs, &options, &progress)
                .map_err(describe)?;
            let place = format!("{} model provinces", n.provinces.len());
            (n.filed, n.transitions, place)
        }
        None => {
            let outcome = if bulk {
                motcua::simulate::bulk::run(db, &options, &progress)
            } else {
                motcua::simulate::run(db, &options, &progress)
            }
            .map_err(describe)?;
            let place = format!("{} ({})", outcome.province.name, outcome.province.code);
            (outcome.filed, outcome.transitions, place)
        }
    };
    bar.finish();
    let filed_in = started.elapsed();
    let folding = ProgressBar::new_spinner().with_message("folding into the statistics");
    motcua::stats::fast::settle(db, 5_000, &|folded| {
        folding.set_message(format!("folding into the statistics: {folded} changes"));
        folding.tick();
    })
    .map_err(describe)?;
    folding.finish_and_clear();
    println!(
        "{filed} dossiers ({transitions} transitions) filed in {place} in {:.1} s; statistics folded in {:.1} s",
        filed_in.as_secs_f64(),
        (started.elapsed() - filed_in).as_secs_f64()
    );
    Ok(())
}
