//! The token renaming between the model and the mock, and the comparison of two answers under it.
//!
//! The model's token `T<s>.<k>` (the k-th token of stream incarnation s) must correspond to exactly
//! one mock string and the other way round. The renaming is built as answers arrive: the first time
//! a model token meets a mock string they are bound; every later meeting must agree with that.
//! Since model tokens of different incarnations differ, this also checks that the mock never hands
//! one stream's token out for another, nor reuses a token within a stream.

use std::collections::HashMap;

use super::answer::{Answer, Failure, Message, Tok};

/// A one-to-one map between model tokens and mock token strings.
#[derive(Debug, Default)]
pub struct Renaming {
    to_mock: HashMap<Tok, String>,
    to_model: HashMap<String, Tok>,
}

impl Renaming {
    /// The mock string bound to `tok`, if the two have met.
    pub fn mock_of(&self, tok: Tok) -> Option<&str> {
        self.to_mock.get(&tok).map(String::as_str)
    }

    /// Binds `tok` to `mock`, or says how that would break the one-to-one map.
    pub fn bind(&mut self, tok: Tok, mock: &str) -> Result<(), String> {
        match (self.to_mock.get(&tok), self.to_model.get(mock)) {
            (Some(m), _) if m != mock => Err(format!(
                "model token {tok} was the mock's {m} before, now {mock}"
            )),
            (_, Some(t)) if *t != tok => Err(format!(
                "the mock's {mock} was model token {t} before, now {tok}"
            )),
            _ => {
                self.to_mock.insert(tok, mock.to_owned());
                self.to_model.insert(mock.to_owned(), tok);
                Ok(())
            }
        }
    }

    fn bind_opt(
        &mut self,
        model: Option<Tok>,
        mock: Option<&String>,
        what: &str,
    ) -> Result<(), String> {
        match (model, mock) {
            (None, None) => Ok(()),
            (Some(t), Some(m)) => self.bind(t, m),
            (Some(t), None) => Err(format!("{what}: model has {t}, mock has none")),
            (None, Some(m)) => Err(format!("{what}: model has none, mock has {m}")),
        }
    }

    /// The text `message` must be, with tokens renamed; `None` when it is not checked.
    fn render(&self, message: &Message<Tok>) -> Result<Option<String>, String> {
        let name = |t: Tok| {
            self.mock_of(t)
                .map(str::to_owned)
                .ok_or_else(|| format!("model token {t} in a message was never seen by the mock"))
        };
        Ok(match message {
            Message::Unchecked => None,
            Message::Exact(text) => Some(text.clone()),
            Message::InvalidToken(expected) => {
                let shown = match expected {
                    Some(t) => name(*t)?,
                    None => "null".to_owned(),
                };
                Some(format!(
                    "The given sequenceToken is invalid. The next expected sequenceToken is: {shown}"
                ))
            }
            Message::AlreadyAccepted(next) => Some(format!(
                "The given batch of log events has already been accepted. The next batch can be \
                 sent with sequenceToken: {}",
                name(*next)?
            )),
        })
    }

    fn failures(&mut self, model: &Failure<Tok>, mock: &Failure<String>) -> Result<(), String> {
        if model.kind != mock.kind {
            return Err(format!(
                "model says {}, mock says {}",
                model.kind, mock.kind
            ));
        }
        self.bind_opt(
            model.expected,
            mock.expected.as_ref(),
            "expectedSequenceToken",
        )?;
        let Message::Exact(got) = &mock.message else {
            return Err("the mock's message was not read as text".into());
        };
        match self.render(&model.message)? {
            Some(want) if want != *got => Err(format!(
                "message differs: model wants {want:?}, mock says {got:?}"
            )),
            _ => Ok(()),
        }
    }

    /// Checks that the two answers agree, binding the tokens they carry.
    pub fn conform(&mut self, model: &Answer<Tok>, mock: &Answer<String>) -> Result<(), String> {
        match (model, mock) {
            (Answer::Done, Answer::Done) => Ok(()),
            (
                Answer::Put { next, rejected },
                Answer::Put {
                    next: mock_next,
                    rejected: mock_rejected,
                },
            ) => {
                if rejected != mock_rejected {
                    return Err(format!(
                        "rejectedLogEventsInfo: model {rejected:?}, mock {mock_rejected:?}"
                    ));
                }
                self.bind_opt(*next, mock_next.as_ref(), "nextSequenceToken")
            }
            (Answer::Groups(a), Answer::Groups(b)) => match a == b {
                true => Ok(()),
                false => Err(format!("groups differ: model {a:?}, mock {b:?}")),
            },
            (Answer::Events(a), Answer::Events(b)) => match a == b {
                true => Ok(()),
                false => Err(format!("stored events differ: model {a:?}, mock {b:?}")),
            },
            (Answer::Streams(a), Answer::Streams(b)) => {
                if a.len() != b.len() {
                    return Err(format!("model lists {} streams, mock {}", a.len(), b.len()));
                }
                for (s, m) in a.iter().zip(b) {
                    // The token is compared by the renaming below.
                    let same = s.name == m.name
                        && s.creation_time == m.creation_time
                        && s.first_event == m.first_event
                        && s.last_event == m.last_event
                        && s.last_ingestion == m.last_ingestion
                        && s.stored_bytes == m.stored_bytes;
                    if !same {
                        return Err(format!("stream differs: model {s:?}, mock {m:?}"));
                    }
                    self.bind_opt(
                        s.upload_token,
                        m.upload_token.as_ref(),
                        "uploadSequenceToken",
                    )?;
                }
                Ok(())
            }
            (Answer::Error(a), Answer::Error(b)) => self.failures(a, b),
            _ => Err("the answers differ in kind".into()),
        }
    }
}
