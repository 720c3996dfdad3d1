//! Resource quantities in Kubernetes spelling: CPU in millicores, memory in bytes.
//!
//! Why Kubernetes' spelling: pod requests in an experiment file are copied from manifests, so
//! "500m", "1.5", "512Mi", "2Gi" and "129e6" must mean here what they mean to the API server.
//! The grammar and the rounding follow `resource.Quantity`
//! (k8s.io/apimachinery/pkg/api/resource/quantity.go and suffix.go):
//!
//! ```text
//! <quantity>        ::= <signedNumber><suffix>
//! <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//! <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
//! <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
//! <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
//! <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
//! ```
//!
//! Differences, on purpose: a "-" sign is rejected (a request is never negative); at least one
//! digit is required (Kubernetes reads "." as zero); at most 20 significant digits (enough for
//! every `u64`). Values are computed exactly from the decimal text with integers, never through
//! floating point, and rounded *up* as `Quantity.MilliValue()` and `Quantity.Value()` do
//! (`ScaledValue` rounds away from zero), so "100u" of CPU is 1m and "0.5" bytes is 1 byte.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::time::ParseError;

/// CPU in millicores (1000 = one core), the unit of `Quantity.MilliValue()` that the
/// Kubernetes scheduler compares requests in.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CpuMillis(pub u64);

impl CpuMillis {
    /// Parses a Kubernetes CPU quantity: "500m" → 500, "2" → 2000, "0.5" → 500,
    /// "1.25" → 1250, "100u" → 1 (rounded up to the next millicore, as `MilliValue()` does).
    pub fn parse(s: &str) -> Result<CpuMillis, ParseError> {
        parse_scaled(s, 3, &CPU).map(CpuMillis)
    }

    pub fn as_cores_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

/// Memory in bytes, the unit of `Quantity.Value()`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub u64);

impl Bytes {
    /// Parses a Kubernetes memory quantity: "2Gi" → 2147483648, "1G" → 1000000000,
    /// "129e6" → 129000000, "1.5Gi" → 1610612736; a fraction of a byte rounds up, as
    /// `Value()` does.
    pub fn parse(s: &str) -> Result<Bytes, ParseError> {
        parse_scaled(s, 0, &MEMORY).map(Bytes)
    }

    pub fn as_gib_f64(self) -> f64 {
        self.0 as f64 / (1u64 << 30) as f64
    }
}

/// What the messages of one kind of quantity say.
struct Kind {
    name: &'static str,
    examples: &'static str,
    /// `u64::MAX` in the unit of the kind, for the overflow message.
    max: &'static str,
}

const CPU: Kind = Kind {
    name: "cpu",
    examples: "\"500m\", \"2\" or \"1.5\"",
    max: "18446744073709551615m",
};

const MEMORY: Kind = Kind {
    name: "memory",
    examples: "\"512Mi\", \"2Gi\" or \"128974848\"",
    max: "18446744073709551615 bytes",
};

enum Reason {
    Syntax,
    UnknownSuffix(String),
    Negative,
    TooManyDigits,
    TooLarge,
}

/// Parses `s` and returns `ceil(value * 10^scale)`, with the error message of `kind`.
fn parse_scaled(s: &str, scale: i64, kind: &Kind) -> Result<u64, ParseError> {
    let result = parse_decimal(s).and_then(|q| q.ceil_scaled(scale).ok_or(Reason::TooLarge));
    result.map_err(|reason| {
        let Kind {
            name,
            examples,
            max,
        } = kind;
        let expected = format!("expected a Kubernetes quantity such as {examples}");
        let message = match reason {
            Reason::Syntax => format!("invalid {name} quantity {s:?}: {expected}"),
            Reason::UnknownSuffix(suffix) => format!(
                "invalid {name} quantity {s:?}: unknown suffix {suffix:?} (the suffixes are \
                 n u m k M G T P E, Ki Mi Gi Ti Pi Ei, or an exponent such as e6); {expected}"
            ),
            Reason::Negative => {
                format!("invalid {name} quantity {s:?}: a request cannot be negative; {expected}")
            }
            Reason::TooManyDigits => format!(
                "invalid {name} quantity {s:?}: more than {MAX_DIGITS} significant digits; \
                 {expected}"
            ),
            Reason::TooLarge => {
                format!("invalid {name} quantity {s:?}: too large, the maximum is {max}")
            }
        };
        ParseError { message }
    })
}

/// At most this many significant digits: 20 covers `u64::MAX`, and keeps
/// `mantissa * 2^60` (the largest binary suffix) below 2^127, so the arithmetic below is exact
/// in `u128` without overflow checks on that product.
const MAX_DIGITS: usize = 20;

/// An exact non-negative quantity: `mantissa * 10^exp10 * 2^pow2`.
struct Decimal {
    mantissa: u128,
    exp10: i64,
    pow2: u32,
}

impl Decimal {
    /// `ceil(self * 10^scale)` if it fits a `u64`. Rounding up matches `ScaledValue`, which
    /// `MilliValue()` and `Value()` call.
    fn ceil_scaled(&self, scale: i64) -> Option<u64> {
        if self.mantissa == 0 {
            return Some(0);
        }
        // mantissa < 10^20 < 2^67 and pow2 <= 60: below 2^127.
        let n = self.mantissa << self.pow2;
        let e = self.exp10.checked_add(scale)?;
        let value = if e >= 0 {
            // n >= 1, so 10^e beyond u128 is beyond u64 too.
            n.checked_mul(10u128.checked_pow(u32::try_from(e).ok()?)?)?
        } else {
            match 10u128.checked_pow(u32::try_from(-e).ok()?) {
                Some(p) => n.div_ceil(p),
                // 10^-e > u128::MAX >= n > 0: the value is in (0, 1).
                None => 1,
            }
        };
        u64::try_from(value).ok()
    }
}

/// Parses the grammar of the module documentation into an exact [`Decimal`].
fn parse_decimal(s: &str) -> Result<Decimal, Reason> {
    let rest = match s.as_bytes().first() {
        Some(b'-') => return Err(Reason::Negative),
        Some(b'+') => &s[1..],
        _ => s,
    };
    let int_len = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (int, rest) = rest.split_at(int_len);
    let (frac, suffix) = match rest.strip_prefix('.') {
        Some(after) => after.split_at(
            after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len()),
        ),
        None => ("", rest),
    };
    if int.is_empty() && frac.is_empty() {
        return Err(Reason::Syntax);
    }
    let (suffix_exp10, pow2) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        _ => (parse_exponent(suffix)?, 0),
    };
    // The significant digits of int ++ frac, without leading and trailing zeros; each trailing
    // zero dropped moves the decimal exponent up by one.
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|d| d - b'0').collect();
    let first = digits.iter().position(|&d| d != 0);
    let last = digits.iter().rposition(|&d| d != 0);
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(Decimal {
            mantissa: 0,
            exp10: 0,
            pow2: 0,
        });
    };
    let significant = &digits[first..=last];
    if significant.len() > MAX_DIGITS {
        return Err(Reason::TooManyDigits);
    }
    let mantissa = significant
        .iter()
        .fold(0u128, |m, &d| m * 10 + u128::from(d));
    // Both lengths are below the input length, which is below isize::MAX.
    let trailing_zeros = (digits.len() - 1 - last) as i64;
    let exp10 = suffix_exp10
        .checked_add(trailing_zeros)
        .and_then(|e| e.checked_sub(frac.len() as i64))
        .ok_or(Reason::TooLarge)?;
    Ok(Decimal {
        mantissa,
        exp10,
        pow2,
    })
}

/// The exponent of "e6", "E-3", "e+2" (`interpret` in suffix.go parses it with
/// `strconv.ParseInt`, so a sign is allowed).
fn parse_exponent(suffix: &str) -> Result<i64, Reason> {
    let unknown = || Reason::UnknownSuffix(suffix.to_owned());
    let Some(exp) = suffix.strip_prefix(['e', 'E']) else {
        return Err(if suffix.contains(char::is_whitespace) {
            Reason::Syntax
        } else {
            unknown()
        });
    };
    let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(unknown());
    }
    // Only digits after the sign: parsing fails only on overflow.
    exp.parse().map_err(|_| Reason::TooLarge)
}

/// "500m" when not a whole number of cores, else the cores ("2"), as `kubectl` prints them.
impl fmt::Display for CpuMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1000) {
            f.pad(&(self.0 / 1000).to_string())
        } else {
            f.pad(&format!("{}m", self.0))
        }
    }
}

/// With the largest binary suffix that divides the value exactly ("2Gi", "512Mi", "3Ki"), else
/// plain bytes, so the text parses back to the same number of bytes.
impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SUFFIXES: [&str; 6] = ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"];
        for (i, suffix) in SUFFIXES.iter().enumerate() {
            let unit = 1u64 << (10 * (6 - i));
            if self.0 != 0 && self.0.is_multiple_of(unit) {
                return f.pad(&format!("{}{suffix}", self.0 / unit));
            }
        }
        f.pad(&self.0.to_string())
    }
}

impl FromStr for CpuMillis {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CpuMillis::parse(s)
    }
}

impl FromStr for Bytes {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Bytes::parse(s)
    }
}

impl Serialize for CpuMillis {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CpuMillis {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(QuantityVisitor::<CpuMillis>::new(
            "a cpu quantity such as \"500m\", \"2\" or \"1.5\"",
        ))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(QuantityVisitor::<Bytes>::new(
            "a memory quantity such as \"512Mi\" or \"2Gi\"",
        ))
    }
}

/// Accepts a string, as in a manifest, and also a bare number (`cpu: 2`, `memory: 1e9`), which
/// YAML manifests allow too. A number is read through its decimal text, so `cpu: 0.1` is
/// exactly 100m and not the binary fraction nearest to 0.1 times 1000. The parse message goes
/// through `serde::de::Error::custom`, so RON prefixes it with the line and column.
struct QuantityVisitor<T> {
    expecting: &'static str,
    target: std::marker::PhantomData<T>,
}

impl<T> QuantityVisitor<T> {
    fn new(expecting: &'static str) -> Self {
        QuantityVisitor {
            expecting,
            target: std::marker::PhantomData,
        }
    }
}

impl<T: FromStr<Err = ParseError>> serde::de::Visitor<'_> for QuantityVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(|e: ParseError| E::custom(e.message))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
        self.visit_str(&v.to_string())
    }

    /// `f64`'s `Display` is the shortest decimal text that reads back as the same `f64`, and
    /// never uses an exponent, so it is a valid quantity (or, for NaN, inf and negative
    /// values, a rejected one with the usual message).
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<T, E> {
        self.visit_str(&v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(s: &str) -> u64 {
        match CpuMillis::parse(s) {
            Ok(v) => v.0,
            Err(e) => panic!("{s:?} rejected: {e}"),
        }
    }

    fn mem(s: &str) -> u64 {
        match Bytes::parse(s) {
            Ok(v) => v.0,
            Err(e) => panic!("{s:?} rejected: {e}"),
        }
    }

    fn cpu_err(s: &str) -> String {
        match CpuMillis::parse(s) {
            Ok(v) => panic!("{s:?} accepted as {}m", v.0),
            Err(e) => e.message,
        }
    }

    fn mem_err(s: &str) -> String {
        match Bytes::parse(s) {
            Ok(v) => panic!("{s:?} accepted as {} bytes", v.0),
            Err(e) => e.message,
        }
    }

    #[test]
    fn parses_cpu_quantities() {
        let cases: &[(&str, u64)] = &[
            ("500m", 500),
            ("2", 2000),
            ("0.5", 500),
            ("1.25", 1250),
            ("100u", 1),
            ("1n", 1),
            ("1000000n", 1),
            ("1000001n", 2),
            ("0", 0),
            ("0m", 0),
            ("0.0", 0),
            ("+1", 1000),
            (".5", 500),
            ("1.", 1000),
            ("0.0001", 1),
            ("1.0001", 1001),
            ("1e3", 1_000_000),
            ("1E-3", 1),
            ("25e-4", 3),
            ("1e+2", 100_000),
            ("1k", 1_000_000),
            ("2Ki", 2_048_000),
            ("0.1", 100),
            ("18446744073709551615m", u64::MAX),
            ("1e-999999999", 1),
            ("0e999999999", 0),
        ];
        for &(s, want) in cases {
            assert_eq!(cpu(s), want, "{s}");
        }
    }

    #[test]
    fn parses_memory_quantities() {
        let cases: &[(&str, u64)] = &[
            ("2Gi", 2_147_483_648),
            ("512Mi", 536_870_912),
            ("1G", 1_000_000_000),
            ("128974848", 128_974_848),
            ("129e6", 129_000_000),
            ("129M", 129_000_000),
            ("123Mi", 128_974_848),
            ("1.5Gi", 1_610_612_736),
            ("0.5", 1),
            ("1m", 1),
            ("1000m", 1),
            ("1001m", 2),
            ("1Ki", 1024),
            ("1Ti", 1 << 40),
            ("1Pi", 1 << 50),
            ("15Ei", 15 << 60),
            ("1E", 1_000_000_000_000_000_000),
            ("12E6", 12_000_000),
            ("18446744073709551615", u64::MAX),
            ("0.000000000000000000000000000000000000000000001", 1),
            (
                "100000000000000000000000000000e-12",
                100_000_000_000_000_000,
            ),
        ];
        for &(s, want) in cases {
            assert_eq!(mem(s), want, "{s}");
        }
    }

    #[test]
    fn rejects_bad_quantities_saying_what_was_expected() {
        assert_eq!(
            cpu_err("2 cores"),
            "invalid cpu quantity \"2 cores\": expected a Kubernetes quantity such as \"500m\", \
             \"2\" or \"1.5\""
        );
        assert_eq!(
            mem_err("2GB"),
            "invalid memory quantity \"2GB\": unknown suffix \"GB\" (the suffixes are n u m k M \
             G T P E, Ki Mi Gi Ti Pi Ei, or an exponent such as e6); expected a Kubernetes \
             quantity such as \"512Mi\", \"2Gi\" or \"128974848\""
        );
        assert_eq!(
            cpu_err("-1"),
            "invalid cpu quantity \"-1\": a request cannot be negative; expected a Kubernetes \
             quantity such as \"500m\", \"2\" or \"1.5\""
        );
        assert!(mem_err("-0").contains("cannot be negative"));
        for bad in [
            "", "m", ".", "+", "Gi", "1e", "1e+", "1ee3", "1e3.5", "1.5.5", "1K", "1gi", " 1",
            "1 ", "1 Gi", "0x10", "1\u{b5}", "NaN", "inf",
        ] {
            let e = mem_err(bad);
            assert!(
                e.starts_with(&format!("invalid memory quantity {bad:?}: ")),
                "{e}"
            );
            assert!(e.ends_with("\"512Mi\", \"2Gi\" or \"128974848\""), "{e}");
        }
        assert!(cpu_err("123456789012345678901").contains("more than 20 significant digits"));
    }

    #[test]
    fn rejects_values_beyond_u64() {
        assert_eq!(
            mem_err("16Ei"),
            "invalid memory quantity \"16Ei\": too large, the maximum is 18446744073709551615 \
             bytes"
        );
        assert_eq!(mem("18446744073709551615"), u64::MAX);
        assert!(mem_err("18446744073709551616").contains("too large"));
        assert!(cpu_err("18446744073709551616m").contains("maximum is 18446744073709551615m"));
        assert!(cpu_err("18446744073709552").contains("too large"));
        assert!(mem_err("1e39").contains("too large"));
        assert!(mem_err("1e99999999999999999999").contains("too large"));
    }

    #[test]
    fn prints_kubernetes_spelling_that_parses_back() {
        let cpus: &[(u64, &str)] = &[
            (500, "500m"),
            (2000, "2"),
            (1250, "1250m"),
            (0, "0"),
            (1, "1m"),
        ];
        for &(millis, want) in cpus {
            assert_eq!(CpuMillis(millis).to_string(), want);
            assert_eq!(cpu(want), millis);
        }
        let mems: &[(u64, &str)] = &[
            (2_147_483_648, "2Gi"),
            (536_870_912, "512Mi"),
            (3072, "3Ki"),
            (1536, "1536"),
            (1_000_000_000, "1000000000"),
            (0, "0"),
            (15 << 60, "15Ei"),
            (u64::MAX, "18446744073709551615"),
        ];
        for &(bytes, want) in mems {
            assert_eq!(Bytes(bytes).to_string(), want);
            assert_eq!(mem(want), bytes);
        }
        assert_eq!(CpuMillis(1500).as_cores_f64(), 1.5);
        assert_eq!(Bytes(3 << 29).as_gib_f64(), 1.5);
    }

    #[derive(Debug, PartialEq, Deserialize, Serialize)]
    struct Requests {
        cpu: CpuMillis,
        memory: Bytes,
    }

    fn ron_requests(src: &str) -> Result<Requests, String> {
        ron::from_str(src).map_err(|e| e.to_string())
    }

    #[test]
    fn serde_reads_strings_and_numbers() {
        let want = Requests {
            cpu: CpuMillis(500),
            memory: Bytes(512 << 20),
        };
        assert_eq!(ron_requests(r#"(cpu: "500m", memory: "512Mi")"#), Ok(want));
        assert_eq!(
            ron::to_string(&Requests {
                cpu: CpuMillis(500),
                memory: Bytes(512 << 20)
            }),
            Ok(r#"(cpu:"500m",memory:"512Mi")"#.to_owned())
        );
        let numbers = Requests {
            cpu: CpuMillis(2000),
            memory: Bytes(1_000_000_000),
        };
        assert_eq!(ron_requests("(cpu: 2, memory: 1000000000)"), Ok(numbers));
        let fractions = Requests {
            cpu: CpuMillis(100),
            memory: Bytes(2),
        };
        assert_eq!(ron_requests("(cpu: 0.1, memory: 1.5)"), Ok(fractions));
        let big = ron_requests("(cpu: 1, memory: 18446744073709551615)");
        assert_eq!(big.map(|r| r.memory), Ok(Bytes(u64::MAX)));
    }

    #[test]
    fn serde_errors_carry_the_position_and_the_message() {
        let e = ron_requests("(\n  cpu: \"2 cores\",\n  memory: \"1Gi\")").expect_err("bad cpu");
        assert!(e.starts_with("2:"), "{e}");
        assert!(
            e.contains("invalid cpu quantity \"2 cores\": expected"),
            "{e}"
        );
        let e = ron_requests("(cpu: -1, memory: \"1Gi\")").expect_err("negative cpu");
        assert!(
            e.contains("invalid cpu quantity \"-1\": a request cannot be negative"),
            "{e}"
        );
        let e = ron_requests("(cpu: -0.5, memory: \"1Gi\")").expect_err("negative cpu");
        assert!(e.contains("invalid cpu quantity \"-0.5\""), "{e}");
        let e = ron_requests("(cpu: true, memory: \"1Gi\")").expect_err("not a quantity");
        assert!(e.contains("a cpu quantity such as"), "{e}");
    }
}
