//! Who may drive the admin API: the checks every admin request passes before it is routed.
//!
//! The admin API can wipe the store, read every stored event and start writers, on a port that is
//! well known; any web page a developer has open could reach it (issue 20: a cross-origin
//! `text/plain` POST to `/_mock/reset` answered 200, and with DNS rebinding a page could read
//! `/_mock/events`). Three checks close the ways a browser gets in, and leave every non-browser
//! client (the SDKs, curl, test fixtures) as it was:
//!
//! 1. **Host.** DNS rebinding points an attacker's name at 127.0.0.1, so the request carries the
//!    attacker's name in `Host`. Accepted: IP addresses, `localhost` and `*.localhost` (RFC 6761
//!    reserves them for loopback), names without a dot (a Compose or Kubernetes service name),
//!    names under `.internal` (reserved for private use by ICANN in 2024: `host.docker.internal`)
//!    and `.local` (multicast DNS, RFC 6762; Kubernetes' `*.svc.cluster.local`), none of which
//!    public DNS serves, and the names of `admin.allowed_hosts`. A request without
//!    `Host` (HTTP/1.0) cannot come from a browser and is accepted.
//! 2. **Origin.** A cross-origin request from a page carries the page's `Origin` (browsers add it
//!    to every POST, PUT and DELETE). Accepted: no `Origin` at all, or an http(s) origin on a
//!    loopback address, `localhost`, the address the mock listens on, or an allowed host. `null`
//!    (sandboxed frames, `file:` pages) is refused.
//! 3. **JSON bodies.** A request with a body must say `Content-Type: application/json`; a browser
//!    can only send that cross-origin after a CORS preflight, which the mock never grants. An
//!    empty body needs no type, so `curl -X POST .../_mock/reset` keeps working.

use std::net::IpAddr;

/// What the guard looks at in one request.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Headers<'a> {
    /// The `Host` header.
    pub host: Option<&'a str>,
    /// The `Origin` header.
    pub origin: Option<&'a str>,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
}

/// Why a request was refused: the HTTP status and a message that says how to get through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub message: String,
}

/// The guard of one server: the address it listens on and the extra names it accepts.
#[derive(Debug, Clone)]
pub(crate) struct Guard<'a> {
    /// The configured bind address.
    pub bind: IpAddr,
    /// `admin.allowed_hosts`.
    pub allowed_hosts: &'a [String],
}

impl Guard<'_> {
    /// Checks one admin request; `has_body` is whether its body is not empty.
    pub(crate) fn check(&self, headers: &Headers<'_>, has_body: bool) -> Result<(), Refusal> {
        if let Some(host) = headers.host {
            let name = host_name(host);
            if !(name.is_some_and(|n| self.host_ok(&n))) {
                return Err(refuse(
                    403,
                    format!(
                        "the admin API does not answer under Host {host:?}: it accepts IP \
                         addresses, localhost, names without a dot or under .internal or .local, \
                         and the names of admin.allowed_hosts (--allowed-host), so that a web \
                         page cannot reach it through DNS rebinding"
                    ),
                ));
            }
        }
        if let Some(origin) = headers.origin {
            if !self.origin_ok(origin) {
                return Err(refuse(
                    403,
                    format!(
                        "the admin API refuses requests from web pages of origin {origin:?}; it \
                         accepts pages on loopback, localhost, the address it listens on, and \
                         admin.allowed_hosts (--allowed-host)"
                    ),
                ));
            }
        }
        if has_body && !headers.content_type.is_some_and(is_json) {
            return Err(refuse(
                415,
                format!(
                    "admin request bodies must be sent as Content-Type: application/json, got {}",
                    headers
                        .content_type
                        .map_or_else(|| "none".to_owned(), |t| format!("{t:?}"))
                ),
            ));
        }
        Ok(())
    }

    fn listed(&self, name: &str) -> bool {
        self.allowed_hosts
            .iter()
            .any(|h| h.trim_end_matches('.').eq_ignore_ascii_case(name))
    }

    fn host_ok(&self, name: &str) -> bool {
        name.parse::<IpAddr>().is_ok()
            || is_localhost(name)
            || !name.contains('.')
            || is_private_name(name)
            || self.listed(name)
    }

    fn origin_ok(&self, origin: &str) -> bool {
        let Some(rest) = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
        else {
            return false;
        };
        let Some(name) = host_name(rest) else {
            return false;
        };
        match name.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback() || (!self.bind.is_unspecified() && ip == self.bind),
            Err(_) => is_localhost(&name) || self.listed(&name),
        }
    }
}

fn refuse(status: u16, message: String) -> Refusal {
    Refusal { status, message }
}

/// Names under `.internal` or `.local`, which no public DNS serves, so no attacker can point them
/// at the mock.
fn is_private_name(name: &str) -> bool {
    name.ends_with(".internal") || name.ends_with(".local")
}

/// `localhost` and the names under it, which RFC 6761 §6.3 reserves for loopback.
fn is_localhost(name: &str) -> bool {
    name == "localhost" || name.ends_with(".localhost")
}

/// The host of a `Host` value (or of an origin without its scheme): lower case, without port,
/// brackets or a trailing dot. `None` when it is empty or malformed.
fn host_name(authority: &str) -> Option<String> {
    let authority = authority.trim();
    let bracketed = authority.starts_with('[');
    let name = if let Some(v6) = authority.strip_prefix('[') {
        let (inside, after) = v6.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        inside
    } else {
        match authority.rsplit_once(':') {
            Some((name, port)) if is_port(port) => name,
            Some(_) => return None,
            None => authority,
        }
    };
    let name = name.trim_end_matches('.');
    let well_formed = !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') || (bracketed && b == b':')
        });
    well_formed.then(|| name.to_ascii_lowercase())
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a `Content-Type` names JSON (`application/json`, with or without parameters).
fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn guard(allowed: &[String]) -> Guard<'_> {
        Guard {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            allowed_hosts: allowed,
        }
    }

    fn host(value: &str) -> Headers<'_> {
        Headers {
            host: Some(value),
            ..Headers::default()
        }
    }

    fn origin(value: &str) -> Headers<'_> {
        Headers {
            host: Some("127.0.0.1:4588"),
            origin: Some(value),
            ..Headers::default()
        }
    }

    #[test]
    fn hosts_that_only_mean_this_machine_or_its_network_pass() {
        let g = guard(&[]);
        for ok in [
            "127.0.0.1:4588",
            "127.0.0.1",
            "[::1]:4588",
            "localhost:4588",
            "LocalHost",
            "app.localhost:4588",
            "cwlogs-mock:4588",
            "10.0.0.7:4588",
            "localhost.",
            "host.docker.internal:4588",
            "cwlogs-mock.ci.svc.cluster.local:4588",
        ] {
            assert_eq!(g.check(&host(ok), false), Ok(()), "{ok}");
        }
        assert_eq!(g.check(&Headers::default(), false), Ok(()));
    }

    #[test]
    fn a_rebound_or_malformed_host_is_refused_unless_listed() {
        let g = guard(&[]);
        for bad in [
            "evil.example",
            "evil.example:4588",
            "localhost.evil.example",
            "",
            "a b",
            "x:y",
            "[::1]x",
            "::1",
        ] {
            let refusal = g.check(&host(bad), false).unwrap_err();
            assert_eq!(refusal.status, 403, "{bad}");
        }
        let allowed = vec!["Mock.CI.Example.com".to_owned()];
        let g = guard(&allowed);
        assert_eq!(g.check(&host("mock.ci.example.com:4588"), false), Ok(()));
        let err = g.check(&host("evil.example"), false).unwrap_err();
        assert!(err.message.contains("--allowed-host"), "{}", err.message);
    }

    #[test]
    fn only_local_origins_pass() {
        let allowed = vec!["mock.ci.example.com".to_owned()];
        let g = guard(&allowed);
        for ok in [
            "http://localhost:3000",
            "http://127.0.0.1:4588",
            "https://[::1]",
            "http://mock.ci.example.com:8080",
        ] {
            assert_eq!(g.check(&origin(ok), false), Ok(()), "{ok}");
        }
        for bad in [
            "http://evil.example",
            "null",
            "http://10.0.0.7",
            "file://",
            "ftp://localhost",
            "http://dashboard:8080",
        ] {
            assert_eq!(
                g.check(&origin(bad), false).unwrap_err().status,
                403,
                "{bad}"
            );
        }
        // The address the mock listens on is its own origin.
        let g = Guard {
            bind: "10.0.0.7".parse().unwrap(),
            allowed_hosts: &[],
        };
        assert_eq!(g.check(&origin("http://10.0.0.7:4588"), false), Ok(()));
    }

    #[test]
    fn a_body_must_be_json_and_an_empty_one_needs_no_type() {
        let g = guard(&[]);
        let typed = |t: &'static str| Headers {
            content_type: Some(t),
            ..Headers::default()
        };
        assert_eq!(g.check(&typed("application/json"), true), Ok(()));
        assert_eq!(
            g.check(&typed("Application/JSON; charset=utf-8"), true),
            Ok(())
        );
        assert_eq!(g.check(&typed("text/plain"), true).unwrap_err().status, 415);
        assert_eq!(g.check(&Headers::default(), true).unwrap_err().status, 415);
        assert_eq!(g.check(&Headers::default(), false), Ok(()));
    }
}
