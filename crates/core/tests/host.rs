//! The page runtime takes Number::toString, StringToNumber and RegExp from the JavaScript host
//! (feature `host`); everywhere else the engine runs native implementations of the same
//! specification. These differential tests hold the two equal, in node:
//!
//! ```sh
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo test -p waymark-core --target wasm32-unknown-unknown --features host --test host
//! ```
//!
//! Inputs come from a seeded generator, so every run checks the same cases.
#![cfg(all(feature = "host", target_arch = "wasm32"))]

use wasm_bindgen_test::wasm_bindgen_test as test;
use waymark_core::parity::{num, regex};

/// SplitMix64: small, seeded, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Doubles around every boundary `Number::toString` has, then random ones.
fn doubles(count: usize) -> Vec<f64> {
    let mut out = vec![
        0.0,
        -0.0,
        5e-324,
        -5e-324,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        0.1 + 0.2,
        1e21,
        1e-6,
        1e-7,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    let neighbours = |out: &mut Vec<f64>, f: f64, k: i64| {
        for d in -k..=k {
            let bits = f.to_bits() as i64 + d;
            out.push(f64::from_bits(bits as u64));
            out.push(-f64::from_bits(bits as u64));
        }
    };
    // Where the notation switches: 1e21 and 1e-6 (and 1e-7).
    for f in [1e21, 1e-6, 1e-7, 1e20, 1e22] {
        neighbours(&mut out, f, 50);
    }
    // Integers around 2^53 and 2^64, every power of two and of ten.
    for f in [9_007_199_254_740_992.0, 18_446_744_073_709_551_616.0] {
        neighbours(&mut out, f, 200);
    }
    for e in -1074..=1023 {
        out.push(2f64.powi(e));
    }
    for e in -323..=308 {
        out.push(format!("1e{e}").parse().unwrap_or(0.0));
    }
    let mut rng = Rng(0x5EED_0001);
    // Subnormals.
    for _ in 0..5_000 {
        out.push(f64::from_bits(rng.below(1 << 52)));
    }
    // Short decimals (prices, ratios), whose shortest form is the decimal itself.
    for _ in 0..20_000 {
        let width = 1 + rng.below(15) as u32;
        let digits = rng.below(10u64.pow(width));
        let e = rng.below(60) as i32 - 30;
        out.push(format!("{digits}e{e}").parse().unwrap_or(0.0));
    }
    // Integers up to 2^53 and beyond.
    for _ in 0..10_000 {
        let shift = rng.below(64);
        out.push((rng.next() >> shift) as f64);
    }
    // Any finite double.
    while out.len() < count {
        let f = f64::from_bits(rng.next());
        if f.is_finite() {
            out.push(f);
        }
    }
    out
}

#[test]
fn number_to_string_host_equals_native() {
    let all = doubles(100_000);
    assert!(all.len() >= 100_000);
    for f in all {
        assert_eq!(
            num::host_to_string(f),
            num::native_to_string(f),
            "{:#x}",
            f.to_bits()
        );
    }
}

/// Decimal texts: every double's shortest and long forms, long and odd mantissas, exponents
/// past both ends, signs, and texts the syntax refuses.
fn texts(count: usize) -> Vec<String> {
    let mut out: Vec<String> = [
        "0",
        "-0",
        "+0",
        ".5",
        "5.",
        "00012.50",
        "9007199254740993",
        "9007199254740992.5",
        "2.2250738585072011e-308",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "1e309",
        "1e-400",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "1e99999999999999999999",
        "",
        " 1",
        "1 ",
        "0x10",
        "Infinity",
        "-Infinity",
        "NaN",
        "1e",
        "1e+",
        ".",
        "-",
        "1_0",
        "١٢",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rng = Rng(0x5EED_0002);
    for f in doubles(30_000) {
        if f.is_finite() {
            out.push(format!("{f:e}"));
            out.push(format!("{f:.20e}"));
        }
    }
    let digits = |rng: &mut Rng, n: u64| -> String {
        (0..n)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect()
    };
    while out.len() < count {
        let sign = *rng.pick(&["", "-", "+"]);
        let n = rng.below(25);
        let int = digits(&mut rng, n);
        let n = rng.below(25);
        let frac = digits(&mut rng, n);
        let mut text = format!("{sign}{int}");
        if !frac.is_empty() || rng.below(4) == 0 {
            text.push('.');
            text.push_str(&frac);
        }
        match rng.below(4) {
            0 => {}
            1 => text.push_str(&format!("e{}", rng.below(700) as i64 - 350)),
            2 => text.push_str(&format!("E+{}", rng.below(30))),
            _ => text.push_str(*rng.pick(&["e", " ", "x", "e-", ".", "-1"])),
        }
        if rng.below(500) == 0 {
            // Past the 800 digits the parser keeps.
            text = format!("1.{}1e-5", "0".repeat(900 + rng.below(100) as usize));
        }
        out.push(text);
    }
    out
}

#[test]
fn string_to_number_host_equals_native() {
    let all = texts(100_000);
    assert!(all.len() >= 100_000);
    let mut parsed = 0;
    for text in &all {
        let (host, native) = (num::host_parse(text), num::native_parse(text));
        assert_eq!(host.map(f64::to_bits), native.map(f64::to_bits), "{text:?}");
        parsed += usize::from(native.is_some());
    }
    // Most texts are numbers (the rest check that both refuse the same ones).
    assert!(parsed > all.len() / 2, "{parsed}");
}

const PATTERNS: &[&str] = &[
    "",
    "^SKU-\\d{4}$",
    "@(gmail|yahoo)\\.com$",
    "^https://shop\\.example/(shoes|boots)/",
    "^/(shoes|boots)/[a-z]{2,20}/[a-z0-9-]{1,64}$",
    "^[\\w.+-]+@[\\w-]+\\.[\\w.-]+$",
    "\\w{1,100}",
    "^(www\\.)?example\\.com",
    "^[^/]*/checkout$",
    "(ab)+c",
    "\\bgold\\b",
    "^(?:gold|platinum|premium)$",
    "caf\u{e9}",
    "^.$",
    "^..$",
    "^\\s+$",
    "\\S",
    "\\W",
    "\\D+$",
    "[^a-z]",
    "[\u{e0}-\u{ff}]",
    "[\\u{1F600}-\\u{1F64F}]",
    "\\u{1F600}",
    "\\x41\\u00e9",
    "^[\\t\\n\\r\\v\\f\\0]$",
    "[\\b]",
    "\\Bold",
    "a.c",
    "^a{2,3}$",
    "^a{2,}b",
    "x*?y",
    "x+?y",
    "^(?:\\d{3}-)?\\d{4}$",
    "[\\-\\]\\[]",
    "\\/\\^\\$\\.\\*\\+\\?\\(\\)\\{\\}\\|",
    "^\u{4e2d}\u{6587}",
    "\u{3b1}|\u{3b2}",
    "e\u{301}",
    "$",
    "^",
];

const SUBJECTS: &[&str] = &[
    "",
    "a",
    "ab",
    "abc",
    "aaa",
    "aab",
    "ababc",
    "SKU-1234",
    "SKU-12345",
    "ada@gmail.com",
    "ada.l+news@mail.example.com",
    "https://shop.example/shoes/",
    "/boots/trail/x-42",
    "www.example.com",
    "example.com",
    "/a/b/checkout",
    "/cart/checkout",
    "gold",
    "Gold",
    "a gold card",
    "golden",
    "bold",
    "platinum",
    "caf\u{e9}",
    "cafe\u{301}",
    "\u{1F600}",
    "\u{1F600}\u{1F600}",
    "\u{a0}",
    "\u{2028}",
    "\u{feff}",
    " \t\n",
    "\n",
    "\r\n",
    "\u{4e2d}\u{6587}\u{5b57}",
    "\u{3b1}\u{3b2}\u{3b3}",
    "\u{e0}\u{e9}\u{ff}",
    "\u{8}",
    "\0",
    "AÉ",
    "x-]",
    "/^$.*+?(){}|",
    "555-1234",
    "1234",
    "xxxy",
    "aac",
    "aaab",
    "\u{10FFFF}",
    "\u{2000}a\u{3000}",
];

#[test]
fn regexp_host_equals_native_on_the_corpus() {
    let mut rng = Rng(0x5EED_0003);
    let alphabet = [
        "a",
        "b",
        "c",
        "x",
        "y",
        "-",
        ".",
        "/",
        "@",
        "1",
        "9",
        " ",
        "\n",
        "\u{e9}",
        "\u{1F600}",
        "\u{a0}",
        "A",
        "_",
        "\u{3b1}",
    ];
    let mut subjects: Vec<String> = SUBJECTS.iter().map(|s| s.to_string()).collect();
    for _ in 0..250 {
        let n = rng.below(12);
        subjects.push((0..n).map(|_| *rng.pick(&alphabet)).collect());
    }
    let mut compared = 0;
    for pattern in PATTERNS {
        regex::check(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        for subject in &subjects {
            let host = regex::host_is_match(pattern, subject);
            assert!(host.is_some(), "the host refused {pattern:?}");
            assert_eq!(
                host,
                regex::native_is_match(pattern, subject),
                "{pattern:?} on {subject:?}"
            );
            compared += 1;
        }
    }
    assert!(compared >= 10_000, "{compared}");
}

/// Random patterns from the subset's pieces: whatever the check accepts, both engines compile
/// and agree on.
#[test]
fn regexp_host_equals_native_on_generated_patterns() {
    let mut rng = Rng(0x5EED_0004);
    let atoms = [
        "a",
        "b",
        "x",
        ".",
        "\\d",
        "\\w",
        "\\s",
        "\\W",
        "[a-c]",
        "[^a]",
        "\u{e9}",
        "\\u{1F600}",
        "(ab)",
        "(?:a|b)",
        "(x|yz)",
        "\\b",
        "^",
        "$",
        "\\.",
        "[\\-.]",
    ];
    let quantifiers = ["", "", "", "*", "+", "?", "{2}", "{1,3}", "*?", "{0,}"];
    let subjects: Vec<String> = (0..60)
        .map(|_| {
            let n = rng.below(10);
            (0..n)
                .map(|_| *rng.pick(&["a", "b", "x", "y", "z", ".", "-", " ", "\u{e9}", "1"]))
                .collect()
        })
        .collect();
    let mut accepted = 0;
    for _ in 0..3_000 {
        let n = 1 + rng.below(5);
        let pattern: String = (0..n)
            .map(|_| format!("{}{}", rng.pick(&atoms), rng.pick(&quantifiers)))
            .collect();
        if regex::check(&pattern).is_err() {
            continue;
        }
        accepted += 1;
        for subject in &subjects {
            let host = regex::host_is_match(&pattern, subject);
            assert!(host.is_some(), "the host refused {pattern:?}");
            assert_eq!(
                host,
                regex::native_is_match(&pattern, subject),
                "{pattern:?} on {subject:?}"
            );
        }
    }
    assert!(accepted > 500, "{accepted}");
}
