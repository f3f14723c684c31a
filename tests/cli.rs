//! The `motcua` command as an operator meets it: each command's help, the errors that name
//! what is wrong, weak secrets refused, plain logs into a pipe, a private SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn motcua(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MOTCUA_DATA_DIR", dir)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn each_commands_help_lists_its_own_flags_with_a_description() {
    let dir = tempfile::tempdir().unwrap();
    let help = |args: &[&str]| text(&motcua(dir.path(), args));
    let migrate = help(&["migrate", "--help"]);
    assert!(migrate.contains("--database-url"), "{migrate}");
    assert!(!migrate.contains("--bind"), "{migrate}");
    assert!(!migrate.contains("--jwt-secret"), "{migrate}");
    let openapi = help(&["openapi", "--help"]);
    assert!(!openapi.contains("--database-url"), "{openapi}");
    let serve = help(&["serve", "--help"]);
    for flag in ["--bind", "--jwt-secret", "--request-timeout", "--demo"] {
        assert!(serve.contains(flag), "{flag}: {serve}");
    }
    // Every flag carries a description, after its name or on the next line.
    for command in ["simulate", "serve", "reorganise", "create-admin"] {
        let page = help(&[command, "--help"]);
        let lines: Vec<&str> = page.lines().map(str::trim_start).collect();
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with("--") || line.starts_with("-h") {
                let same = line.split_once("  ").map(|(_, r)| r.trim()).unwrap_or("");
                let next = lines.get(i + 1).copied().unwrap_or("");
                let described = !same.is_empty() || (!next.is_empty() && !next.starts_with('-'));
                assert!(described, "{command}: no description for {line}");
            }
        }
    }
    // A service flag with another command is refused, not ignored.
    let out = motcua(dir.path(), &["--bind", "127.0.0.1:1", "migrate"]);
    assert!(!out.status.success());
}

#[test]
fn an_unopenable_database_and_a_taken_address_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = motcua(
        dir.path(),
        &[
            "migrate",
            "--database-url",
            "sqlite:///no/such/directory/motcua.db",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("/no/such/directory/motcua.db"),
        "{}",
        text(&out)
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = motcua(dir.path(), &["--bind", &addr]);
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains(&addr), "{said}");
    assert!(said.to_lowercase().contains("in use"), "{said}");
}

#[test]
fn weak_jwt_secrets_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for weak in [" ".repeat(40), "x".repeat(40), "short".to_owned()] {
        let out = Command::new(env!("CARGO_BIN_EXE_motcua"))
            .args(["migrate"])
            .env_clear()
            .env("MOTCUA_DATA_DIR", dir.path())
            .env("MOTCUA_JWT_SECRET", &weak)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{weak:?} accepted");
        assert!(text(&out).contains("MOTCUA_JWT_SECRET"), "{}", text(&out));
    }
}

#[test]
fn the_demo_serves_with_plain_logs_and_a_private_database() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["--demo", "--bind", "127.0.0.1:0"])
        .env_clear()
        .env("MOTCUA_DATA_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !seen.iter().any(|l: &String| l.contains("motcua listening")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let all = seen.join("\n");
    assert!(all.contains("Demo province loaded"), "{all}");
    assert!(all.contains("motcua listening"), "{all}");
    assert!(!all.contains('\u{1b}'), "colour codes in a pipe: {all:?}");
    let mode = std::fs::metadata(dir.path().join("motcua.db"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}
