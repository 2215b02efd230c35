//! Current (2023+) token semantics through the real SDK: tokens are ignored, never an error, but
//! still returned.

use crate::support::{create_stream, event, messages, start, NOW};
use mock_server::TokenMode;

#[tokio::test]
async fn any_token_or_none_is_accepted_and_a_56_digit_token_comes_back() {
    let h = start(TokenMode::Current).await;
    create_stream(&h.client, "g", "s").await;
    let mut last = String::new();
    for (i, token) in [
        None,
        Some("garbage"),
        None,
        Some("49000000000000000000000000000000000000000000000000000001"),
    ]
    .into_iter()
    .enumerate()
    {
        let out = h
            .client
            .put_log_events()
            .log_group_name("g")
            .log_stream_name("s")
            .set_sequence_token(token.map(str::to_owned))
            .log_events(event(NOW, &format!("m{i}")))
            .send()
            .await
            .expect("tokens are ignored");
        let t = out
            .next_sequence_token()
            .expect("still returned")
            .to_owned();
        assert_eq!(t.len(), 56);
        assert!(t > last);
        last = t;
    }
    let out = h
        .client
        .describe_log_streams()
        .log_group_name("g")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.log_streams()[0].upload_sequence_token(),
        Some(last.as_str())
    );
}

#[tokio::test]
async fn a_resent_batch_is_stored_twice() {
    let h = start(TokenMode::Current).await;
    create_stream(&h.client, "g", "s").await;
    for _ in 0..2 {
        h.client
            .put_log_events()
            .log_group_name("g")
            .log_stream_name("s")
            .sequence_token("same")
            .log_events(event(NOW, "dup"))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(messages(&h.client, "g", "s").await, ["dup", "dup"]);
}
