//! The in-memory catalogue: every procedure's current version, sorted by code, with its folded
//! search text and its summary already serialised, so a search is a scan of a few thousand
//! short strings and a concatenation — no database round trip. Each instance reloads it when
//! the `catalogue_revision` counter moves: at once after its own writes, and within
//! `RECHECK_AFTER` after another instance's. `store::list` is the reference it must agree with.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::model::{search_text, OnlineLevel};
use super::store::{self, ProcedureFilter, ProcedureSummary};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::http::Paging;
use crate::text;
use crate::units::model::Level;

/// How stale another instance's catalogue change may be here.
pub const RECHECK_AFTER: Duration = Duration::from_secs(2);

struct Entry {
    field_key: String,
    levels: Vec<Level>,
    online_level: OnlineLevel,
    active: bool,
    json: String,
}

/// One immutable snapshot of the catalogue.
///
/// Search is by words: a query term has no spaces, so a folded text contains it exactly when
/// one of the text's words does. The distinct words are kept in one buffer, each followed by
/// '\n'; a term is found in it with one SIMD pass, and the matching words' postings give the
/// entries. This is the same answer as `LIKE '%term%'` on the whole text.
pub struct Index {
    revision: i64,
    entries: Vec<Entry>,
    vocabulary: Vec<u8>,
    /// Where each word starts in `vocabulary`, plus the end.
    word_starts: Vec<usize>,
    /// For each word, the entries (in order) whose text has it.
    postings: Vec<Vec<u32>>,
}

/// A set of entries, one bit each.
struct Bits(Vec<u64>);

impl Bits {
    fn empty(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }
    /// The set entries, in order.
    fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    w * 64 + bit
                })
            })
        })
    }

    fn and(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }
}

impl Index {
    pub fn build(revision: i64, summaries: Vec<ProcedureSummary>) -> AppResult<Index> {
        let mut entries = Vec::with_capacity(summaries.len());
        let mut word_ids: std::collections::HashMap<String, usize> =
            std::collections::HashMap::new();
        let mut postings: Vec<Vec<u32>> = Vec::new();
        for (n, s) in summaries.into_iter().enumerate() {
            let n = u32::try_from(n)
                .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))?;
            for word in search_text(&s.code, &s.name, &s.field)
                .split(' ')
                .filter(|w| !w.is_empty())
            {
                let next = word_ids.len();
                let id = *word_ids.entry(word.to_owned()).or_insert(next);
                if id == postings.len() {
                    postings.push(Vec::new());
                }
                if postings[id].last() != Some(&n) {
                    postings[id].push(n);
                }
            }
            entries.push(Entry {
                field_key: text::fold(&s.field),
                json: serde_json::to_string(&s).map_err(AppError::internal)?,
                levels: s.levels,
                online_level: s.online_level,
                active: s.active,
            });
        }
        let mut words: Vec<(String, usize)> = word_ids.into_iter().collect();
        words.sort_unstable_by_key(|(_, id)| *id);
        let mut vocabulary = Vec::new();
        let mut word_starts = Vec::with_capacity(words.len() + 1);
        for (w, _) in &words {
            word_starts.push(vocabulary.len());
            vocabulary.extend_from_slice(w.as_bytes());
            vocabulary.push(b'\n');
        }
        word_starts.push(vocabulary.len());
        Ok(Index {
            revision,
            entries,
            vocabulary,
            word_starts,
            postings,
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries whose text contains `term` (which has no spaces).
    fn containing(&self, term: &[u8]) -> Bits {
        let mut bits = Bits::empty(self.entries.len());
        let finder = memchr::memmem::Finder::new(term);
        let mut at = 0;
        while at < self.vocabulary.len() {
            let Some(found) = finder.find(&self.vocabulary[at..]) else {
                break;
            };
            let pos = at + found;
            let word = self.word_starts.partition_point(|s| *s <= pos) - 1;
            for &e in self.postings.get(word).map_or(&[][..], Vec::as_slice) {
                bits.set(e as usize);
            }
            at = self
                .word_starts
                .get(word + 1)
                .copied()
                .unwrap_or(usize::MAX);
        }
        bits
    }

    /// The page of matching summaries (as JSON texts) and the total, in code order — the same
    /// rows `store::list` returns for the filter.
    pub fn search(&self, filter: &ProcedureFilter, paging: Paging) -> (Vec<&str>, usize) {
        let mut wanted: Option<Bits> = None;
        for term in filter
            .q
            .as_deref()
            .map(text::query_terms)
            .unwrap_or_default()
        {
            let bits = self.containing(term.as_bytes());
            match &mut wanted {
                None => wanted = Some(bits),
                Some(w) => w.and(&bits),
            }
        }
        let field_key = filter.field.as_deref().map(text::fold);
        let skip = usize::try_from(paging.offset()).unwrap_or(usize::MAX);
        let take = usize::try_from(paging.limit()).unwrap_or(0);
        let mut total = 0;
        let mut page = Vec::with_capacity(take.min(64));
        let candidates: Box<dyn Iterator<Item = usize>> = match &wanted {
            Some(w) => Box::new(w.ones()),
            None => Box::new(0..self.entries.len()),
        };
        for e in candidates.filter_map(|i| self.entries.get(i)) {
            let matches = (filter.include_inactive || e.active)
                && field_key.as_ref().is_none_or(|f| *f == e.field_key)
                && filter.level.is_none_or(|l| e.levels.contains(&l))
                && filter.online_level.is_none_or(|o| o == e.online_level);
            if matches {
                if total >= skip && page.len() < take {
                    page.push(e.json.as_str());
                }
                total += 1;
            }
        }
        (page, total)
    }
}

/// The current snapshot, shared by the workers of one instance.
pub struct CatalogueCache {
    current: RwLock<Arc<Index>>,
    started: Instant,
    /// Milliseconds since `started` of the last completed revision check; 0 = check now.
    checked_at: AtomicU64,
    /// Bumped by every invalidation, so a reload that overlapped one does not mark itself fresh.
    generation: AtomicU64,
    checking: AtomicBool,
}

impl Default for CatalogueCache {
    fn default() -> Self {
        CatalogueCache {
            current: RwLock::new(Arc::new(Index {
                revision: -1,
                entries: Vec::new(),
                vocabulary: Vec::new(),
                word_starts: vec![0],
                postings: Vec::new(),
            })),
            started: Instant::now(),
            checked_at: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            checking: AtomicBool::new(false),
        }
    }
}

impl CatalogueCache {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    fn snapshot_now(&self) -> Arc<Index> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Makes the next read check the revision (after a write, or an import outside the server).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.checked_at.store(0, Ordering::Release);
    }

    /// The snapshot to search. A forced check (after a local write) is always done before
    /// answering, so a writer reads its own write; a periodic check is done by one request
    /// while the others keep serving the current snapshot.
    pub async fn get(&self, db: &Db) -> AppResult<Arc<Index>> {
        let checked_at = self.checked_at.load(Ordering::Acquire);
        let forced = checked_at == 0;
        if !forced && self.now_ms().saturating_sub(checked_at) < RECHECK_AFTER.as_millis() as u64 {
            return Ok(self.snapshot_now());
        }
        if forced {
            return self.reload(db).await;
        }
        if self.checking.swap(true, Ordering::AcqRel) {
            return Ok(self.snapshot_now());
        }
        let result = self.reload(db).await;
        self.checking.store(false, Ordering::Release);
        result
    }

    async fn reload(&self, db: &Db) -> AppResult<Arc<Index>> {
        let generation = self.generation.load(Ordering::Acquire);
        let started = self.now_ms();
        let known = self.snapshot_now().revision;
        let fresh = db
            .read(move |c| {
                let revision = store::revision(c)?;
                if revision == known {
                    return Ok(None);
                }
                Ok(Some(Index::build(revision, store::all_current(c)?)?))
            })
            .await?;
        if let Some(index) = fresh {
            let mut cur = self.current.write().unwrap_or_else(|p| p.into_inner());
            if index.revision >= cur.revision {
                *cur = Arc::new(index);
            }
        }
        if self.generation.load(Ordering::Acquire) == generation {
            self.checked_at.store(started, Ordering::Release);
        }
        Ok(self.snapshot_now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn summary(code: &str, name: &str, field: &str, active: bool) -> ProcedureSummary {
        ProcedureSummary {
            id: Uuid::now_v7(),
            version_id: Uuid::now_v7(),
            code: code.into(),
            version: 1,
            name: name.into(),
            field: field.into(),
            levels: vec![Level::Commune],
            agency: "UBND cấp xã".into(),
            processing_days: Some(1.0),
            time_unit: super::super::model::TimeUnit::WorkingDays,
            online_level: OnlineLevel::Full,
            active,
        }
    }

    #[test]
    fn search_pages_in_code_order_and_counts_all_matches() {
        let idx = Index::build(
            1,
            vec![
                summary("1.000001", "Đăng ký khai sinh", "Hộ tịch", true),
                summary("1.000002", "Đăng ký kết hôn", "Hộ tịch", true),
                summary("1.000003", "Đăng ký khai sinh lưu động", "Hộ tịch", false),
                summary("1.000004", "Khai sinh cho trẻ bị bỏ rơi", "Hộ tịch", true),
            ],
        )
        .unwrap();
        let f = ProcedureFilter {
            q: Some("KHAI sinh".into()),
            ..Default::default()
        };
        let (page, total) = idx.search(
            &f,
            Paging {
                page: 1,
                per_page: 1,
            },
        );
        assert_eq!(total, 2, "the inactive one is hidden");
        assert!(page[0].contains("1.000001"));
        let (page, _) = idx.search(
            &f,
            Paging {
                page: 2,
                per_page: 1,
            },
        );
        assert!(page[0].contains("1.000004"));
        let all = ProcedureFilter {
            include_inactive: true,
            field: Some("ho tich".into()),
            ..Default::default()
        };
        assert_eq!(
            idx.search(
                &all,
                Paging {
                    page: 1,
                    per_page: 10
                }
            )
            .1,
            4
        );
    }
}
