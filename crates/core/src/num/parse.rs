//! Decimal text to `f64`, correctly rounded (round half to even), as JavaScript's `Number()`
//! and Rust's `str::parse` do: the native side of [`super::parse_f64`].
//!
//! Why not `str::parse`: its fast algorithm carries a 10 KB table of powers of five that does
//! not compress. Here the common case (at most 15 digits, a small exponent) is Clinger's exact
//! fast path, and everything else is worked out with plain big integers: slower, but exact,
//! small, and rare in profile data.

/// Parses `[+-]digits[.digits][(e|E)[+-]digits]` (also `.5` and `5.`), the decimal syntax of
/// `str::parse::<f64>`; `None` for anything else (including `inf` and `nan`).
pub(crate) fn parse_f64(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, rest) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let mut digits = Digits::default();
    let mut i = 0;
    let mut seen = false;
    while let Some(&b) = rest.get(i).filter(|b| b.is_ascii_digit()) {
        digits.push(b - b'0', false);
        seen = true;
        i += 1;
    }
    if rest.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&b) = rest.get(i).filter(|b| b.is_ascii_digit()) {
            digits.push(b - b'0', true);
            seen = true;
            i += 1;
        }
    }
    if !seen {
        return None;
    }
    let mut exponent: i64 = 0;
    if matches!(rest.get(i), Some(b'e' | b'E')) {
        i += 1;
        let negative = match rest.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        while let Some(&b) = rest.get(i).filter(|b| b.is_ascii_digit()) {
            // Saturates: anything this large is 0 or infinity anyway.
            exponent = (exponent * 10 + i64::from(b - b'0')).min(1 << 40);
            i += 1;
        }
        if i == start {
            return None;
        }
        if negative {
            exponent = -exponent;
        }
    }
    if i != rest.len() {
        return None;
    }
    let magnitude = digits.value(exponent);
    Some(if negative { -magnitude } else { magnitude })
}

/// Significant digits, as many as can matter: a halfway point between two doubles has at most
/// 767 significant digits, so past `MAX_DIGITS` only whether a digit is non-zero counts.
#[derive(Default)]
struct Digits {
    digits: Vec<u8>,
    /// Power of ten to apply to the digits (digits dropped or after the point).
    scale: i64,
    /// A dropped digit was not zero.
    sticky: bool,
}

const MAX_DIGITS: usize = 800;

impl Digits {
    fn push(&mut self, digit: u8, fraction: bool) {
        if self.digits.is_empty() && digit == 0 {
            self.scale -= i64::from(fraction);
        } else if self.digits.len() < MAX_DIGITS {
            self.digits.push(digit);
            self.scale -= i64::from(fraction);
        } else {
            self.sticky |= digit != 0;
            self.scale += i64::from(!fraction);
        }
    }

    /// The digits times ten to `exponent`, correctly rounded.
    fn value(mut self, exponent: i64) -> f64 {
        if self.sticky {
            // Strictly between the kept digits and the next number with as many: rounds the
            // same as the full text.
            self.digits.push(1);
            self.scale -= 1;
        }
        let Some(last) = self.digits.iter().rposition(|&d| d != 0) else {
            return 0.0;
        };
        let dropped = self.digits.len() - 1 - last;
        self.digits.truncate(last + 1);
        let e = exponent + self.scale + dropped as i64;
        let count = self.digits.len() as i64;
        if e + count > 310 {
            return f64::INFINITY;
        }
        if e + count < -324 {
            return 0.0;
        }
        // Clinger's fast path: both operands exact, so one rounding.
        if count <= 15 && (-22..=22).contains(&e) {
            let mantissa = self.digits.iter().fold(0u64, |m, &d| m * 10 + u64::from(d));
            let power = POWERS[e.unsigned_abs() as usize];
            return if e < 0 {
                mantissa as f64 / power
            } else {
                mantissa as f64 * power
            };
        }
        let mut numerator = Big::from_digits(&self.digits);
        let mut denominator = Big::from(1);
        if e >= 0 {
            numerator.mul_pow10(e as u32);
        } else {
            denominator.mul_pow10(e.unsigned_abs() as u32);
        }
        round(numerator, denominator)
    }
}

const POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `numerator / denominator` (both non-zero) rounded to the nearest double, ties to even.
fn round(numerator: Big, denominator: Big) -> f64 {
    // The value's binary exponent: 2^power <= value < 2^(power + 1).
    let mut power = numerator.bits() as i64 - denominator.bits() as i64;
    if compare_scaled(&numerator, &denominator, power) == std::cmp::Ordering::Less {
        power -= 1;
    }
    // The unit in the last place: 53 significant bits, or the subnormals' fixed 2^-1074.
    let mut unit = (power - 52).max(-1074);
    if unit > 971 {
        return f64::INFINITY;
    }
    let (mut n, mut d) = (numerator, denominator);
    if unit < 0 {
        n.shl(unit.unsigned_abs() as usize);
    } else {
        d.shl(unit as usize);
    }
    let (mut quotient, mut remainder) = n.div_small_quotient(&d, 54);
    remainder.shl(1);
    match remainder.cmp(&d) {
        std::cmp::Ordering::Greater => quotient += 1,
        std::cmp::Ordering::Equal => quotient += quotient & 1,
        std::cmp::Ordering::Less => {}
    }
    if quotient == 1 << 53 {
        quotient >>= 1;
        unit += 1;
    }
    if unit > 971 {
        return f64::INFINITY;
    }
    if quotient < 1 << 52 {
        // Subnormal (then `unit` is -1074 and the bits are the quotient).
        return f64::from_bits(quotient);
    }
    let biased = (unit + 52 + 1023) as u64;
    f64::from_bits((biased << 52) | (quotient & ((1 << 52) - 1)))
}

/// Compares `a` with `b * 2^power`.
fn compare_scaled(a: &Big, b: &Big, power: i64) -> std::cmp::Ordering {
    if power >= 0 {
        let mut b = b.clone();
        b.shl(power as usize);
        a.cmp(&b)
    } else {
        let mut a = a.clone();
        a.shl(power.unsigned_abs() as usize);
        a.cmp(b)
    }
}

/// An unsigned big integer, little-endian 32-bit limbs, no trailing zero limbs.
#[derive(Clone, PartialEq, Eq)]
struct Big(Vec<u32>);

impl From<u32> for Big {
    fn from(n: u32) -> Big {
        let mut big = Big(vec![n]);
        big.trim();
        big
    }
}

impl Big {
    fn from_digits(digits: &[u8]) -> Big {
        let mut big = Big(Vec::new());
        for chunk in digits.chunks(9) {
            let (mut value, mut scale) = (0u32, 1u32);
            for &d in chunk {
                value = value * 10 + u32::from(d);
                scale *= 10;
            }
            big.mul_add(scale, value);
        }
        big
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn mul_add(&mut self, factor: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn mul_pow10(&mut self, mut power: u32) {
        while power >= 9 {
            self.mul_add(1_000_000_000, 0);
            power -= 9;
        }
        self.mul_add(10u32.pow(power), 0);
    }

    fn bits(&self) -> usize {
        self.0
            .last()
            .map_or(0, |top| self.0.len() * 32 - top.leading_zeros() as usize)
    }

    fn shl(&mut self, shift: usize) {
        if self.0.is_empty() {
            return;
        }
        let (limbs, bits) = (shift / 32, shift % 32);
        if bits > 0 {
            let mut carry = 0;
            for limb in &mut self.0 {
                let next = *limb >> (32 - bits);
                *limb = (*limb << bits) | carry;
                carry = next;
            }
            if carry > 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, std::iter::repeat_n(0, limbs));
    }

    fn shr1(&mut self) {
        let mut carry = 0;
        for limb in self.0.iter_mut().rev() {
            let next = *limb << 31;
            *limb = (*limb >> 1) | carry;
            carry = next;
        }
        self.trim();
    }

    fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let diff = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            *limb = diff as u32;
            borrow = i64::from(diff < 0);
        }
        self.trim();
    }

    /// `self / divisor` when the quotient is below `2^bits`: (quotient, remainder).
    fn div_small_quotient(mut self, divisor: &Big, bits: u32) -> (u64, Big) {
        let mut shifted = divisor.clone();
        shifted.shl(bits as usize - 1);
        let mut quotient = 0u64;
        for bit in (0..bits).rev() {
            if self >= shifted {
                self.sub(&shifted);
                quotient |= 1 << bit;
            }
            shifted.shr1();
        }
        (quotient, self)
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Big) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Big {
    fn cmp(&self, other: &Big) -> std::cmp::Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_f64;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn same(text: &str) {
        let ours = parse_f64(text);
        let std = text.parse::<f64>().ok();
        assert_eq!(ours.map(f64::to_bits), std.map(f64::to_bits), "{text}");
    }

    #[test]
    fn agrees_with_std_on_hard_cases() {
        for text in [
            "0",
            "-0",
            "+0",
            "0.0",
            ".5",
            "5.",
            "1e5",
            "1E-5",
            "-1.5e+3",
            "0.1",
            "0.3",
            "9007199254740993",
            "9007199254740992.5",
            "2.2250738585072011e-308",
            "2.2250738585072014e-308",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "1e309",
            "1e-400",
            "123456789012345678901234567890",
            "0.000000000000000000000000000000000000001",
            "1e22",
            "1e23",
            "8.98846567431158e307",
            "1448997445238699",
            "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203124",
            "1.00000000000000011102230246251565404236316680908203126",
            "0.0000000000000000000000000000000000000000000000000000000000000000000000001e-250",
        ] {
            same(text);
        }
        for text in [
            "", "-", ".", "e5", "1e", "1e+", "inf", "NaN", "1.2.3", "--1", "1 ", " 1",
        ] {
            assert_eq!(parse_f64(text), None, "{text}");
        }
        // A halfway case needing every digit, then one more past the kept ones.
        let long = format!(
            "1.00000000000000011102230246251565404236316680908203125{}1",
            "0".repeat(900)
        );
        same(&long);
        let long = format!("{}e-900", "1".repeat(1000));
        same(&long);
    }

    // Not in wasm: proptest is a native dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn agrees_with_std(
            mantissa in "[0-9]{1,40}(\\.[0-9]{0,30})?",
            exponent in -400i32..400,
        ) {
            same(&mantissa);
            same(&format!("{mantissa}e{exponent}"));
        }

        #[test]
        fn round_trips_every_double(bits in proptest::prelude::any::<u64>()) {
            let f = f64::from_bits(bits);
            if f.is_finite() {
                same(&format!("{f:e}"));
                same(&format!("{f:.17e}"));
                same(&format!("{f:.16e}"));
            }
        }
    }
}
