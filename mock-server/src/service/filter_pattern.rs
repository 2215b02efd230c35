//! FilterLogEvents' filter patterns.
//!
//! Supported:
//! - term patterns: plain terms (all must occur), `"quoted phrases"`, `-term` exclusions and
//!   `?term` alternatives (at least one must occur); matching is case-sensitive, as in CloudWatch;
//! - JSON patterns: `{ $.a.b = "x" }` with `=`, `!=`, `<`, `>`, `<=`, `>=`, `*` wildcards in string
//!   values, `&&`, `||`, parentheses, and `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`.
//!
//! Space-delimited patterns (`[ip, user, ...]`) are refused with InvalidParameterException.

use serde_json::Value;

/// A parsed filter pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FilterPattern {
    /// The empty pattern: every event matches.
    All,
    /// A term pattern.
    Terms {
        /// Terms that must all occur.
        required: Vec<String>,
        /// Terms of which at least one must occur (when there are any).
        optional: Vec<String>,
        /// Terms that must not occur.
        excluded: Vec<String>,
    },
    /// A JSON pattern.
    Json(JsonExpr),
}

/// A JSON pattern expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonExpr {
    /// Both sides match.
    And(Box<JsonExpr>, Box<JsonExpr>),
    /// Either side matches.
    Or(Box<JsonExpr>, Box<JsonExpr>),
    /// A comparison of the value at a selector.
    Compare {
        /// The path after `$`.
        path: Vec<PathStep>,
        /// The operator.
        op: CompareOp,
        /// The right-hand side.
        value: Literal,
    },
    /// `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`.
    Test {
        /// The path after `$`.
        path: Vec<PathStep>,
        /// What is tested.
        test: ValueTest,
    },
}

/// One step of a selector path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PathStep {
    /// `.name`
    Key(String),
    /// `[n]`
    Index(usize),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    /// A number.
    Number(f64),
    /// A string, possibly with `*` wildcards.
    Text(String),
}

/// A test without a literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueTest {
    /// `IS NULL`
    IsNull,
    /// `IS TRUE`
    IsTrue,
    /// `IS FALSE`
    IsFalse,
    /// `NOT EXISTS`
    NotExists,
}

impl FilterPattern {
    /// Parses a pattern; the error is a short reason suitable for an InvalidParameterException.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(Self::All);
        }
        if trimmed.starts_with('{') {
            return parse_json_pattern(trimmed).map(Self::Json);
        }
        if trimmed.starts_with('[') {
            return Err("Space-delimited filter patterns are not supported by cwlogs-mock".into());
        }
        parse_terms(trimmed)
    }

    /// Whether `message` matches.
    pub(crate) fn matches(&self, message: &str) -> bool {
        match self {
            Self::All => true,
            Self::Terms {
                required,
                optional,
                excluded,
            } => {
                required.iter().all(|t| message.contains(t.as_str()))
                    && !excluded.iter().any(|t| message.contains(t.as_str()))
                    && (optional.is_empty()
                        || optional.iter().any(|t| message.contains(t.as_str())))
            }
            Self::Json(expr) => match serde_json::from_str::<Value>(message) {
                Ok(doc) => expr.eval(&doc),
                Err(_) => false,
            },
        }
    }
}

fn parse_terms(text: &str) -> Result<FilterPattern, String> {
    let mut required = Vec::new();
    let mut optional = Vec::new();
    let mut excluded = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let kind = match first {
            '-' => {
                chars.next();
                1
            }
            '?' => {
                chars.next();
                2
            }
            _ => 0,
        };
        let mut term = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            term.push(n);
                        }
                    }
                    '"' => {
                        closed = true;
                        break;
                    }
                    c => term.push(c),
                }
            }
            if !closed {
                return Err(format!(
                    "Unterminated quoted term in filter pattern: {text}"
                ));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                term.push(c);
                chars.next();
            }
        }
        if term.is_empty() {
            return Err(format!("Invalid filter pattern: {text}"));
        }
        match kind {
            1 => excluded.push(term),
            2 => optional.push(term),
            _ => required.push(term),
        }
    }
    Ok(FilterPattern::Terms {
        required,
        optional,
        excluded,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LBrace,
    RBrace,
    LParen,
    RParen,
    And,
    Or,
    Op(CompareOp),
    Selector(Vec<PathStep>),
    Str(String),
    Word(String),
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let bad = || format!("Invalid JSON filter pattern: {text}");
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            c if c.is_whitespace() => i += 1,
            '{' => (out.push(Tok::LBrace), i += 1).1,
            '}' => (out.push(Tok::RBrace), i += 1).1,
            '(' => (out.push(Tok::LParen), i += 1).1,
            ')' => (out.push(Tok::RParen), i += 1).1,
            '&' if next == Some('&') => (out.push(Tok::And), i += 2).1,
            '|' if next == Some('|') => (out.push(Tok::Or), i += 2).1,
            '=' => (out.push(Tok::Op(CompareOp::Eq)), i += 1).1,
            '!' if next == Some('=') => (out.push(Tok::Op(CompareOp::Ne)), i += 2).1,
            '<' if next == Some('=') => (out.push(Tok::Op(CompareOp::Le)), i += 2).1,
            '>' if next == Some('=') => (out.push(Tok::Op(CompareOp::Ge)), i += 2).1,
            '<' => (out.push(Tok::Op(CompareOp::Lt)), i += 1).1,
            '>' => (out.push(Tok::Op(CompareOp::Gt)), i += 1).1,
            '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(bad()),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') => {
                            if let Some(&n) = chars.get(i + 1) {
                                s.push(n);
                            }
                            i += 2;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(s));
            }
            '$' => {
                i += 1;
                let mut path = Vec::new();
                loop {
                    match chars.get(i) {
                        Some('.') => {
                            i += 1;
                            let startk = i;
                            while chars.get(i).is_some_and(|c| {
                                c.is_alphanumeric() || matches!(c, '_' | '-' | '@' | '*')
                            }) {
                                i += 1;
                            }
                            if startk == i {
                                return Err(bad());
                            }
                            path.push(PathStep::Key(chars[startk..i].iter().collect()));
                        }
                        Some('[') => {
                            i += 1;
                            let startn = i;
                            while chars.get(i).is_some_and(char::is_ascii_digit) {
                                i += 1;
                            }
                            let n: String = chars[startn..i].iter().collect();
                            if chars.get(i) != Some(&']') {
                                return Err(bad());
                            }
                            i += 1;
                            path.push(PathStep::Index(n.parse().map_err(|_| bad())?));
                        }
                        _ => break,
                    }
                }
                if path.is_empty() {
                    return Err(bad());
                }
                out.push(Tok::Selector(path));
            }
            _ => {
                let startw = i;
                while chars.get(i).is_some_and(|c| {
                    !c.is_whitespace()
                        && !matches!(
                            c,
                            '{' | '}' | '(' | ')' | '=' | '!' | '<' | '>' | '&' | '|' | '"'
                        )
                }) {
                    i += 1;
                }
                if startw == i {
                    return Err(bad());
                }
                out.push(Tok::Word(chars[startw..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    text: String,
}

impl Parser {
    fn bad(&self) -> String {
        format!("Invalid JSON filter pattern: {}", self.text)
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or_expr(&mut self, depth: usize) -> Result<JsonExpr, String> {
        let mut left = self.and_expr(depth)?;
        while self.peek() == Some(&Tok::Or) {
            self.next();
            let right = self.and_expr(depth)?;
            left = JsonExpr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self, depth: usize) -> Result<JsonExpr, String> {
        let mut left = self.primary(depth)?;
        while self.peek() == Some(&Tok::And) {
            self.next();
            let right = self.primary(depth)?;
            left = JsonExpr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn primary(&mut self, depth: usize) -> Result<JsonExpr, String> {
        // Nesting is bounded so that a hostile pattern cannot exhaust the stack.
        if depth > 32 {
            return Err(self.bad());
        }
        match self.next() {
            Some(Tok::LParen) => {
                let e = self.or_expr(depth + 1)?;
                match self.next() {
                    Some(Tok::RParen) => Ok(e),
                    _ => Err(self.bad()),
                }
            }
            Some(Tok::Selector(path)) => match self.next() {
                Some(Tok::Op(op)) => {
                    let value = match self.next() {
                        Some(Tok::Str(s)) => Literal::Text(s),
                        Some(Tok::Word(w)) => match w.parse::<f64>() {
                            Ok(n) if n.is_finite() => Literal::Number(n),
                            _ => Literal::Text(w),
                        },
                        _ => return Err(self.bad()),
                    };
                    Ok(JsonExpr::Compare { path, op, value })
                }
                Some(Tok::Word(w)) if w.eq_ignore_ascii_case("IS") => {
                    let test = match self.next() {
                        Some(Tok::Word(x)) if x.eq_ignore_ascii_case("NULL") => ValueTest::IsNull,
                        Some(Tok::Word(x)) if x.eq_ignore_ascii_case("TRUE") => ValueTest::IsTrue,
                        Some(Tok::Word(x)) if x.eq_ignore_ascii_case("FALSE") => ValueTest::IsFalse,
                        _ => return Err(self.bad()),
                    };
                    Ok(JsonExpr::Test { path, test })
                }
                Some(Tok::Word(w)) if w.eq_ignore_ascii_case("NOT") => match self.next() {
                    Some(Tok::Word(x)) if x.eq_ignore_ascii_case("EXISTS") => Ok(JsonExpr::Test {
                        path,
                        test: ValueTest::NotExists,
                    }),
                    _ => Err(self.bad()),
                },
                _ => Err(self.bad()),
            },
            _ => Err(self.bad()),
        }
    }
}

fn parse_json_pattern(text: &str) -> Result<JsonExpr, String> {
    let toks = tokenize(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        text: text.to_owned(),
    };
    if p.next() != Some(Tok::LBrace) {
        return Err(p.bad());
    }
    let expr = p.or_expr(0)?;
    if p.next() != Some(Tok::RBrace) || p.peek().is_some() {
        return Err(p.bad());
    }
    Ok(expr)
}

fn resolve<'a>(doc: &'a Value, path: &[PathStep]) -> Option<&'a Value> {
    path.iter().try_fold(doc, |v, step| match step {
        PathStep::Key(k) => v.get(k.as_str()),
        PathStep::Index(i) => v.get(*i),
    })
}

fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

impl JsonExpr {
    /// Whether the JSON document `doc` matches.
    pub(crate) fn eval(&self, doc: &Value) -> bool {
        match self {
            Self::And(a, b) => a.eval(doc) && b.eval(doc),
            Self::Or(a, b) => a.eval(doc) || b.eval(doc),
            Self::Test { path, test } => {
                let v = resolve(doc, path);
                match test {
                    ValueTest::IsNull => v.is_some_and(Value::is_null),
                    ValueTest::IsTrue => v == Some(&Value::Bool(true)),
                    ValueTest::IsFalse => v == Some(&Value::Bool(false)),
                    ValueTest::NotExists => v.is_none(),
                }
            }
            Self::Compare { path, op, value } => {
                let Some(v) = resolve(doc, path) else {
                    return false;
                };
                match value {
                    Literal::Number(n) => {
                        let Some(x) = v.as_f64() else { return false };
                        match op {
                            CompareOp::Eq => x == *n,
                            CompareOp::Ne => x != *n,
                            CompareOp::Lt => x < *n,
                            CompareOp::Le => x <= *n,
                            CompareOp::Gt => x > *n,
                            CompareOp::Ge => x >= *n,
                        }
                    }
                    Literal::Text(t) => {
                        let shown = match v {
                            Value::String(s) => s.clone(),
                            Value::Bool(_) | Value::Number(_) => v.to_string(),
                            _ => return false,
                        };
                        match op {
                            CompareOp::Eq => glob(t, &shown),
                            CompareOp::Ne => !glob(t, &shown),
                            _ => false,
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, msg: &str) -> bool {
        FilterPattern::parse(p).unwrap().matches(msg)
    }

    #[test]
    fn terms_phrases_exclusions_alternatives() {
        assert!(m("", "anything"));
        assert!(m("ERROR db", "ERROR in db layer"));
        assert!(!m("ERROR db", "ERROR in cache"));
        assert!(!m("error", "ERROR"));
        assert!(m("\"in db\"", "ERROR in db layer"));
        assert!(!m("\"in db\"", "in the db"));
        assert!(m("ERROR -timeout", "ERROR disk"));
        assert!(!m("ERROR -timeout", "ERROR timeout"));
        assert!(m("?WARN ?ERROR", "WARN x"));
        assert!(m("?WARN ?ERROR", "ERROR x"));
        assert!(!m("?WARN ?ERROR", "INFO x"));
    }

    #[test]
    fn json_selectors() {
        let doc = r#"{"level":"error","latency":120,"user":{"id":7},"tags":["a","b"],"ok":true,"n":null}"#;
        assert!(m(r#"{ $.level = "error" }"#, doc));
        assert!(!m(r#"{ $.level = "info" }"#, doc));
        assert!(m(r#"{ $.level != "info" }"#, doc));
        assert!(m("{ $.latency > 100 }", doc));
        assert!(!m("{ $.latency < 100 }", doc));
        assert!(m("{ $.user.id = 7 && $.tags[1] = \"b\" }", doc));
        assert!(m("{ ($.latency < 10) || $.level = err* }", doc));
        assert!(m("{ $.ok IS TRUE }", doc));
        assert!(m("{ $.n IS NULL }", doc));
        assert!(m("{ $.missing NOT EXISTS }", doc));
        assert!(!m(r#"{ $.level = "error" }"#, "not json"));
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert!(FilterPattern::parse("{ $.level = }").is_err());
        assert!(FilterPattern::parse("{ $.level = \"x\"").is_err());
        assert!(FilterPattern::parse("\"open").is_err());
        assert!(FilterPattern::parse("[a, b]").is_err());
        let deep = format!("{{ {}$.a = 1{} }}", "(".repeat(100), ")".repeat(100));
        assert!(FilterPattern::parse(&deep).is_err());
    }
}
