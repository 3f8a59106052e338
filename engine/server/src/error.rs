//! One error type for both faces: [`ApiError`] is a [`Code`] and a message, turned into a gRPC
//! [`tonic::Status`] or an HTTP status with a JSON body `{"error": CODE, "message": ...}`. The
//! engine's and the SQL layer's errors map onto it in one place, so the two APIs answer the
//! same input with the same code.

use http::StatusCode;
use std::fmt;

/// What went wrong, in gRPC's vocabulary (each with its HTTP counterpart).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// Bad input: a malformed body, a bad key, a SQL error in the statement. 400.
    InvalidArgument,
    /// No such route, key or table. 404.
    NotFound,
    /// A unique constraint or an existing table/index. 409.
    AlreadyExists,
    /// A size limit: request, value, batch. 413.
    TooLarge,
    /// A concurrency limit: too many open streams. gRPC `RESOURCE_EXHAUSTED`, HTTP 429.
    Busy,
    /// A watch client fell behind and events were dropped. gRPC `RESOURCE_EXHAUSTED`, HTTP 410
    /// in the error event of the stream (the stream itself started with 200).
    Lagged,
    /// Not possible in the current state (no transaction to commit). 400, as in Google's
    /// mapping of gRPC codes to HTTP (the body's `error` tells it from `INVALID_ARGUMENT`).
    FailedPrecondition,
    /// A transaction conflict: retry. 409.
    Aborted,
    /// The history a watch asked for has left the log. 410.
    OutOfRange,
    /// No or a wrong bearer token. 401.
    Unauthenticated,
    /// Shutting down, or the database is closed. 503.
    Unavailable,
    /// The engine failed (I/O, corruption). 500.
    Internal,
}

impl Code {
    /// The gRPC status code.
    pub fn grpc(self) -> tonic::Code {
        match self {
            Code::InvalidArgument => tonic::Code::InvalidArgument,
            Code::NotFound => tonic::Code::NotFound,
            Code::AlreadyExists => tonic::Code::AlreadyExists,
            Code::TooLarge | Code::Busy | Code::Lagged => tonic::Code::ResourceExhausted,
            Code::FailedPrecondition => tonic::Code::FailedPrecondition,
            Code::Aborted => tonic::Code::Aborted,
            Code::OutOfRange => tonic::Code::OutOfRange,
            Code::Unauthenticated => tonic::Code::Unauthenticated,
            Code::Unavailable => tonic::Code::Unavailable,
            Code::Internal => tonic::Code::Internal,
        }
    }

    /// The HTTP status.
    pub fn http(self) -> StatusCode {
        match self {
            Code::InvalidArgument | Code::FailedPrecondition => StatusCode::BAD_REQUEST,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
            Code::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::Busy => StatusCode::TOO_MANY_REQUESTS,
            Code::Lagged | Code::OutOfRange => StatusCode::GONE,
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The name in JSON error bodies: gRPC's upper-case code name.
    pub fn name(self) -> &'static str {
        match self.grpc() {
            tonic::Code::InvalidArgument => "INVALID_ARGUMENT",
            tonic::Code::NotFound => "NOT_FOUND",
            tonic::Code::AlreadyExists => "ALREADY_EXISTS",
            tonic::Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
            tonic::Code::FailedPrecondition => "FAILED_PRECONDITION",
            tonic::Code::Aborted => "ABORTED",
            tonic::Code::OutOfRange => "OUT_OF_RANGE",
            tonic::Code::Unauthenticated => "UNAUTHENTICATED",
            tonic::Code::Unavailable => "UNAVAILABLE",
            _ => "INTERNAL",
        }
    }
}

/// An error answered to a client.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ApiError {
    /// The kind.
    pub code: Code,
    /// What the client reads.
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.name(), self.message)
    }
}

impl ApiError {
    /// An error of `code` saying `message`.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// Bad input.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(Code::InvalidArgument, message)
    }

    /// Over a size limit.
    pub fn too_large(message: impl Into<String>) -> Self {
        ApiError::new(Code::TooLarge, message)
    }

    /// The JSON body of the REST answer.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.code.name(), "message": self.message })
    }
}

impl From<ApiError> for tonic::Status {
    fn from(e: ApiError) -> Self {
        tonic::Status::new(e.code.grpc(), e.message)
    }
}

/// The code of an engine error: size limits and empty keys are the client's, a closed
/// database is unavailable, anything else (I/O, corruption) is internal.
fn engine_code(e: &ferrolite::Error) -> Code {
    use ferrolite::Error as E;
    match e {
        E::EmptyKey => Code::InvalidArgument,
        E::KeyTooLarge { .. } | E::ValueTooLarge { .. } | E::BatchTooLarge { .. } => Code::TooLarge,
        E::Closed => Code::Unavailable,
        _ => Code::Internal,
    }
}

impl From<ferrolite::Error> for ApiError {
    fn from(e: ferrolite::Error) -> Self {
        ApiError::new(engine_code(&e), e.to_string())
    }
}

impl From<ferrolite_sql::Error> for ApiError {
    fn from(e: ferrolite_sql::Error) -> Self {
        use ferrolite_sql::Error as E;
        let code = match &e {
            E::Syntax { .. }
            | E::Unsupported(_)
            | E::Name(_)
            | E::Schema(_)
            | E::NotNull(_)
            | E::TypeMismatch { .. }
            | E::Eval(_) => Code::InvalidArgument,
            E::Exists { .. } | E::Unique(_) => Code::AlreadyExists,
            E::Conflict(_) => Code::Aborted,
            E::Transaction(_) => Code::FailedPrecondition,
            E::FeedGap { .. } => Code::OutOfRange,
            E::FeedLagged { .. } => Code::Lagged,
            E::Storage(inner) => engine_code(inner),
            _ => Code::Internal,
        };
        ApiError::new(code, e.to_string())
    }
}

/// A result whose error is answered to the client.
pub type ApiResult<T> = Result<T, ApiError>;
