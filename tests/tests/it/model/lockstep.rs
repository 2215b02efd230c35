//! Runs the model and the mock side by side: every request goes to both, with the same virtual
//! `now`, and the two answers must conform (see `renaming`). Every exchange is kept as one line, so
//! that a failing sequence reads as a transcript.

use std::collections::{BTreeMap, HashMap};

use mock_server::ApiResponse;
use mock_server::{Config, Limits, State, TokenMode};

use super::answer::{Answer, Tok};
use super::gen::{Action, Step, TokenChoice, GARBAGE, GROUPS, RETENTION, STREAMS};
use super::renaming::Renaming;
use super::request::{InputEvent, Request, SentToken};
use super::service::{BatchLimits, Model, Tokens};
use super::wire;

/// The virtual clock's start (2023-11-14), far from 0 so that "14 days ago" is a valid timestamp.
pub const START_MS: i64 = 1_700_000_000_000;

/// Batch limits low enough that the generated batches (a few events of a few bytes) reach each
/// of them; the mock takes the same values through its config.
pub const SUITE_LIMITS: BatchLimits = BatchLimits {
    max_events: 6,
    max_event_bytes: 26 + 40,
    max_batch_bytes: 160,
};

type StreamKey = (String, String);

/// One request and both answers.
#[derive(Debug)]
pub struct Exchange {
    /// The model's answer.
    pub model: Answer<Tok>,
    /// The mock's answer, as `State::decide` returned it.
    pub mock: ApiResponse,
}

/// The model, the mock, the renaming between their tokens and the transcript.
pub struct Lockstep {
    model: Model,
    mock: State,
    renaming: Renaming,
    now: i64,
    transcript: Vec<String>,
    /// Tokens seen per stream name, oldest first (incarnations of one name share a list).
    seen: BTreeMap<StreamKey, Vec<Tok>>,
    /// The token and events of the last put per stream name, for resends.
    last_put: HashMap<StreamKey, (SentToken, Vec<InputEvent>)>,
}

impl Lockstep {
    /// An empty service in `mode` with the suite's lowered batch limits.
    pub fn new(mode: Tokens) -> Self {
        let config = Config {
            token_mode: match mode {
                Tokens::Strict => TokenMode::Strict,
                Tokens::Current => TokenMode::Current,
            },
            limits: Limits {
                max_batch_events: SUITE_LIMITS.max_events,
                max_event_bytes: SUITE_LIMITS.max_event_bytes,
                max_batch_bytes: SUITE_LIMITS.max_batch_bytes,
                ..Limits::default()
            },
            ..Config::default()
        };
        Self {
            model: Model::new(mode, SUITE_LIMITS),
            mock: State::new(config),
            renaming: Renaming::default(),
            now: START_MS,
            transcript: Vec::new(),
            seen: BTreeMap::new(),
            last_put: HashMap::new(),
        }
    }

    /// The mock string bound to a model token, once the two have met.
    pub fn mock_token(&self, tok: Tok) -> Option<&str> {
        self.renaming.mock_of(tok)
    }

    /// Every exchange so far, one line each.
    pub fn transcript(&self) -> String {
        self.transcript.join("\n")
    }

    /// Sends `request` to both at the current `now`; an error says how the answers differ.
    pub fn send(&mut self, request: Request) -> Result<Exchange, String> {
        let token = match &request {
            Request::PutLogEvents { token, .. } => match token {
                SentToken::Absent => None,
                SentToken::Garbage(g) => Some((*g).to_owned()),
                SentToken::Issued(t) => Some(
                    self.renaming
                        .mock_of(*t)
                        .ok_or_else(|| format!("cannot send {t}: the mock never handed it out"))?
                        .to_owned(),
                ),
            },
            _ => None,
        };
        let response = self
            .mock
            .decide(&wire::api_request(&request, token.as_deref()), self.now);
        let model = self.model.apply(&request, self.now);
        self.transcript.push(format!(
            "{:>3}. {} → model: {model} | mock: {} {}",
            self.transcript.len() + 1,
            request.line(self.now),
            response.status,
            response.body
        ));
        let mock = wire::answer(&request, &response)?;
        self.renaming.conform(&model, &mock)?;
        self.remember(&request, &model);
        Ok(Exchange {
            model,
            mock: response,
        })
    }

    /// Records the tokens an answer revealed and what a put sent, for later steps to pick from.
    fn remember(&mut self, request: &Request, answer: &Answer<Tok>) {
        let mut note = |key: StreamKey, tok: Option<Tok>| {
            if let Some(t) = tok {
                let list = self.seen.entry(key).or_default();
                if !list.contains(&t) {
                    list.push(t);
                }
            }
        };
        match (request, answer) {
            (Request::PutLogEvents { group, stream, .. }, Answer::Put { next, .. }) => {
                note((group.clone(), stream.clone()), *next);
            }
            (Request::PutLogEvents { group, stream, .. }, Answer::Error(e)) => {
                note((group.clone(), stream.clone()), e.expected);
            }
            (Request::DescribeLogStreams { group }, Answer::Streams(streams)) => {
                for s in streams {
                    note((group.clone(), s.name.clone()), s.upload_token);
                }
            }
            _ => {}
        }
        if let Request::PutLogEvents {
            group,
            stream,
            token,
            events,
        } = request
        {
            self.last_put.insert(
                (group.clone(), stream.clone()),
                (token.clone(), events.clone()),
            );
        }
    }

    fn resolve_token(&self, key: &StreamKey, choice: &TokenChoice) -> SentToken {
        let expected = self.model.expected_token(&key.0, &key.1);
        let pick = |list: Vec<Tok>, n: usize| {
            list.iter()
                .rev()
                .nth(n % list.len().max(1))
                .map_or(SentToken::Absent, |t| SentToken::Issued(*t))
        };
        match choice {
            TokenChoice::Expected => expected.map_or(SentToken::Absent, SentToken::Issued),
            TokenChoice::Absent => SentToken::Absent,
            TokenChoice::LastSent => self
                .last_put
                .get(key)
                .map_or(SentToken::Absent, |(t, _)| t.clone()),
            TokenChoice::Earlier(n) => {
                let earlier = self.seen.get(key).into_iter().flatten();
                pick(
                    earlier.filter(|t| Some(**t) != expected).copied().collect(),
                    *n,
                )
            }
            TokenChoice::OtherStream(n) => {
                let others = self.seen.iter().filter(|(k, _)| *k != key);
                let list: Vec<Tok> = others.flat_map(|(_, l)| l.iter().copied()).collect();
                match pick(list, *n) {
                    SentToken::Absent => SentToken::Garbage("garbage"),
                    issued => issued,
                }
            }
            TokenChoice::Garbage(i) => SentToken::Garbage(GARBAGE[*i % GARBAGE.len()]),
        }
    }

    /// The concrete request for a generated action at the current `now`.
    fn resolve(&self, action: &Action) -> Request {
        let name = |g: usize| GROUPS[g % GROUPS.len()].to_owned();
        let key = |g: usize, s: usize| (name(g), STREAMS[s % STREAMS.len()].to_owned());
        match action {
            Action::CreateGroup(g) => Request::CreateLogGroup { group: name(*g) },
            Action::DeleteGroup(g) => Request::DeleteLogGroup { group: name(*g) },
            Action::CreateStream(g, s) => {
                let (group, stream) = key(*g, *s);
                Request::CreateLogStream { group, stream }
            }
            Action::DeleteStream(g, s) => {
                let (group, stream) = key(*g, *s);
                Request::DeleteLogStream { group, stream }
            }
            Action::SetRetention(g, r) => match RETENTION.get(*r) {
                Some(days) => Request::PutRetentionPolicy {
                    group: name(*g),
                    days: *days,
                },
                None => Request::DeleteRetentionPolicy { group: name(*g) },
            },
            Action::DescribeGroups => Request::DescribeLogGroups,
            Action::DescribeStreams(g) => Request::DescribeLogStreams { group: name(*g) },
            Action::GetEvents(g, s) => {
                let (group, stream) = key(*g, *s);
                Request::GetLogEvents { group, stream }
            }
            Action::Put {
                group,
                stream,
                token,
                repeat,
                events,
            } => {
                let k = key(*group, *stream);
                let previous = self.last_put.get(&k).filter(|_| *repeat);
                let events = match previous {
                    Some((_, events)) => events.clone(),
                    None => events
                        .iter()
                        .map(|e| InputEvent {
                            timestamp: self.now + e.offset,
                            message: e.fill.to_string().repeat(e.len),
                        })
                        .collect(),
                };
                let token = self.resolve_token(&k, token);
                Request::PutLogEvents {
                    group: k.0,
                    stream: k.1,
                    token,
                    events,
                }
            }
        }
    }

    /// Moves the clock and runs one generated step.
    pub fn step(&mut self, step: &Step) -> Result<(), String> {
        self.now += step.advance_ms;
        let request = self.resolve(&step.action);
        self.send(request).map(drop)
    }

    /// Reads everything back from both: the groups, each group's streams, each stream's events.
    pub fn sweep(&mut self) -> Result<(), String> {
        self.send(Request::DescribeLogGroups)?;
        for group in self.model.groups() {
            self.send(Request::DescribeLogStreams { group })?;
        }
        for (group, stream) in self.model.streams() {
            self.send(Request::GetLogEvents { group, stream })?;
        }
        Ok(())
    }
}
