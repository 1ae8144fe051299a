//! Merging segments: too many, or one mostly dead, become one, read back from the
//! segments (no source file is read again) and streamed through a [`Writer`].

use std::collections::HashMap;
use std::path::Path;

use crate::store::fsio::{self, io_err};

use super::build::{self, Limits};
use super::codec::Detail;
use super::codec::Pool;
use super::segment::Segment;
use super::writer::Writer;
use super::{IndexError, MAX_SEGMENTS, Manifest, live_units, seg_name};

pub(super) fn needs_merge(segments: &[(u64, Segment)], live: &[Vec<bool>]) -> bool {
    if segments.len() > MAX_SEGMENTS {
        return true;
    }
    // A segment more than half dead is merged away.
    segments.iter().zip(live).any(|((_, s), l)| {
        let dead: u32 = s
            .units
            .iter()
            .zip(l)
            .filter(|(_, live)| !**live)
            .map(|(u, _)| u.count)
            .sum();
        s.records > 64 && dead * 2 > s.records
    })
}

/// Merges segments: all of them when the largest is mostly dead or there are too many,
/// else all but the largest. Reads records back from the segments (no source file is
/// read again).
pub(super) fn merge(
    dir: &Path,
    segments: Vec<(u64, Segment)>,
    manifest: &mut Manifest,
    limits: Limits,
) -> Result<Vec<(u64, Segment)>, IndexError> {
    let live = live_units(&segments, &manifest.files);
    let largest = segments
        .iter()
        .enumerate()
        .max_by_key(|(_, (_, s))| s.records)
        .map(|(i, _)| i);
    let largest_healthy = largest.is_some_and(|i| {
        let s = &segments[i].1;
        let dead: u32 = s
            .units
            .iter()
            .zip(&live[i])
            .filter(|(_, l)| !**l)
            .map(|(u, _)| u.count)
            .sum();
        dead * 2 <= s.records
    });
    let mut keep: Vec<(u64, Segment)> = Vec::new();
    let spill = build::spill_file(dir).map_err(io_err(dir))?;
    let mut w = Writer::new(Box::new(spill), limits.block);
    let mut remap: HashMap<(u64, u32), u32> = HashMap::new();
    let mut pool = Pool::default();
    for (i, (g, seg)) in segments.into_iter().enumerate() {
        if largest_healthy && Some(i) == largest {
            keep.push((g, seg));
            continue;
        }
        // A segment's records come by kind, each kind's in unit order: as the writer
        // takes them.
        let mut units = vec![u32::MAX; seg.units.len()];
        for (u, info) in seg.units.iter().enumerate() {
            if live[i][u] {
                units[u] = w.unit(&info.file);
                remap.insert((g, u as u32), units[u]);
            }
        }
        let mut written = Ok(());
        seg.each(
            |_, s| live[i][s.unit as usize],
            Detail::Full,
            true,
            &mut pool,
            |d, r| {
                if written.is_ok() {
                    written = w.push(units[seg.stats[d as usize].unit as usize], &r);
                }
            },
        )?;
        written.map_err(io_err(dir))?;
    }
    let g = manifest.next_gen;
    manifest.next_gen += 1;
    fsio::atomic_write_with(&dir.join(seg_name(g)), |out| w.finish(out))?;
    for f in &mut manifest.files {
        for u in &mut f.units {
            if let Some(&n) = remap.get(&(u.seg, u.unit)) {
                u.seg = g;
                u.unit = n;
            }
        }
    }
    keep.push((g, Segment::open(&dir.join(seg_name(g)))?));
    Ok(keep)
}
