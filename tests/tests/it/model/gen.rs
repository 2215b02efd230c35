//! Generated request sequences: abstract steps that name groups, streams and tokens by their role
//! ("the expected token", "an earlier one", "one of another stream"), resolved into concrete
//! requests only when they run, so that shrinking keeps them meaningful.

use proptest::prelude::*;

/// The group names the suite uses.
pub const GROUPS: &[&str] = &["app", "db"];
/// The stream names the suite uses; the last breaks the `[^:*]*` pattern (§2).
pub const STREAMS: &[&str] = &["web-1", "web-2", "bad:name"];
/// Tokens the service never hands out: empty (a model-constraint failure in strict mode), words,
/// and a 56-digit number of the real form (§3.1).
pub const GARBAGE: &[&str] = &[
    "",
    "garbage",
    "null",
    "49999999999999999999999999999999999999999999999999999999",
];

/// Retention periods to set: two valid ones (§2) and one AWS refuses.
pub const RETENTION: &[i64] = &[1, 3, 2];

const HOUR_MS: i64 = 60 * 60 * 1000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Which `sequenceToken` a put carries, by role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenChoice {
    /// The token the model expects next (none on a stream that has handed none out).
    Expected,
    /// No token.
    Absent,
    /// The token the previous put to this stream carried (a client resending).
    LastSent,
    /// One of the tokens this stream name handed out before, other than the expected one
    /// (including those of a deleted incarnation); counted back from the newest.
    Earlier(usize),
    /// A token handed out by another stream.
    OtherStream(usize),
    /// One of [`GARBAGE`].
    Garbage(usize),
}

/// One event to generate: its time relative to `now`, its message length and fill character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSpec {
    /// ms relative to the request's `now`.
    pub offset: i64,
    /// Message length; 0 breaks the length ≥ 1 constraint.
    pub len: usize,
    /// The character the message repeats.
    pub fill: char,
}

/// What one step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// CreateLogGroup of `GROUPS[i]`.
    CreateGroup(usize),
    /// DeleteLogGroup of `GROUPS[i]`.
    DeleteGroup(usize),
    /// CreateLogStream of `GROUPS[g]`/`STREAMS[s]`.
    CreateStream(usize, usize),
    /// DeleteLogStream of `GROUPS[g]`/`STREAMS[s]`.
    DeleteStream(usize, usize),
    /// PutLogEvents to `GROUPS[group]`/`STREAMS[stream]`.
    Put {
        /// Index into [`GROUPS`].
        group: usize,
        /// Index into [`STREAMS`].
        stream: usize,
        /// The token, by role.
        token: TokenChoice,
        /// Send the previous batch of this stream again (when there was one) instead of `events`.
        repeat: bool,
        /// The batch, in this order (so it may be unsorted).
        events: Vec<EventSpec>,
    },
    /// PutRetentionPolicy of `GROUPS[g]` with `RETENTION[r]` days, or DeleteRetentionPolicy when
    /// `r` is past its end.
    SetRetention(usize, usize),
    /// DescribeLogGroups.
    DescribeGroups,
    /// DescribeLogStreams of `GROUPS[i]`.
    DescribeStreams(usize),
    /// GetLogEvents of `GROUPS[g]`/`STREAMS[s]`.
    GetEvents(usize, usize),
}

/// One step: let the virtual clock move, then act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// How far `now` moves before the request.
    pub advance_ms: i64,
    /// The request, abstractly.
    pub action: Action,
}

fn group() -> impl Strategy<Value = usize> {
    prop_oneof![9 => Just(0usize), 1 => Just(1usize)]
}

fn stream() -> impl Strategy<Value = usize> {
    prop_oneof![24 => Just(0usize), 15 => Just(1usize), 1 => Just(2usize)]
}

fn token() -> impl Strategy<Value = TokenChoice> {
    prop_oneof![
        10 => Just(TokenChoice::Expected),
        3 => Just(TokenChoice::Absent),
        3 => Just(TokenChoice::LastSent),
        3 => (0usize..4).prop_map(TokenChoice::Earlier),
        1 => (0usize..4).prop_map(TokenChoice::OtherStream),
        2 => (0..GARBAGE.len()).prop_map(TokenChoice::Garbage),
    ]
}

/// Times near every edge of §4: now, the 2 h future limit, the 14 d age limit, the 24 h span,
/// and the 1 d and 3 d retention periods of [`RETENTION`].
fn offset() -> impl Strategy<Value = i64> {
    prop_oneof![
        30 => -2_000i64..=0,
        1 => Just(-DAY_MS),
        1 => Just(-DAY_MS - 1),
        1 => Just(-3 * DAY_MS),
        1 => Just(-3 * DAY_MS - 1),
        1 => Just(-14 * DAY_MS),
        1 => Just(-14 * DAY_MS - 1),
        1 => Just(-20 * DAY_MS),
        1 => Just(2 * HOUR_MS),
        1 => Just(2 * HOUR_MS + 1),
        1 => Just(3 * HOUR_MS),
    ]
}

fn event() -> impl Strategy<Value = EventSpec> {
    let len = prop_oneof![50 => 1usize..=6, 1 => Just(0usize), 4 => 28usize..=44];
    let fill = prop_oneof![Just('a'), Just('b')];
    (offset(), len, fill).prop_map(|(offset, len, fill)| EventSpec { offset, len, fill })
}

/// A batch: usually sorted, sometimes not; sizes around the suite's limit of 6 events.
fn batch() -> impl Strategy<Value = Vec<EventSpec>> {
    let size = prop_oneof![1 => Just(0usize), 20 => 1usize..=4, 2 => 5usize..=8];
    let events = size.prop_flat_map(|n| prop::collection::vec(event(), n));
    (events, prop::bool::weighted(0.92)).prop_map(|(mut events, sorted)| {
        if sorted {
            events.sort_by_key(|e| e.offset);
        }
        events
    })
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        5 => group().prop_map(Action::CreateGroup),
        1 => group().prop_map(Action::DeleteGroup),
        8 => (group(), stream()).prop_map(|(g, s)| Action::CreateStream(g, s)),
        2 => (group(), stream()).prop_map(|(g, s)| Action::DeleteStream(g, s)),
        30 => (group(), stream(), token(), prop::bool::weighted(0.15), batch()).prop_map(
            |(group, stream, token, repeat, events)| Action::Put { group, stream, token, repeat, events }
        ),
        // A writer that lost the answer resends exactly what it sent (§3.1's DataAlreadyAccepted);
        // with nothing sent before, this is an empty batch, which is refused.
        4 => (group(), stream()).prop_map(|(group, stream)| Action::Put {
            group,
            stream,
            token: TokenChoice::LastSent,
            repeat: true,
            events: Vec::new(),
        }),
        2 => (group(), 0..=RETENTION.len()).prop_map(|(g, r)| Action::SetRetention(g, r)),
        1 => Just(Action::DescribeGroups),
        3 => group().prop_map(Action::DescribeStreams),
        3 => (group(), stream()).prop_map(|(g, s)| Action::GetEvents(g, s)),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let advance = prop_oneof![4 => Just(0i64), 3 => 1i64..=1_000, 1 => Just(HOUR_MS)];
    (advance, action()).prop_map(|(advance_ms, action)| Step { advance_ms, action })
}

/// A request sequence of up to `max_len` steps. Each starts by creating `app/web-1` and
/// `app/web-2`, so that most puts reach the token logic rather than ResourceNotFound.
pub fn steps(max_len: usize) -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 1..=max_len).prop_map(|mut steps| {
        let setup = [
            Action::CreateGroup(0),
            Action::CreateStream(0, 0),
            Action::CreateStream(0, 1),
        ]
        .map(|action| Step {
            advance_ms: 0,
            action,
        });
        steps.splice(0..0, setup);
        steps
    })
}
