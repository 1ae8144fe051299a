//! The writer against the builder it replaced.

use std::collections::{HashMap, HashSet};

use super::*;
use crate::store::index::segment::{Segment, UnitInput, build};
use crate::store::index::sources::{self, SourceKind};

/// Every unit of a generated directory (both layouts), as the index reads them.
fn units_of(root: &std::path::Path) -> Vec<UnitInput> {
    let mut units = Vec::new();
    for f in sources::scan(root) {
        let bytes = std::fs::read(f.abs(root)).unwrap();
        let records = match f.kind {
            SourceKind::Archive => sources::archive_records(&f.path, &bytes),
            SourceKind::Handoff => vec![sources::handoff_record(&f.path, &bytes, f.mtime)],
            SourceKind::Knowledge => sources::knowledge_records(&f.path, &bytes, &HashSet::new()),
            kind => sources::log_records(kind, &f.path, &bytes, 1),
        };
        units.push(UnitInput {
            file: f.path.clone(),
            records,
        });
    }
    units
}

/// How segments were built before the writer: every record at once, in memory.
fn reference(units: &[UnitInput]) -> Vec<u8> {
    let mut term_ids: HashMap<String, u32> = HashMap::new();
    let mut postings: Vec<Vec<(u32, u32)>> = Vec::new();
    let mut stats = Enc::default();
    let mut unit_table = Enc::default();
    let mut rec_offsets: Vec<u64> = Vec::new();
    let mut records = Enc::default();
    let mut tails = Enc::default();
    let mut head = Enc::default();
    let mut bodies: Vec<u8> = Vec::new();
    let mut total_len: u64 = 0;
    let mut n: u32 = 0;
    let mut doc_terms: Vec<(u32, u32)> = Vec::new();

    for unit in units {
        unit_table.u32_le(0); // unused: records are ordered by kind, not by unit
        unit_table.u32_le(unit.records.len() as u32);
        unit_table.s(&unit.file);
    }
    let mut order: Vec<(u32, &Record)> = units
        .iter()
        .enumerate()
        .flat_map(|(u, unit)| unit.records.iter().map(move |r| (u as u32, r)))
        .collect();
    order.sort_by_key(|(_, r)| r.kind);
    for (u, r) in order {
        let mut len = 0u32;
        if Kind::SEARCHED.contains(&r.kind) {
            doc_terms.clear();
            for (text, weight) in [(&r.title, TITLE_WEIGHT), (&r.body, 1)] {
                let folded = fold(text);
                for t in tokens(&folded) {
                    len += 1;
                    let id = match term_ids.get(t) {
                        Some(&id) => id,
                        None => {
                            let id = postings.len() as u32;
                            term_ids.insert(t.to_string(), id);
                            postings.push(Vec::new());
                            id
                        }
                    };
                    doc_terms.push((id, weight));
                }
            }
            doc_terms.sort_unstable_by_key(|(id, _)| *id);
            let mut i = 0;
            while i < doc_terms.len() {
                let id = doc_terms[i].0;
                let mut tf = 0;
                while i < doc_terms.len() && doc_terms[i].0 == id {
                    tf += doc_terms[i].1;
                    i += 1;
                }
                postings[id as usize].push((n, tf));
            }
            total_len += u64::from(len);
        }
        Stat::of(r, u, len).encode(&mut stats);
        rec_offsets.push(records.buf.len() as u64);
        let tail_at = tails.buf.len();
        head.buf.clear();
        enc_data(&mut head, &mut tails, &r.data);
        records.os(r.session_id.as_deref());
        records.s(&r.title);
        records.u(u64::from(r.source.line));
        records.u(bodies.len() as u64);
        records.u(r.body.len() as u64);
        records.u(tail_at as u64);
        records.u((tails.buf.len() - tail_at) as u64);
        records.buf.extend_from_slice(&head.buf);
        bodies.extend_from_slice(r.body.as_bytes());
        n += 1;
    }
    rec_offsets.push(records.buf.len() as u64);

    let mut terms: Vec<(String, u32)> = term_ids.into_iter().collect();
    terms.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut blob: Vec<u8> = Vec::new();
    let mut ends = Enc::default();
    let mut post_offs = Enc::default();
    let mut post = Enc::default();
    for (term, id) in &terms {
        blob.extend_from_slice(term.as_bytes());
        ends.u32_le(blob.len() as u32);
        blob.push(b'\n');
        post_offs.u64_le(post.buf.len() as u64);
        let list = &postings[*id as usize];
        post.u(list.len() as u64);
        let mut last = 0u32;
        for &(doc, tf) in list {
            post.u(u64::from(doc - last));
            post.u(u64::from(tf));
            last = doc;
        }
    }
    post_offs.u64_le(post.buf.len() as u64);
    let mut offs = Enc::default();
    for o in &rec_offsets {
        offs.u64_le(*o);
    }

    let sections: [&[u8]; SECTIONS] = [
        &unit_table.buf,
        &stats.buf,
        &offs.buf,
        &records.buf,
        &tails.buf,
        &bodies,
        &blob,
        &ends.buf,
        &post_offs.buf,
        &post.buf,
    ];
    let mut out = Enc::default();
    out.buf.extend_from_slice(MAGIC);
    out.u32_le(n);
    out.u32_le(units.len() as u32);
    out.u32_le(terms.len() as u32);
    out.u32_le(0);
    out.u64_le(total_len);
    let mut at = HEADER as u64;
    for s in sections {
        out.u64_le(at);
        at += s.len() as u64;
    }
    debug_assert_eq!(out.buf.len(), HEADER);
    for s in sections {
        out.buf.extend_from_slice(s);
    }
    out.buf
}

/// Streamed, with blocks of any size spilled to a file, a segment is byte for byte the
/// one built from every record at once.
#[test]
fn streamed_segments_equal_segments_built_at_once() {
    for seed in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("s");
        if seed {
            crate::store::generate::generate_seed_history(&root, 30).unwrap();
        } else {
            crate::store::generate::generate_history(&root, 30).unwrap();
        }
        let units = units_of(&root);
        let kinds: HashSet<Kind> = units
            .iter()
            .flat_map(|u| u.records.iter().map(|r| r.kind))
            .collect();
        assert!(kinds.len() >= if seed { 3 } else { 5 }, "{kinds:?}");
        let expected = reference(&units);
        assert_eq!(build(&units), expected);
        for block in [1, 7, 100, 4096] {
            let spill = tempfile::tempfile().unwrap();
            let mut w = Writer::new(Box::new(spill), block);
            for unit in &units {
                let u = w.unit(&unit.file);
                for r in &unit.records {
                    w.push(u, r).unwrap();
                }
            }
            let mut out = Vec::new();
            w.finish(&mut out).unwrap();
            assert!(out == expected, "block {block}");
        }
        // And reads back as written.
        let path = tmp.path().join("seg");
        std::fs::write(&path, &expected).unwrap();
        let seg = Segment::open(&path).unwrap();
        let n: usize = units.iter().map(|u| u.records.len()).sum();
        assert_eq!(seg.records as usize, n);
    }
}
