//! Small, panic-free lexical helpers shared by the text formats.
//!
//! Owns: line splitting and the number syntaxes the recorders print. Every helper returns
//! `None` instead of panicking or wrapping; callers turn `None` into a [`super::error::Bad`]
//! with a static message.

/// Lines with 1-based numbers; a trailing `\r` is dropped (files edited on Windows).
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .zip(1usize..)
        .map(|(l, n)| (n, l.strip_suffix('\r').unwrap_or(l)))
}

/// Unsigned hex without `0x` (`%x`), as evemu writes type, code and bitmap bytes.
pub(crate) fn hex_u32(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// [`hex_u32`] narrowed to `u16`.
pub(crate) fn hex_u16(s: &str) -> Option<u16> {
    hex_u32(s).and_then(|v| u16::try_from(v).ok())
}

/// [`hex_u32`] narrowed to `u8`.
pub(crate) fn hex_u8(s: &str) -> Option<u8> {
    hex_u32(s).and_then(|v| u8::try_from(v).ok())
}

/// Hex with an optional `0x` prefix (`%#x`, which prints plain `0` for zero).
pub(crate) fn hex_u16_0x(s: &str) -> Option<u16> {
    hex_u16(s.strip_prefix("0x").unwrap_or(s))
}

/// Unsigned decimal digits only (no sign).
pub(crate) fn dec_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Signed decimal of any width, as `%d` reads it: optional sign, leading zeros allowed
/// (evemu writes `%04d`, so `-001` and `0001` occur).
pub(crate) fn dec_i64(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    let v = i64::try_from(dec_u64(digits)?).ok()?;
    if neg {
        v.checked_neg()
    } else {
        Some(v)
    }
}

/// [`dec_i64`] narrowed to `i32`.
pub(crate) fn dec_i32(s: &str) -> Option<i32> {
    dec_i64(s).and_then(|v| i32::try_from(v).ok())
}

/// [`dec_u64`] narrowed to `u16`.
pub(crate) fn dec_u16(s: &str) -> Option<u16> {
    dec_u64(s).and_then(|v| u16::try_from(v).ok())
}

/// Whole seconds plus microseconds as one µs count, checked.
pub(crate) fn to_us(sec: u64, usec: u64) -> Option<i64> {
    i64::try_from(sec)
        .ok()?
        .checked_mul(1_000_000)?
        .checked_add(i64::try_from(usec).ok()?)
}

/// `<sec>.<usec>` as evemu and evtest print it (`%lu.%06u`). Like evemu's reader
/// (`sscanf("%lu.%06u")`, where 6 is a maximum width) the microsecond part is an integer of
/// one to six digits: `1.5` is 1 s + 5 µs, not 1.5 s. Writers always print six digits.
pub(crate) fn sec_dot_usec(s: &str) -> Option<i64> {
    let (sec, usec) = s.split_once('.')?;
    if usec.len() > 6 {
        return None;
    }
    to_us(dec_u64(sec)?, dec_u64(usec)?)
}

/// The part of `line` before a `#` comment.
pub(crate) fn before_comment(line: &str) -> &str {
    line.split_once('#').map_or(line, |(head, _)| head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_reject_signs_prefixes_and_overflow() {
        assert_eq!(hex_u16("001d"), Some(0x1d));
        assert_eq!(hex_u16("+1d"), None);
        assert_eq!(hex_u16("10000"), None);
        assert_eq!(hex_u16_0x("0x46d"), Some(0x46d));
        assert_eq!(hex_u16_0x("0"), Some(0));
        assert_eq!(dec_i32("-001"), Some(-1));
        assert_eq!(dec_i32("+7"), Some(7));
        assert_eq!(dec_i32("-"), None);
        assert_eq!(dec_i32("2147483648"), None);
        assert_eq!(dec_i32("-2147483648"), Some(i32::MIN));
        assert_eq!(dec_i64("-9223372036854775808"), None);
        assert_eq!(dec_u64("99999999999999999999999"), None);
    }

    #[test]
    fn times_follow_evemu_reader() {
        assert_eq!(
            sec_dot_usec("1512433567.155178"),
            Some(1_512_433_567_155_178)
        );
        assert_eq!(sec_dot_usec("1.5"), Some(1_000_005));
        assert_eq!(sec_dot_usec("1.1234567"), None);
        assert_eq!(sec_dot_usec("1"), None);
        assert_eq!(sec_dot_usec("-1.000000"), None);
        assert_eq!(sec_dot_usec("18446744073709551615.000000"), None);
    }
}
