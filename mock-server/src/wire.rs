//! The awsJson1_1 wire format: how errors look to every AWS SDK.

/// Encodes an error body exactly as CloudWatch Logs does: compact JSON, bare `__type` first,
/// `message` last.
pub fn error_body(error_type: &str, message: &str) -> String {
    let mut body = serde_json::Map::new();
    body.insert("__type".into(), error_type.into());
    body.insert("message".into(), message.into());
    serde_json::Value::Object(body).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_body_is_byte_for_byte_the_real_one() {
        let body = error_body("ThrottlingException", "Rate exceeded");
        assert_eq!(body, r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#);
        assert_eq!(body.len(), 58);
    }
}
