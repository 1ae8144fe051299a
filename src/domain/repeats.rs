//! The same decision sits in `core_decisions` and in the log once its session ended, and
//! people log the same thing twice in slightly different words. Decisions are one when their
//! normalized texts are equal; the first one seen is kept, with the details the others add.
//!
//! Grouping works on texts alone, so the full read (every decision, for the dashboard) and the
//! context pack (which reads only texts and dates, then builds the ten it shows) group alike.

use super::fast_hash::FxHashMap;
use super::items::Decision;
use super::text::normalize;

/// For each text, the group it belongs to (`None`: no text at all), groups numbered in the
/// order of their first text.
pub fn group_repeats<'a>(texts: impl ExactSizeIterator<Item = &'a str>) -> Vec<Option<usize>> {
    let mut groups = Vec::with_capacity(texts.len());
    // Most repeats are exact copies, found by their text alone; only new texts are normalized.
    let mut by_text: FxHashMap<&str, usize> = FxHashMap::default();
    let mut by_key: FxHashMap<String, usize> = FxHashMap::default();
    by_text.reserve(texts.len());
    let mut next = 0;
    for text in texts {
        let group = match by_text.get(text) {
            Some(&g) => Some(g),
            None => {
                let mut key = normalize(text);
                if key.is_empty() {
                    key = text.trim().to_string();
                }
                if key.is_empty() {
                    None
                } else {
                    let g = *by_key.entry(key).or_insert_with(|| {
                        next += 1;
                        next - 1
                    });
                    by_text.insert(text, g);
                    Some(g)
                }
            }
        };
        groups.push(group);
    }
    groups
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

/// The last `n` of what [`dedupe_decisions`] would return, given only each decision's text and
/// date, and a way to read a decision in full by its position (called only for the members of
/// the groups returned).
pub fn newest_decisions(
    heads: &[(&str, Option<&str>)],
    n: usize,
    mut full: impl FnMut(&[usize]) -> Vec<Decision>,
) -> Vec<Decision> {
    let groups = group_repeats(heads.iter().map(|(text, _)| *text));
    let count = group_count(&groups);
    // A group's date is its first member's date, else the next member's (as `absorb` fills).
    let mut dates: Vec<Option<Option<&str>>> = vec![None; count];
    for (&(_, date), group) in heads.iter().zip(&groups) {
        if let Some(g) = *group {
            match &mut dates[g] {
                slot @ None => *slot = Some(date),
                Some(d @ None) => *d = date,
                Some(Some(_)) => {}
            }
        }
    }
    // By date, then first appearance: the stable sort's order. Only the last `n` are needed,
    // so they are selected first and only they are sorted.
    let mut order: Vec<(Option<&str>, usize)> =
        (0..count).map(|g| (dates[g].flatten(), g)).collect();
    let cut = count.saturating_sub(n);
    if cut > 0 && cut < count {
        order.select_nth_unstable(cut);
    }
    order[cut..].sort_unstable();
    let newest: Vec<usize> = order[cut..].iter().map(|(_, g)| *g).collect();
    let members: Vec<usize> = (0..heads.len())
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

    #[test]
    fn the_newest_from_heads_equal_the_tail_of_the_full_list() {
        let all = sample();
        let full = dedupe_decisions(all.clone());
        let heads: Vec<(&str, Option<&str>)> = all
            .iter()
            .map(|d| (d.decision.as_str(), d.date.as_deref()))
            .collect();
        for n in 0..=full.len() + 1 {
            let mut asked = Vec::new();
            let newest = newest_decisions(&heads, n, |members| {
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
