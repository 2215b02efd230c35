//! The `cwlogs-mock` binary.
fn main() {
    println!("{}", mock_server::wire::error_body("UnknownOperationException", "not yet"));
}
