//! The awsJson1_1 envelope: what a request carries besides its body, and how answers are encoded.
//!
//! A request is `POST /` with `X-Amz-Target: Logs_20140328.<Operation>` and a JSON body; SigV4 headers
//! are accepted unverified, and the region and access key are read from the credential scope when
//! present (CLOUDWATCH.md §1.1–§1.2). Answers are `application/x-amz-json-1.1` with an
//! `x-amzn-RequestId`; errors add `X-Amzn-ErrorType` (§1.3–§1.5).

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::catalogue::Operation;
use crate::protocol::errors::ApiError;
use crate::protocol::members::Members;
use crate::protocol::put_input::PutInput;
use crate::protocol::put_json::PutLogEventsBody;

/// The prefix of every CloudWatch Logs `X-Amz-Target`.
pub(crate) const TARGET_PREFIX: &str = "Logs_20140328.";

/// The content type of every request and answer.
pub(crate) const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// One API request, parsed from HTTP but independent of it.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// The operation named by `X-Amz-Target` after the `Logs_20140328.` prefix, or the whole header
    /// when the prefix is missing (it is then an unknown operation). Empty without the header.
    pub operation: String,
    /// The body parsed as JSON, or the error AWS answers for it (dereference it for the
    /// `Result`; a PutLogEvents body is only parsed into a `Value` when something asks).
    pub body: RequestBody,
    /// The region of the SigV4 credential scope, when signed.
    pub region: Option<String>,
    /// The access key id of the SigV4 credential scope, when signed.
    pub access_key_id: Option<String>,
    /// The id sent back as `x-amzn-RequestId`.
    pub request_id: String,
    /// The operation of the service model that `operation` names, parsed once here.
    known: Option<Operation>,
}

impl ApiRequest {
    /// Builds a request from the `X-Amz-Target` and `Authorization` header values and the body.
    pub fn new(target: Option<&str>, authorization: Option<&str>, body: &[u8]) -> Self {
        let named = target.and_then(|t| t.strip_prefix(TARGET_PREFIX));
        let operation = named.or(target).unwrap_or_default().to_owned();
        let scope = authorization.and_then(CredentialScope::parse);
        // Only `Logs_20140328.<Op>` names an operation: the service answers a bare `PutLogEvents`
        // (or any other prefix) with UnknownOperationException, like any unknown target.
        let known = named.and_then(Operation::from_name);
        let body = RequestBody::read(known, body);
        Self {
            known,
            operation,
            body,
            region: scope.as_ref().map(|s| s.region.clone()),
            access_key_id: scope.map(|s| s.access_key_id),
            request_id: new_request_id(),
        }
    }

    /// Builds an unsigned request for `operation` with a JSON body, for tests and in-process callers.
    pub fn json(operation: &str, body: Value) -> Self {
        let bytes = body.to_string();
        Self::new(
            Some(&format!("{TARGET_PREFIX}{operation}")),
            None,
            bytes.as_bytes(),
        )
    }

    /// The operation of the service model the request names, or `None` for an unknown target.
    pub fn known_operation(&self) -> Option<Operation> {
        self.known
    }

    /// A string member of the body, if present; used to name the group and stream for hooks.
    pub fn str_member(&self, name: &str) -> Option<&str> {
        if let Some(put) = &self.body.put {
            return put.str_member(name);
        }
        self.body.as_ref().ok()?.get(name)?.as_str()
    }

    /// The PutLogEvents members of the body (whatever the operation), or AWS's error for a body
    /// that is not JSON or has a member of the wrong type.
    pub(crate) fn put_input(&self) -> Result<PutInput<'_>, ApiError> {
        match &self.body.put {
            Some(put) => Ok(put.input()),
            None => match &*self.body {
                Ok(map) => PutInput::from_members(&Members::new(map)),
                Err(e) => Err(e.clone()),
            },
        }
    }

    /// The same request without the fast path's reading of its body, so that tests can compare
    /// the two paths.
    #[cfg(test)]
    pub(crate) fn without_fast_path(mut self) -> Self {
        if let Some(put) = self.body.put.take() {
            let _ = self.body.parsed.set(parse_body(put.text().as_bytes()));
        }
        self
    }

    /// Whether the body was read by the PutLogEvents fast path.
    #[cfg(test)]
    pub(crate) fn took_fast_path(&self) -> bool {
        self.body.put.is_some()
    }

    /// `logGroupName`, or the name inside `logGroupIdentifier`, when the body has one.
    pub fn log_group_name(&self) -> Option<&str> {
        if let Some(name) = self.str_member("logGroupName") {
            return Some(name);
        }
        let id = self.str_member("logGroupIdentifier")?;
        Some(crate::protocol::names::group_name_from_identifier(id))
    }

    /// `logStreamName`, when the body has one.
    pub fn log_stream_name(&self) -> Option<&str> {
        self.str_member("logStreamName")
    }
}

/// The body of an [`ApiRequest`]: dereferences to the body parsed as a JSON object, or to the error
/// AWS answers for it.
///
/// A PutLogEvents body of the usual shape is read by the fast path (the private `put_json`
/// module) and kept as text; its `Value` form is only built if something dereferences it (hooks
/// and the decision use the fast path's reading instead). Every other body is parsed at once.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// The fast path's reading, when it took the body.
    put: Option<PutLogEventsBody>,
    /// The general reading; always set when `put` is `None`.
    parsed: OnceLock<Result<Map<String, Value>, ApiError>>,
}

impl RequestBody {
    fn read(operation: Option<Operation>, body: &[u8]) -> Self {
        let put = (operation == Some(Operation::PutLogEvents))
            .then(|| std::str::from_utf8(body).ok())
            .flatten()
            .and_then(|text| PutLogEventsBody::parse(text.to_owned()));
        let parsed = OnceLock::new();
        if put.is_none() {
            let _ = parsed.set(parse_body(body));
        }
        Self { put, parsed }
    }
}

impl Deref for RequestBody {
    type Target = Result<Map<String, Value>, ApiError>;

    fn deref(&self) -> &Self::Target {
        self.parsed
            .get_or_init(|| parse_body(self.put.as_ref().map_or(&b""[..], |p| p.text().as_bytes())))
    }
}

/// An answer to one API request, independent of HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// The error code for error answers; sent as `X-Amzn-ErrorType`.
    pub error_type: Option<&'static str>,
    /// The JSON body.
    pub body: String,
    /// Extra headers (e.g. `x-amz-retry-after` from a throttle).
    pub headers: Vec<(String, String)>,
}

impl ApiResponse {
    /// A 200 answer with a JSON body.
    pub fn ok(body: Value) -> Self {
        Self {
            status: 200,
            error_type: None,
            body: body.to_string(),
            headers: Vec::new(),
        }
    }

    /// A 200 answer for an operation without output (AWS's void operations): `{}`.
    pub fn empty() -> Self {
        Self::ok(Value::Object(Map::new()))
    }

    /// Whether this is an error answer.
    pub fn is_error(&self) -> bool {
        self.error_type.is_some()
    }
}

impl ApiError {
    /// The full response for this error.
    pub fn into_response(self) -> ApiResponse {
        ApiResponse {
            status: self.status,
            error_type: Some(self.error_type),
            body: self.body(),
            headers: Vec::new(),
        }
    }
}

impl From<ApiError> for ApiResponse {
    fn from(error: ApiError) -> Self {
        error.into_response()
    }
}

/// The parts of a SigV4 credential scope the mock uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CredentialScope {
    /// The access key id.
    pub access_key_id: String,
    /// The region.
    pub region: String,
}

impl CredentialScope {
    /// Reads `Credential=<AKID>/<date>/<region>/<service>/aws4_request` from an `Authorization`
    /// header. Anything else (unsigned, other schemes, garbage) gives `None`: signatures are never
    /// verified, so a missing scope is not an error.
    pub(crate) fn parse(authorization: &str) -> Option<Self> {
        let rest = authorization.split("Credential=").nth(1)?;
        let credential = rest.split([',', ' ']).next()?;
        let mut parts = credential.split('/');
        let access_key_id = parts.next()?.to_owned();
        let _date = parts.next()?;
        let region = parts.next()?.to_owned();
        if access_key_id.is_empty() || region.is_empty() {
            return None;
        }
        Some(Self {
            access_key_id,
            region,
        })
    }
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    // SDKs always send at least `{}`; an empty body is read the same way.
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Array(_)) => Err(ApiError::serialization(Some(
            "Start of list found where not expected".into(),
        ))),
        Ok(_) => Err(ApiError::serialization(Some(
            "Unexpected value found where a structure was expected".into(),
        ))),
        // AWS answers unparseable JSON with a bare SerializationException.
        Err(_) => Err(ApiError::serialization(None)),
    }
}

/// A fresh request id in the UUID form AWS uses. Unique within the process; not cryptographic.
pub(crate) fn new_request_id() -> String {
    static SEED: OnceLock<RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = SEED.get_or_init(RandomState::new);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let hi = seed.hash_one(n);
    let lo = seed.hash_one(!n);
    let bits = (u128::from(hi) << 64) | u128::from(lo);
    // Version 4, variant 1, as a real UUID would carry.
    let bits = (bits & !(0xF << 76)) | (0x4 << 76);
    let bits = (bits & !(0x3 << 62)) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_body_is_byte_for_byte_the_real_one() {
        let body = ApiError::client("ThrottlingException", "Rate exceeded").body();
        assert_eq!(
            body,
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#
        );
        assert_eq!(body.len(), 58);
    }

    #[test]
    fn credential_scope_gives_region_and_key() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/eu-west-2/logs/aws4_request, SignedHeaders=host, Signature=abc";
        let scope = CredentialScope::parse(header).unwrap();
        assert_eq!(scope.access_key_id, "AKIDEXAMPLE");
        assert_eq!(scope.region, "eu-west-2");
        assert_eq!(CredentialScope::parse("Bearer x"), None);
    }

    #[test]
    fn request_ids_look_like_uuids_and_differ() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn target_prefix_is_stripped() {
        let req = ApiRequest::new(Some("Logs_20140328.PutLogEvents"), None, b"");
        assert_eq!(req.operation, "PutLogEvents");
        assert!(req.body.is_ok());
        let req = ApiRequest::new(Some("Other.Op"), None, b"[1]");
        assert_eq!(req.operation, "Other.Op");
        assert!(req.body.is_err());
    }
}
