//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane). Callers run
//! these on the blocking pool: a hash costs tens of milliseconds of CPU.
//!
//! At most as many hashes run at once as the machine has cores (`Gate`): more would not finish
//! sooner, and each holds its 19 MiB block, so a burst of sign-ins on the blocking pool's
//! hundreds of threads grew the heap by hundreds of MiB (the soak's step).

use std::sync::{Condvar, Mutex, OnceLock};

/// A counting gate: `enter` waits while `limit` holders are inside.
struct Gate {
    inside: Mutex<usize>,
    freed: Condvar,
    limit: usize,
}

struct Entered<'a>(&'a Gate);

impl Gate {
    fn enter(&self) -> Entered<'_> {
        let mut n = self.inside.lock().unwrap_or_else(|p| p.into_inner());
        while *n >= self.limit {
            n = self.freed.wait(n).unwrap_or_else(|p| p.into_inner());
        }
        *n += 1;
        Entered(self)
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        let mut n = self.0.inside.lock().unwrap_or_else(|p| p.into_inner());
        *n = n.saturating_sub(1);
        self.0.freed.notify_one();
    }
}

fn gate() -> &'static Gate {
    static GATE: OnceLock<Gate> = OnceLock::new();
    GATE.get_or_init(|| Gate {
        inside: Mutex::new(0),
        freed: Condvar::new(),
        limit: std::thread::available_parallelism().map_or(2, |n| n.get()),
    })
}

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A PHC-format argon2id hash of `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    let _inside = gate().enter();
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches `stored`. A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => {
            let _inside = gate().enter();
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        }
        Err(_) => false,
    }
}

/// Verifies against a fixed hash, so an unknown user name costs as much time as a known one.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("motcua-dummy-password").unwrap_or_default());
    let _ = verify(password, stored);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_lets_in_at_most_its_limit() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let gate = Arc::new(Gate {
            inside: Mutex::new(0),
            freed: Condvar::new(),
            limit: 2,
        });
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (gate, now, most) = (gate.clone(), now.clone(), most.clone());
                std::thread::spawn(move || {
                    let _in = gate.enter();
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    now.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(*gate.inside.lock().unwrap(), 0);
    }

    #[test]
    fn hash_is_argon2id_salted_and_verifies() {
        let a = hash("mật khẩu đủ dài").unwrap();
        let b = hash("mật khẩu đủ dài").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salts differ");
        assert!(verify("mật khẩu đủ dài", &a));
        assert!(!verify("mat khau du dai", &a));
        assert!(!verify("anything", "not a hash"));
    }
}
