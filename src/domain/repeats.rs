//! The same decision sits in `core_decisions` and in the log once its session ended, and
//! people log the same thing twice in slightly different words. Decisions are one when their
//! normalized texts are equal; the first one seen is kept, with the details the others add.
//!
//! Grouping works on texts alone, so the full read (every decision, for the dashboard) and the
//! context pack (which reads only texts and dates, then builds the ten it shows) group alike.

use std::borrow::Cow;

use super::fast_hash::FxHashMap;
use super::items::Decision;
use super::text::normalize;

/// The key repeats share: the normalized text, else the trimmed text; `None` for no text.
pub fn repeat_key(text: &str) -> Option<String> {
    let mut key = normalize(text);
    if key.is_empty() {
        key = text.trim().to_string();
    }
    (!key.is_empty()).then_some(key)
}

/// Repeat keys, numbered in the order they were first seen. Loaded from a cache, the keys
/// borrow from it, and the lookup map is built only when a new text must be looked up.
#[derive(Debug, Default)]
pub struct KeyTable<'a> {
    keys: Vec<Cow<'a, str>>,
    index: Option<FxHashMap<String, u32>>,
    /// Lookups made by scanning `keys`: the first few are (an `end` adds a decision or
    /// two to 25,000 keys); building the map pays off after that.
    scans: u32,
}

impl<'a> KeyTable<'a> {
    pub fn from_keys(keys: Vec<Cow<'a, str>>) -> Self {
        KeyTable {
            keys,
            index: None,
            scans: 0,
        }
    }

    pub fn keys(&self) -> &[Cow<'a, str>] {
        &self.keys
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The number of `text`'s key, added if new.
    pub fn key_of(&mut self, text: &str) -> Option<u32> {
        const SCANS: u32 = 8;
        let key = repeat_key(text)?;
        if self.index.is_none() && self.scans < SCANS {
            self.scans += 1;
            let id = match self.keys.iter().position(|k| *k == key) {
                Some(i) => i as u32,
                None => {
                    self.keys.push(Cow::Owned(key));
                    self.keys.len() as u32 - 1
                }
            };
            return Some(id);
        }
        let keys = &self.keys;
        let index = self.index.get_or_insert_with(|| {
            let mut map = FxHashMap::default();
            map.reserve(keys.len());
            for (i, k) in keys.iter().enumerate() {
                map.entry(k.to_string()).or_insert(i as u32);
            }
            map
        });
        if let Some(id) = index.get(&key) {
            return Some(*id);
        }
        let id = self.keys.len() as u32;
        index.insert(key.clone(), id);
        self.keys.push(Cow::Owned(key));
        Some(id)
    }

    /// The key of each text. Most repeats are exact copies, found by their text alone; only
    /// texts not seen before are normalized.
    pub fn key_ids<'t>(&mut self, texts: impl Iterator<Item = &'t str>) -> Vec<Option<u32>> {
        self.key_ids_seen(&mut SeenTexts::default(), texts)
    }

    /// [`KeyTable::key_ids`], remembering texts across calls in `seen` (the knowledge base
    /// and the log hold the same decisions: each is normalized once).
    pub fn key_ids_seen<'t>(
        &mut self,
        seen: &mut SeenTexts<'t>,
        texts: impl Iterator<Item = &'t str>,
    ) -> Vec<Option<u32>> {
        let (low, _) = texts.size_hint();
        seen.reserve(low);
        let mut out = Vec::with_capacity(low);
        for text in texts {
            let id = match seen.get(text) {
                Some(id) => *id,
                None => {
                    let id = self.key_of(text);
                    seen.insert(text, id);
                    id
                }
            };
            out.push(id);
        }
        out
    }
}

/// Texts already given a key, by their exact text.
pub type SeenTexts<'t> = FxHashMap<&'t str, Option<u32>>;

/// Groups numbered in the order of their first member (`None`: no text), from keys.
pub fn groups_of(keys: &[Option<u32>], key_count: usize) -> Vec<Option<usize>> {
    let mut group_of_key: Vec<Option<usize>> = vec![None; key_count];
    let mut next = 0;
    keys.iter()
        .map(|key| {
            let slot = group_of_key.get_mut((*key)? as usize)?;
            Some(*slot.get_or_insert_with(|| {
                next += 1;
                next - 1
            }))
        })
        .collect()
}

/// For each text, the group it belongs to (`None`: no text at all), groups numbered in the
/// order of their first text.
pub fn group_repeats<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<Option<usize>> {
    let mut table = KeyTable::default();
    let keys = table.key_ids(texts);
    groups_of(&keys, table.len())
}

/// How many groups `group_repeats` made.
pub fn group_count(groups: &[Option<usize>]) -> usize {
    groups.iter().flatten().max().map_or(0, |g| g + 1)
}

/// Folds `later` into `kept`: a detail `kept` lacks is taken from `later`.
pub fn absorb(kept: &mut Decision, later: Decision) {
    kept.reasoning = kept.reasoning.take().or(later.reasoning);
    kept.impact = kept.impact.take().or(later.impact);
    kept.date = kept.date.take().or(later.date);
    kept.status = kept.status.take().or(later.status);
    kept.session_id = kept.session_id.take().or(later.session_id);
}

/// One decision per group, with the most detail, ordered by date (stable otherwise).
pub fn dedupe_decisions(all: Vec<Decision>) -> Vec<Decision> {
    let groups = group_repeats(all.iter().map(|d| d.decision.as_str()));
    let mut out: Vec<Option<Decision>> = vec![None; group_count(&groups)];
    for (d, group) in all.into_iter().zip(groups) {
        let Some(g) = group else { continue };
        match &mut out[g] {
            Some(kept) => absorb(kept, d),
            slot => *slot = Some(d),
        }
    }
    let mut out: Vec<Decision> = out.into_iter().flatten().collect();
    out.sort_by(|a, b| a.date.cmp(&b.date));
    out
}

/// The last `n` of what [`dedupe_decisions`] would return, given only each decision's group
/// (from [`group_repeats`] or [`groups_of`]) and date, and a way to read a decision in full by
/// its position (called only for the members of the groups returned).
pub fn newest_decisions(
    groups: &[Option<usize>],
    dates: &[Option<&str>],
    n: usize,
    mut full: impl FnMut(&[usize]) -> Vec<Decision>,
) -> Vec<Decision> {
    let count = group_count(groups);
    // A group's date is its first member's date, else the next member's (as `absorb` fills).
    let mut group_dates: Vec<Option<Option<&str>>> = vec![None; count];
    for (&date, group) in dates.iter().zip(groups) {
        if let Some(g) = *group {
            match &mut group_dates[g] {
                slot @ None => *slot = Some(date),
                Some(d @ None) => *d = date,
                Some(Some(_)) => {}
            }
        }
    }
    // By date, then first appearance: the stable sort's order. Only the last `n` are needed,
    // so they are selected first and only they are sorted.
    let mut order: Vec<(Option<&str>, usize)> =
        (0..count).map(|g| (group_dates[g].flatten(), g)).collect();
    let cut = count.saturating_sub(n);
    if cut > 0 && cut < count {
        order.select_nth_unstable(cut);
    }
    order[cut..].sort_unstable();
    let newest: Vec<usize> = order[cut..].iter().map(|(_, g)| *g).collect();
    let members: Vec<usize> = (0..groups.len())
        .filter(|i| groups[*i].is_some_and(|g| newest.contains(&g)))
        .collect();
    let mut built: Vec<Option<Decision>> = vec![None; count];
    for (i, d) in members.iter().zip(full(&members)) {
        let Some(g) = groups[*i] else { continue };
        match &mut built[g] {
            Some(kept) => absorb(kept, d),
            slot => *slot = Some(d),
        }
    }
    newest.iter().filter_map(|g| built[*g].take()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str, date: Option<&str>, why: Option<&str>) -> Decision {
        let mut d = Decision::new(text);
        d.date = date.map(Into::into);
        d.reasoning = why.map(Into::into);
        d
    }

    fn sample() -> Vec<Decision> {
        vec![
            d("Use Redis", Some("2025-11-02"), None),
            d("✅ use  redis.", Some("2025-11-03"), Some("fast")),
            d("Use Redis", Some("2025-11-04"), Some("later")),
            d("Keep Postgres", Some("2025-11-01"), None),
            d("  ", Some("2025-11-05"), None),
            d("...", Some("2025-11-06"), None),
            d("Undated", None, None),
            d("undated", Some("2025-11-07"), Some("dated by a repeat")),
            d("Ship", Some("2025-11-02"), None),
        ]
    }

    #[test]
    fn repeats_exact_or_normalized_are_one_with_the_most_detail() {
        let shown: Vec<(String, Option<String>)> = dedupe_decisions(sample())
            .into_iter()
            .map(|d| (d.decision, d.reasoning))
            .collect();
        let expected = [
            ("Keep Postgres", None),
            ("Use Redis", Some("fast")),
            ("Ship", None),
            ("...", None),
            ("Undated", Some("dated by a repeat")),
        ];
        let expected: Vec<(String, Option<String>)> = expected
            .iter()
            .map(|(t, w)| (t.to_string(), w.map(String::from)))
            .collect();
        assert_eq!(shown, expected);
    }

    /// Keys found by scanning (the first few lookups) and by the map (after) are the same.
    #[test]
    fn keys_are_numbered_by_first_sight_however_they_are_found() {
        let texts: Vec<String> = (0..120)
            .map(|i| match i % 3 {
                0 => format!("Decision {}", i % 40),
                1 => format!("✅ decision  {}.", i % 40),
                _ => "   ".to_string(),
            })
            .collect();
        let mut naive: Vec<String> = Vec::new();
        let expected: Vec<Option<u32>> = texts
            .iter()
            .map(|t| {
                let key = repeat_key(t)?;
                let at = naive.iter().position(|k| *k == key).unwrap_or_else(|| {
                    naive.push(key);
                    naive.len() - 1
                });
                Some(at as u32)
            })
            .collect();
        let mut one_by_one = KeyTable::default();
        let ids: Vec<Option<u32>> = texts.iter().map(|t| one_by_one.key_of(t)).collect();
        assert_eq!(ids, expected);
        let loaded: Vec<Cow<str>> = naive[..5]
            .iter()
            .map(|k| Cow::Borrowed(k.as_str()))
            .collect();
        let mut from_cache = KeyTable::from_keys(loaded);
        assert_eq!(
            from_cache.key_ids(texts.iter().map(String::as_str)),
            expected
        );
        assert_eq!(from_cache.len(), naive.len());
    }

    #[test]
    fn the_newest_from_heads_equal_the_tail_of_the_full_list() {
        let all = sample();
        let full = dedupe_decisions(all.clone());
        let groups = group_repeats(all.iter().map(|d| d.decision.as_str()));
        let dates: Vec<Option<&str>> = all.iter().map(|d| d.date.as_deref()).collect();
        for n in 0..=full.len() + 1 {
            let mut asked = Vec::new();
            let newest = newest_decisions(&groups, &dates, n, |members| {
                asked.extend_from_slice(members);
                members.iter().map(|i| all[*i].clone()).collect()
            });
            assert_eq!(newest, full[full.len().saturating_sub(n)..], "n = {n}");
            assert!(
                n > 1 || asked.len() <= 2,
                "only members are read: {asked:?}"
            );
        }
    }
}
