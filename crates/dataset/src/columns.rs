//! Column building blocks: a string arena and a dictionary of codes.

use rustc_hash::{FxHashMap, FxHasher};
use std::hash::Hasher;

/// Strings of one column stored back to back: one allocation instead of one per row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrCol {
    bytes: String,
    ends: Vec<u32>,
}

impl StrCol {
    pub fn with_capacity(rows: usize, bytes: usize) -> StrCol {
        StrCol {
            bytes: String::with_capacity(bytes),
            ends: Vec::with_capacity(rows),
        }
    }
    /// Appends a value. Fails only when the column would pass 4 GiB of text, which the
    /// reader reports as an error rather than wrapping the offsets.
    pub fn push(&mut self, s: &str) -> Result<(), ColumnFull> {
        let end = self.bytes.len() + s.len();
        let end = u32::try_from(end).map_err(|_| ColumnFull)?;
        self.bytes.push_str(s);
        self.ends.push(end);
        Ok(())
    }
    /// Makes room for `rows` more values of the average length in `sample`.
    pub fn reserve_like(&mut self, rows: usize, sample: &StrCol) {
        let per_row = sample.bytes.len().div_ceil(sample.len().max(1));
        self.bytes.reserve(rows.saturating_mul(per_row));
        self.ends.reserve(rows);
    }
    /// Appends every value of `other`, in order.
    pub fn append(&mut self, other: &StrCol) -> Result<(), ColumnFull> {
        let base = self.bytes.len();
        u32::try_from(base + other.bytes.len()).map_err(|_| ColumnFull)?;
        self.bytes.push_str(&other.bytes);
        self.ends.extend(other.ends.iter().map(|e| e + base as u32));
        Ok(())
    }
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
    pub fn total_bytes(&self) -> usize {
        self.bytes.len()
    }
}

/// A column passed 4 GiB of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("column holds more than 4 GiB of text")]
pub struct ColumnFull;

/// Interned codes (diagnosis codes, ATC codes, service codes, districts …): rows hold a `u32`
/// index, so a list engine can classify each distinct code once instead of once per row.
#[derive(Debug, Clone, Default)]
pub struct Dict {
    values: Vec<String>,
    index: FxHashMap<String, u32>,
}

impl Dict {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.values.len() as u32;
        self.values.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
    pub fn get(&self, i: u32) -> &str {
        &self.values[i as usize]
    }
    pub fn lookup(&self, s: &str) -> Option<u32> {
        self.index.get(s).copied()
    }
    pub fn len(&self) -> usize {
        self.values.len()
    }
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    pub fn values(&self) -> &[String] {
        &self.values
    }
}

/// Dictionaries compare by content per row, not by insertion order; two datasets are equal
/// when their rows resolve to the same strings, which the tables check through `get`.
impl PartialEq for Dict {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values
    }
}

/// Maps id strings to row numbers with 16 bytes per entry: the key is a 64-bit hash and the
/// row's own string is compared on lookup, so a hash collision can never return a wrong row.
#[derive(Debug, Clone, Default)]
pub struct IdIndex {
    by_hash: FxHashMap<u64, u32>,
    /// Ids whose hash collided with an earlier, different id.
    overflow: FxHashMap<String, u32>,
}

pub fn hash_id(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.write_u8(0xff);
    h.finish()
}

/// Inserting an id that is already present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duplicate {
    pub first_row: u32,
}

impl IdIndex {
    pub fn build(col: &StrCol) -> Result<IdIndex, (usize, Duplicate)> {
        let mut idx = IdIndex {
            by_hash: FxHashMap::with_capacity_and_hasher(col.len(), Default::default()),
            overflow: FxHashMap::default(),
        };
        for i in 0..col.len() {
            idx.insert(col, i as u32).map_err(|d| (i, d))?;
        }
        Ok(idx)
    }
    fn insert(&mut self, col: &StrCol, row: u32) -> Result<(), Duplicate> {
        let s = col.get(row as usize);
        match self.by_hash.entry(hash_id(s)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(row);
                Ok(())
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                let first = *o.get();
                if col.get(first as usize) == s {
                    return Err(Duplicate { first_row: first });
                }
                match self.overflow.entry(s.to_string()) {
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(row);
                        Ok(())
                    }
                    std::collections::hash_map::Entry::Occupied(o) => Err(Duplicate {
                        first_row: *o.get(),
                    }),
                }
            }
        }
    }
    pub fn get(&self, col: &StrCol, s: &str) -> Option<u32> {
        let row = *self.by_hash.get(&hash_id(s))?;
        if col.get(row as usize) == s {
            Some(row)
        } else {
            self.overflow.get(s).copied()
        }
    }
}

/// Rows of a child table grouped by a parent row (compressed sparse rows): the rows of
/// parent `p` are `rows[offsets[p]..offsets[p+1]]`, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupIndex {
    offsets: Vec<u32>,
    rows: Vec<u32>,
}

impl GroupIndex {
    /// Counting sort of `parent_of_row` (entries equal to [`crate::NONE`] are left out).
    pub fn build(n_parents: usize, parent_of_row: &[u32]) -> GroupIndex {
        let mut counts = vec![0u32; n_parents + 1];
        for &p in parent_of_row {
            if p != crate::NONE {
                counts[p as usize + 1] += 1;
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let offsets = counts.clone();
        let mut next = counts;
        let mut rows = vec![0u32; offsets[n_parents] as usize];
        for (row, &p) in parent_of_row.iter().enumerate() {
            if p != crate::NONE {
                let slot = &mut next[p as usize];
                rows[*slot as usize] = row as u32;
                *slot += 1;
            }
        }
        GroupIndex { offsets, rows }
    }
    pub fn rows_of(&self, parent: u32) -> &[u32] {
        let p = parent as usize;
        if p + 1 >= self.offsets.len() {
            return &[];
        }
        &self.rows[self.offsets[p] as usize..self.offsets[p + 1] as usize]
    }
    pub fn n_parents(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strcol_round_trip() {
        let mut c = StrCol::default();
        for s in ["a", "", "æøå", "0101"] {
            c.push(s).unwrap();
        }
        assert_eq!(c.iter().collect::<Vec<_>>(), vec!["a", "", "æøå", "0101"]);
    }

    #[test]
    fn id_index_finds_and_refuses_duplicates() {
        let mut c = StrCol::default();
        for s in ["p1", "p2", "p3"] {
            c.push(s).unwrap();
        }
        let idx = IdIndex::build(&c).unwrap();
        assert_eq!(idx.get(&c, "p2"), Some(1));
        assert_eq!(idx.get(&c, "p4"), None);
        c.push("p2").unwrap();
        assert_eq!(
            IdIndex::build(&c).unwrap_err(),
            (3, Duplicate { first_row: 1 })
        );
    }

    #[test]
    fn group_index_keeps_file_order() {
        let g = GroupIndex::build(3, &[2, 0, 2, crate::NONE, 0]);
        assert_eq!(g.rows_of(0), &[1, 4]);
        assert_eq!(g.rows_of(1), &[] as &[u32]);
        assert_eq!(g.rows_of(2), &[0, 2]);
    }
}
