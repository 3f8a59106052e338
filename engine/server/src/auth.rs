//! The bearer token: `authorization: Bearer <token>` on every request of both faces, compared
//! in constant time.
//!
//! [`Token::matches`] takes time that depends only on the length of what the client sent,
//! never on the secret's bytes or on where the first difference is: it walks every byte the
//! client sent, comparing it with the secret's byte at the same place (or with a zero past the
//! secret's end), and folds every difference — and a difference of lengths — into one
//! accumulator inspected once at the end. `black_box` keeps the compiler from turning the
//! loop into an early-exit comparison.

use std::hint::black_box;

/// The secret clients must present.
pub struct Token {
    secret: Vec<u8>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

impl Token {
    /// A token (not empty: `config::read_token` checks).
    pub fn new(secret: Vec<u8>) -> Token {
        Token { secret }
    }

    /// Whether `presented` is the secret, in time that depends only on `presented.len()`.
    pub fn matches(&self, presented: &[u8]) -> bool {
        let mut diff = u8::from(presented.len() != self.secret.len());
        for (i, &b) in presented.iter().enumerate() {
            let s = self.secret.get(i).copied().unwrap_or(0);
            diff |= black_box(b ^ s);
        }
        black_box(diff) == 0
    }

    /// Whether an `authorization` header carries the token as `Bearer <token>` (the scheme's
    /// name in any case, as RFC 9110 says).
    pub fn check_header(&self, value: Option<&http::HeaderValue>) -> bool {
        let Some(v) = value else { return false };
        let v = v.as_bytes();
        if v.len() < 7 || !v[..7].eq_ignore_ascii_case(b"bearer ") {
            return false;
        }
        self.matches(v[7..].trim_ascii())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn only_the_token_passes() {
        let t = Token::new(b"s3cret-token".to_vec());
        assert!(t.matches(b"s3cret-token"));
        for wrong in [
            &b""[..],
            b"s3cret-toke",
            b"s3cret-token!",
            b"S3cret-token",
            b"\0",
        ] {
            assert!(!t.matches(wrong), "{wrong:?}");
        }
        // A prefix padded with the zeros the comparison uses past the end is still wrong.
        assert!(!t.matches(b"s3cret-token\0\0"));
        let h = |s: &'static str| Some(HeaderValue::from_static(s));
        assert!(t.check_header(h("Bearer s3cret-token").as_ref()));
        assert!(t.check_header(h("bearer s3cret-token").as_ref()));
        assert!(!t.check_header(h("Basic s3cret-token").as_ref()));
        assert!(!t.check_header(h("Bearer").as_ref()));
        assert!(!t.check_header(h("Bearer wrong").as_ref()));
        assert!(!t.check_header(None));
    }
}
