//! Reals printed as SQLite prints them (`%!.17g`): SQLite's own fast binary-to-decimal step,
//! reproduced with our own table of powers of ten, so that the last digit agrees too.

use super::number::pow10_to_f64;

/// SQLite's estimate of floor(p * log2(10)).
fn pwr10to2(p: i64) -> i64 {
    (p * 108_853) >> 15
}

/// SQLite's estimate of floor(b * log10(2)).
fn pwr2to10(b: i64) -> i64 {
    (b * 78_913) >> 18
}

/// The 64 most significant bits of 10^p (p in -348..=347), that is
/// floor(10^p * 2^(63 - pwr10to2(p))), computed once with a small bignum.
fn pow10_hi(p: i64) -> u64 {
    static TABLE: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| (-348..=347).map(pow10_hi_exact).collect());
    usize::try_from(p + 348)
        .ok()
        .and_then(|i| table.get(i))
        .copied()
        .unwrap_or(1 << 63)
}

/// [`pow10_hi`] from scratch: little-endian u32 limbs, ×10 or ÷10 at a time.
fn pow10_hi_exact(p: i64) -> u64 {
    let shift = 63 - pwr10to2(p); // bits of 2^shift to scale by
    let mut big: Vec<u32>;
    let mut scale = shift;
    if p >= 0 {
        big = vec![1];
        for _ in 0..p {
            let mut carry = 0u64;
            for limb in &mut big {
                let v = u64::from(*limb) * 10 + carry;
                *limb = v as u32;
                carry = v >> 32;
            }
            if carry > 0 {
                big.push(carry as u32);
            }
        }
    } else {
        // floor(2^shift / 10^-p) = -p successive floor divisions by ten.
        let s = usize::try_from(shift).unwrap_or(0);
        big = vec![0; s / 32 + 1];
        big[s / 32] = 1 << (s % 32);
        for _ in 0..-p {
            let mut rem = 0u64;
            for limb in big.iter_mut().rev() {
                let v = (rem << 32) | u64::from(*limb);
                *limb = (v / 10) as u32;
                rem = v % 10;
            }
        }
        scale = 0;
    }
    let bit = |j: i64| -> u64 {
        usize::try_from(j)
            .ok()
            .and_then(|j| big.get(j / 32).map(|l| u64::from(l >> (j % 32)) & 1))
            .unwrap_or(0)
    };
    (0..64).fold(0u64, |x, i| x | (bit(i - scale) << i))
}

/// The digits SQLite's printf starts from for `a > 0` (finite) at 17 significant digits
/// (sqlite3FpDecode with sqlite3Fp2Convert10): `a * 10^(17-k)`, with `k` estimated from the
/// binary exponent, computed with a 64-bit power of ten and rounded on one extra bit. That
/// gives 18 or 19 digits, not always correctly rounded; SQLite's output depends on exactly
/// these digits. Returns the digits (values 0-9) and the decimal point's position
/// (`a ~ 0.digits * 10^idp`).
fn sqlite_digits(a: f64) -> (Vec<u8>, i64) {
    let bits = a.to_bits();
    let biased = (bits >> 52) as i64;
    let frac = bits & ((1 << 52) - 1);
    let (m, e) = if biased == 0 {
        let nn = frac.leading_zeros();
        (frac << nn, -1074 - i64::from(nn))
    } else {
        ((frac << 11) | (1 << 63), biased - 1086)
    };
    let p = 17 - pwr2to10(e + 63);
    let h = ((u128::from(m) * u128::from(pow10_hi(p))) >> 64) as u64;
    let sh = -(e + pwr10to2(p) + 2);
    let h = u32::try_from(sh)
        .ok()
        .and_then(|sh| h.checked_shr(sh))
        .unwrap_or(0);
    let d = h.wrapping_add((h << 1) & 2) >> 1;
    let z: Vec<u8> = d.to_string().bytes().map(|b| b - b'0').collect();
    let idp = z.len() as i64 - p;
    (z, idp)
}

/// `r` printed as SQLite prints a REAL (`CAST(r AS TEXT)`): 17 significant digits, fewer when
/// a shorter form rounds to the same double in the ways SQLite tries; `x.0` for integral
/// values; an exponent (`1.0e+20`, `1.5e-07`) below 1e-4 or from 1e17; `Inf`, `-Inf`.
pub(super) fn format_real(r: f64) -> String {
    if r.is_nan() {
        return "NULL".into();
    }
    if r.is_infinite() {
        return if r < 0.0 { "-Inf".into() } else { "Inf".into() };
    }
    if r == 0.0 {
        return "0.0".into();
    }
    let a = r.abs();
    let (mut z, mut idp) = sqlite_digits(a);
    let n = z.len() as i64;
    if z.len() < 18 || z[0] == 0 {
        return format!("{r:e}"); // unreachable: SQLite's digit string has 18 or more digits
    }
    let num = |d: &[u8]| d.iter().fold(0u64, |v, &x| v * 10 + u64::from(x));
    let mut iround = 17;
    if z[15] == 9 && z[14] == 9 {
        let mut jj = 14;
        while jj > 0 && z[jj - 1] == 9 {
            jj -= 1;
        }
        let v2 = if jj == 0 { 1 } else { num(&z[..jj]) + 1 };
        if a == pow10_to_f64(v2, idp - jj as i64) {
            iround = jj + 1;
        }
    } else if idp >= n || (z[15] == 0 && z[14] == 0 && z[13] == 0) {
        let mut jj = 13;
        while jj > 1 && z[jj - 1] == 0 {
            jj -= 1;
        }
        if a == pow10_to_f64(num(&z[..jj]), idp - jj as i64) {
            iround = jj + 1;
        }
    }
    let round_up = z[iround] >= 5;
    z.truncate(iround);
    if round_up {
        let mut j = iround;
        loop {
            if j == 0 {
                z.insert(0, 1);
                idp += 1;
                break;
            }
            j -= 1;
            z[j] += 1;
            if z[j] <= 9 {
                break;
            }
            z[j] = 0;
        }
    }
    while z.len() > 1 && z.last() == Some(&0) {
        z.pop();
    }
    let digits: String = z.iter().map(|d| char::from(b'0' + d)).collect();
    let e = idp - 1;
    let mut out = String::with_capacity(digits.len() + 8);
    if r < 0.0 {
        out.push('-');
    }
    if !(-4..=16).contains(&e) {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        out.push_str(&format!(
            "e{}{:02}",
            if e < 0 { '-' } else { '+' },
            e.unsigned_abs()
        ));
    } else if e < 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-e - 1) as usize));
        out.push_str(&digits);
    } else {
        let int_len = (e + 1) as usize;
        if digits.len() > int_len {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        } else {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
            out.push_str(".0");
        }
    }
    out
}
