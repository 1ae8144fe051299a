//! A small binary encoding (varints, strings, times) and a fast content hash, shared by the
//! index and the decision cache. Decoding never panics: anything out of bounds or malformed is
//! [`Corrupt`], and what was encoded is then rebuilt from the files.

use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt;

pub type DResult<T> = Result<T, Corrupt>;

#[derive(Default)]
pub struct Enc {
    pub buf: Vec<u8>,
}

impl Enc {
    pub fn u(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    pub fn i(&mut self, v: i64) {
        self.u(((v << 1) ^ (v >> 63)) as u64);
    }

    pub fn f(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn s(&mut self, v: &str) {
        self.u(v.len() as u64);
        self.buf.extend_from_slice(v.as_bytes());
    }

    pub fn os(&mut self, v: Option<&str>) {
        match v {
            None => self.buf.push(0),
            Some(s) => {
                self.buf.push(1);
                self.s(s);
            }
        }
    }

    pub fn strs(&mut self, v: &[String]) {
        self.u(v.len() as u64);
        for s in v {
            self.s(s);
        }
    }

    pub fn time(&mut self, t: Option<DateTime<Utc>>) {
        match t {
            None => self.buf.push(0),
            Some(t) => {
                self.buf.push(1);
                self.i(t.timestamp());
                self.u(u64::from(t.timestamp_subsec_nanos()));
            }
        }
    }

    pub fn date(&mut self, d: Option<NaiveDate>) {
        match d {
            None => self.buf.push(0),
            Some(d) => {
                self.buf.push(1);
                self.i(i64::from(d.to_epoch_days()));
            }
        }
    }

    pub fn u32_le(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u64_le(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn i64_le(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
}

pub struct Dec<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Dec<'a> {
    pub fn new(buf: &'a [u8]) -> Dec<'a> {
        Dec { buf, pos: 0 }
    }

    pub fn u(&mut self) -> DResult<u64> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = *self.buf.get(self.pos).ok_or(Corrupt)?;
            self.pos += 1;
            if shift > 63 {
                return Err(Corrupt);
            }
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    /// A length prefix, at most the bytes left (so it can size an allocation).
    pub fn count(&mut self) -> DResult<usize> {
        let n = self.u()? as usize;
        if n > self.buf.len() - self.pos.min(self.buf.len()) {
            return Err(Corrupt);
        }
        Ok(n)
    }

    pub fn i(&mut self) -> DResult<i64> {
        let v = self.u()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    pub fn bytes(&mut self, n: usize) -> DResult<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(Corrupt)?;
        let out = self.buf.get(self.pos..end).ok_or(Corrupt)?;
        self.pos = end;
        Ok(out)
    }

    pub fn f(&mut self) -> DResult<f64> {
        let b = self.bytes(8)?;
        Ok(f64::from_le_bytes(b.try_into().map_err(|_| Corrupt)?))
    }

    pub fn b(&mut self) -> DResult<bool> {
        Ok(self.bytes(1)?[0] != 0)
    }

    pub fn str(&mut self) -> DResult<&'a str> {
        let n = self.count()?;
        std::str::from_utf8(self.bytes(n)?).map_err(|_| Corrupt)
    }

    pub fn s(&mut self) -> DResult<String> {
        self.str().map(str::to_string)
    }

    pub fn os(&mut self) -> DResult<Option<String>> {
        Ok(if self.b()? { Some(self.s()?) } else { None })
    }

    pub fn skip_str(&mut self) -> DResult<()> {
        let n = self.count()?;
        self.bytes(n).map(|_| ())
    }

    pub fn skip_os(&mut self) -> DResult<()> {
        if self.b()? {
            self.skip_str()?;
        }
        Ok(())
    }

    pub fn strs(&mut self) -> DResult<Vec<String>> {
        let n = self.count()?;
        (0..n).map(|_| self.s()).collect()
    }

    pub fn time(&mut self) -> DResult<Option<DateTime<Utc>>> {
        if !self.b()? {
            return Ok(None);
        }
        let secs = self.i()?;
        let nanos = u32::try_from(self.u()?).map_err(|_| Corrupt)?;
        DateTime::from_timestamp(secs, nanos)
            .ok_or(Corrupt)
            .map(Some)
    }

    pub fn date(&mut self) -> DResult<Option<NaiveDate>> {
        if !self.b()? {
            return Ok(None);
        }
        let days = i32::try_from(self.i()?).map_err(|_| Corrupt)?;
        NaiveDate::from_epoch_days(days).ok_or(Corrupt).map(Some)
    }

    pub fn u32_le(&mut self) -> DResult<u32> {
        Ok(u32::from_le_bytes(
            self.bytes(4)?.try_into().map_err(|_| Corrupt)?,
        ))
    }

    pub fn u64_le(&mut self) -> DResult<u64> {
        Ok(u64::from_le_bytes(
            self.bytes(8)?.try_into().map_err(|_| Corrupt)?,
        ))
    }
}

/// A fast 64-bit content hash (not cryptographic): tells whether a file or a part of one
/// changed since it was indexed or cached.
pub fn hash(bytes: &[u8]) -> u64 {
    let mut h = Hasher64::new(bytes.len());
    h.update(bytes);
    h.finish()
}

/// [`hash`] of bytes given in parts (a file written from pieces): the same value as `hash`
/// of the parts joined. The total length is known up front; it seeds the state.
pub struct Hasher64 {
    h: u64,
    blocks: Blocks<8>,
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// One lane's step: what both hashes do to each 8-byte word.
fn mix_word(lane: u64, word: &[u8; 8]) -> u64 {
    (lane ^ u64::from_le_bytes(*word))
        .wrapping_mul(K)
        .rotate_left(29)
}

/// Bytes given in parts, handed on in whole `N`-byte blocks; the last partial block waits.
struct Blocks<const N: usize> {
    pending: [u8; N],
    filled: usize,
}

impl<const N: usize> Blocks<N> {
    fn new() -> Self {
        Blocks {
            pending: [0; N],
            filled: 0,
        }
    }

    fn feed(&mut self, mut bytes: &[u8], mut block: impl FnMut(&[u8; N])) {
        if self.filled > 0 {
            let take = (N - self.filled).min(bytes.len());
            self.pending[self.filled..self.filled + take].copy_from_slice(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled < N {
                return;
            }
            block(&self.pending);
            self.filled = 0;
        }
        let mut whole = bytes.chunks_exact(N);
        for b in &mut whole {
            block(b.try_into().unwrap_or(&[0; N]));
        }
        let rest = whole.remainder();
        self.pending[..rest.len()].copy_from_slice(rest);
        self.filled = rest.len();
    }

    /// The partial block, zero-padded (the length in the seed tells "a" from "a\0").
    fn tail(&self) -> [u8; N] {
        let mut tail = [0u8; N];
        tail[..self.filled].copy_from_slice(&self.pending[..self.filled]);
        tail
    }
}

impl Hasher64 {
    pub fn new(total_len: usize) -> Self {
        Hasher64 {
            h: 0x243F_6A88_85A3_08D3 ^ (total_len as u64).wrapping_mul(K),
            blocks: Blocks::new(),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        let h = &mut self.h;
        self.blocks.feed(bytes, |word| *h = mix_word(*h, word));
    }

    pub fn finish(self) -> u64 {
        let mut h = (self.h ^ u64::from_le_bytes(self.blocks.tail())).wrapping_mul(K);
        h ^= h >> 32;
        h.wrapping_mul(K) ^ (h >> 29)
    }
}

/// A content hash of four lanes over 32-byte blocks: each lane mixes as [`hash`] does, and
/// none waits on another's multiply, so megabytes hash about three times as fast. The
/// decision cache keys the knowledge base (8 MB at 10,000 sessions) by it on every `end` and
/// `context`; the index keeps [`hash`], whose values its manifests hold.
pub fn wide_hash(bytes: &[u8]) -> u64 {
    let mut h = WideHasher::new(bytes.len());
    h.update(bytes);
    h.finish()
}

/// [`wide_hash`] of bytes given in parts: the same value as of the parts joined.
pub struct WideHasher {
    lanes: [u64; 4],
    blocks: Blocks<32>,
}

impl WideHasher {
    pub fn new(total_len: usize) -> Self {
        let seed = 0x243F_6A88_85A3_08D3 ^ (total_len as u64).wrapping_mul(K);
        WideHasher {
            lanes: [
                seed,
                seed ^ 0x1319_8A2E_0370_7344,
                seed ^ 0xA409_3822_299F_31D0,
                seed ^ 0x082E_FA98_EC4E_6C89,
            ],
            blocks: Blocks::new(),
        }
    }

    fn mix(lanes: &mut [u64; 4], block: &[u8; 32]) {
        for (i, lane) in lanes.iter_mut().enumerate() {
            *lane = mix_word(*lane, block[i * 8..i * 8 + 8].try_into().unwrap_or(&[0; 8]));
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        let lanes = &mut self.lanes;
        self.blocks.feed(bytes, |block| Self::mix(lanes, block));
    }

    pub fn finish(mut self) -> u64 {
        Self::mix(&mut self.lanes, &self.blocks.tail());
        let mut h = self
            .lanes
            .iter()
            .fold(0, |h: u64, lane| (h ^ lane).wrapping_mul(K).rotate_left(31));
        h ^= h >> 32;
        h.wrapping_mul(K) ^ (h >> 29)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value the index has always stored for these bytes: changing `hash` would make
    /// every index and cache look changed.
    #[test]
    fn hashing_in_parts_equals_hashing_whole() {
        let bytes: Vec<u8> = (0..100u8).collect();
        assert_eq!(hash(&bytes), 0x3698_123d_49ac_0030);
        assert_eq!(hash(b"baton"), 0xe044_e8a5_68f7_419c);
        assert_eq!(hash(b""), 0xea4c_db51_c318_98df);
        for a in 0..bytes.len() {
            for b in a..bytes.len() {
                let mut h = Hasher64::new(bytes.len());
                h.update(&bytes[..a]);
                h.update(&bytes[a..b]);
                h.update(&bytes[b..]);
                assert_eq!(h.finish(), hash(&bytes), "{a} {b}");
            }
        }
        assert_ne!(hash(b"abcdefgh1"), hash(b"abcdefgh2"));
    }

    /// Pinned like [`hash`]'s: a change here makes every decision cache look changed (then
    /// its magic must change too).
    #[test]
    fn wide_hashing_in_parts_equals_hashing_whole() {
        let bytes: Vec<u8> = (0..100u8).collect();
        assert_eq!(wide_hash(&bytes), 0x271f_3208_856b_71b9);
        for a in 0..bytes.len() {
            for b in a..bytes.len() {
                let mut h = WideHasher::new(bytes.len());
                h.update(&bytes[..a]);
                h.update(&bytes[a..b]);
                h.update(&bytes[b..]);
                assert_eq!(h.finish(), wide_hash(&bytes), "{a} {b}");
            }
        }
        // Every byte of every lane counts, and the length tells zero padding apart.
        for i in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[i] ^= 1;
            assert_ne!(wide_hash(&changed), wide_hash(&bytes), "{i}");
        }
        assert_ne!(wide_hash(b"a"), wide_hash(b"a\0"));
        assert_ne!(wide_hash(b""), wide_hash(b"\0"));
    }
}
