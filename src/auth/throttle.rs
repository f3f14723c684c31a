//! Events per client address in a time window, counted in memory in each instance: failed
//! logins, and public tracking look-ups. (Failed logins per account are kept in the database,
//! so they hold across instances: see `accounts::store`.)

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct AddressThrottle {
    limit: u32,
    window: Duration,
    state: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl AddressThrottle {
    pub fn new(limit: u32, window: Duration) -> Self {
        AddressThrottle {
            limit,
            window,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds)` to wait if the address is locked now.
    pub fn locked_for(&self, ip: IpAddr) -> Option<u64> {
        let map = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (count, since) = map.get(&ip)?;
        let elapsed = since.elapsed();
        (*count >= self.limit && elapsed < self.window)
            .then(|| (self.window - elapsed).as_secs().max(1))
    }

    /// Counts one event (a failed login, a look-up) from `ip`.
    pub fn record(&self, ip: IpAddr) {
        let mut map = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, (_, since)| since.elapsed() < window);
        }
        let entry = map.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.window {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    pub fn record_success(&self, ip: IpAddr) {
        let mut map = self.state.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_limit_within_window() {
        let t = AddressThrottle::new(3, Duration::from_secs(60));
        let ip: IpAddr = "127.0.0.9".parse().unwrap();
        for _ in 0..2 {
            t.record(ip);
        }
        assert_eq!(t.locked_for(ip), None);
        t.record(ip);
        assert!(t.locked_for(ip).is_some_and(|s| s <= 60));
        t.record_success(ip);
        assert_eq!(t.locked_for(ip), None);
    }

    #[test]
    fn window_expiry_unlocks() {
        let t = AddressThrottle::new(1, Duration::from_millis(20));
        let ip: IpAddr = "::1".parse().unwrap();
        t.record(ip);
        assert!(t.locked_for(ip).is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(t.locked_for(ip), None);
    }
}
