//! Identifiers: opaque, deterministic, unique nationally, and cheap to format (a national run
//! formats about a hundred million of them).

use almen_dataset::StrCol;

/// Writes `prefix` followed by `n` zero-padded to `width` digits.
pub fn format_into(buf: &mut [u8; 32], prefix: &str, n: u64, width: usize) -> usize {
    let p = prefix.as_bytes();
    buf[..p.len()].copy_from_slice(p);
    let mut digits = [b'0'; 20];
    let mut x = n;
    let mut len = 0;
    while x > 0 || len == 0 {
        digits[19 - len] = b'0' + (x % 10) as u8;
        x /= 10;
        len += 1;
    }
    let width = width.max(len);
    let mut at = p.len();
    for _ in len..width {
        buf[at] = b'0';
        at += 1;
    }
    buf[at..at + len].copy_from_slice(&digits[20 - len..]);
    at + len
}

pub fn push(col: &mut StrCol, prefix: &str, n: u64, width: usize) {
    let mut buf = [0u8; 32];
    let len = format_into(&mut buf, prefix, n, width);
    // ASCII by construction.
    let s = std::str::from_utf8(&buf[..len]).unwrap_or("?");
    push_str(col, s);
}

pub fn push_str(col: &mut StrCol, s: &str) {
    col.push(s)
        .expect("synthetic id columns stay far below the 4 GiB column limit");
}

pub fn string(prefix: &str, n: u64, width: usize) -> String {
    let mut buf = [0u8; 32];
    let len = format_into(&mut buf, prefix, n, width);
    String::from_utf8_lossy(&buf[..len]).into_owned()
}

/// A patient's national ordinal → the 8 digits of its id. Multiplying by a number coprime
/// to 10 is a bijection modulo 10^8, so ids are unique and do not reveal the order.
pub fn patient_number(ordinal: u64) -> u64 {
    (ordinal.wrapping_mul(48_271_637) + 31_415_926) % 100_000_000
}

/// A doctor's national ordinal → 5 digits, the same way.
pub fn doctor_number(ordinal: u64) -> u64 {
    (ordinal.wrapping_mul(7_919) + 27_183) % 100_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_padding() {
        assert_eq!(string("P", 42, 8), "P00000042");
        assert_eq!(string("", 0, 3), "000");
        assert_eq!(string("K", 123_456, 3), "K123456");
    }

    #[test]
    fn patient_numbers_are_a_bijection() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..200_000u64 {
            assert!(seen.insert(patient_number(i)));
        }
        // Coprime multiplier: the first and the 10^8-th collide only after a full cycle.
        assert_ne!(patient_number(0), patient_number(50_000_000));
    }
}
