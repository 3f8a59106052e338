//! Encodings shared by the two faces: base64 for bytes in JSON and URLs, resume tokens, SQL
//! values in JSON and in protobuf.
//!
//! Bytes in JSON bodies are written in standard base64 with padding (protobuf's JSON mapping);
//! on input both the standard and the URL-safe alphabet are read, padded or not, so a key
//! taken from a JSON answer can be put in a URL after swapping `+/` for `-_` — or as is, when
//! percent-encoded.

use crate::error::{ApiError, ApiResult};
use crate::proto;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use ferrolite::Bytes;
use ferrolite_sql::Value;

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);
const URL_SAFE_NO_PAD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_encode_padding(false),
);

/// Bytes as standard base64 (JSON bodies).
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decode base64 in either alphabet, padded or not; `what` names the field in the error.
pub fn unb64(what: &str, text: &str) -> ApiResult<Bytes> {
    let url_safe = text.contains(['-', '_']);
    let engine = if url_safe {
        &URL_SAFE_LENIENT
    } else {
        &STANDARD_LENIENT
    };
    engine
        .decode(text)
        .map(Bytes::from)
        .map_err(|e| ApiError::invalid(format!("{what}: not base64 ({e})")))
}

/// A resume token naming the last key of a page: `k` and the key in URL-safe base64, so it
/// travels in a query string as is.
pub fn resume_token(last_key: &[u8]) -> String {
    format!("k{}", URL_SAFE_NO_PAD.encode(last_key))
}

/// The last key of the previous page, from its token.
pub fn parse_resume_token(token: &str) -> ApiResult<Bytes> {
    let bad = || ApiError::invalid("resume: not a token this server gave out");
    let rest = token.strip_prefix('k').ok_or_else(bad)?;
    URL_SAFE_LENIENT
        .decode(rest)
        .map(Bytes::from)
        .map_err(|_| bad())
}

/// A SQL value in JSON: null, a number (an integer stays integral), a string, or
/// `{"base64": "..."}` for a blob. An infinite real is `{"real": "inf"}` or `{"real": "-inf"}`
/// (JSON has no infinity; a `Value` is never NaN).
pub fn value_to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null => J::Null,
        Value::Integer(i) => J::from(*i),
        Value::Real(r) => match serde_json::Number::from_f64(*r) {
            Some(n) => J::Number(n),
            None => serde_json::json!({ "real": if *r > 0.0 { "inf" } else { "-inf" } }),
        },
        Value::Text(t) => J::String(t.to_string()),
        Value::Blob(b) => serde_json::json!({ "base64": b64(b) }),
    }
}

/// A SQL parameter from JSON (the inverse of [`value_to_json`]).
pub fn value_from_json(j: &serde_json::Value) -> ApiResult<Value> {
    use serde_json::Value as J;
    Ok(match j {
        J::Null => Value::Null,
        J::Bool(b) => Value::Integer(i64::from(*b)),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::real(n.as_f64().ok_or_else(|| {
                ApiError::invalid(format!("parameter {n} is not a 64-bit number"))
            })?),
        },
        J::String(s) => Value::Text(s.as_str().into()),
        J::Object(o) if o.len() == 1 && o.contains_key("base64") => match &o["base64"] {
            J::String(s) => Value::Blob(unb64("blob parameter", s)?.to_vec()),
            _ => return Err(ApiError::invalid("{\"base64\": ...} takes a string")),
        },
        J::Object(o) if o.len() == 1 && o.contains_key("real") => match o["real"].as_str() {
            Some("inf") => Value::Real(f64::INFINITY),
            Some("-inf") => Value::Real(f64::NEG_INFINITY),
            // SQLite stores a NaN as NULL; `Value::real` does the same.
            Some("nan") => Value::real(f64::NAN),
            _ => {
                return Err(ApiError::invalid(
                    "{\"real\": ...} takes \"inf\", \"-inf\" or \"nan\"",
                ))
            }
        },
        other => {
            return Err(ApiError::invalid(format!(
                "a parameter is null, a number, a string or {{\"base64\": ...}}, not {other}"
            )))
        }
    })
}

/// A SQL value in protobuf.
pub fn value_to_proto(v: &Value) -> proto::Value {
    use proto::value::Kind;
    let kind = match v {
        Value::Null => Kind::Null(true),
        Value::Integer(i) => Kind::Integer(*i),
        Value::Real(r) => Kind::Real(*r),
        Value::Text(t) => Kind::Text(t.to_string()),
        Value::Blob(b) => Kind::Blob(b.to_vec()),
    };
    proto::Value { kind: Some(kind) }
}

/// A SQL parameter from protobuf (an unset value is NULL).
pub fn value_from_proto(v: &proto::Value) -> Value {
    use proto::value::Kind;
    match &v.kind {
        None | Some(Kind::Null(_)) => Value::Null,
        Some(Kind::Integer(i)) => Value::Integer(*i),
        Some(Kind::Real(r)) => Value::real(*r),
        Some(Kind::Text(t)) => Value::Text(t.as_str().into()),
        Some(Kind::Blob(b)) => Value::Blob(b.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_either_alphabet_padded_or_not() {
        let key = [0xfbu8, 0xff, 0x01];
        assert_eq!(b64(&key), "+/8B");
        for text in ["+/8B", "-_8B", "-_8B"] {
            assert_eq!(&unb64("key", text).unwrap()[..], &key);
        }
        assert_eq!(&unb64("k", "YQ").unwrap()[..], b"a");
        assert_eq!(&unb64("k", "YQ==").unwrap()[..], b"a");
        let e = unb64("key", "not base64!").unwrap_err();
        assert!(e.message.starts_with("key: not base64"), "{e}");
    }

    #[test]
    fn resume_tokens_round_trip_and_reject_others() {
        for key in [&b"a"[..], b"\xff\xfe/+", b""] {
            assert_eq!(&parse_resume_token(&resume_token(key)).unwrap()[..], key);
        }
        assert!(parse_resume_token("xyz").is_err());
        assert!(parse_resume_token("k!!").is_err());
    }

    #[test]
    fn values_round_trip_through_json_and_protobuf() {
        let values = [
            Value::Null,
            Value::Integer(i64::MIN),
            Value::Integer(7),
            Value::Real(2.5),
            Value::Real(f64::INFINITY),
            Value::Text("é".into()),
            Value::Blob(vec![0u8, 255]),
        ];
        for v in &values {
            assert_eq!(&value_from_json(&value_to_json(v)).unwrap(), v);
            assert_eq!(&value_from_proto(&value_to_proto(v)), v);
        }
        assert!(value_from_json(&serde_json::json!([1])).is_err());
        assert!(value_from_json(&serde_json::json!({"base64": 3})).is_err());
    }
}
