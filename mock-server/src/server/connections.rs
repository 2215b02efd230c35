//! Keeping connections from holding the mock: what each connection is doing and since when, the
//! deadlines that follow from it (header read, idle keep-alive), and the table that picks the
//! connection to shed when every slot is taken.
//!
//! A connection that sends half a header, or nothing, or stops reading answers, costs a file
//! descriptor and a slot until something closes it (issue 20: 2,000 such connections were all
//! still open after 150 s, and 1,100 locked every other client out). Hyper's own header timer
//! starts whenever it waits for a request head, so it cannot tell a slow header from an idle
//! keep-alive connection; the phases below can, and give each its own limit:
//!
//! | phase | since | closed after |
//! |---|---|---|
//! | `Fresh`: accepted, no request yet | accept | `header_read_timeout_ms` |
//! | `Idle`: between requests (or writing an answer nobody reads) | the last answer | `idle_timeout_ms` |
//! | `Head`: bytes of the next request arrived, its head is not complete | the first byte | `header_read_timeout_ms` |
//! | `Serving`: a request is being read or answered | — | never here (the body has its own limit) |
//!
//! The body is read inside the service with `body_read_timeout_ms` (`server::read_body`).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::config::Limits;

/// Room left below the open-file limit for everything that is not a served connection: the
/// runtime, stdio, the state file, and the client sockets of a test that embeds the mock.
fn descriptor_reserve(soft_limit: u64) -> u64 {
    (soft_limit / 8).max(64)
}

/// The connection cap in force: the configured one, lowered below the process's open-file limit
/// where that is smaller, so that the mock never runs out of descriptors at `accept`.
pub(crate) fn connection_cap(configured: usize) -> usize {
    let configured = configured.max(1);
    match open_file_limit() {
        Some(soft) => {
            let room = soft.saturating_sub(descriptor_reserve(soft)).max(1);
            configured.min(usize::try_from(room).unwrap_or(usize::MAX))
        }
        None => configured,
    }
}

/// The soft limit on open files, where the platform has one.
fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The three connection limits, `None` where switched off (`0` in the configuration).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    header: Option<Duration>,
    idle: Option<Duration>,
    /// How often a connection looks at its phase again: the shortest limit, so a phase change
    /// (idle to head) is noticed before the new phase's limit has passed.
    recheck: Option<Duration>,
}

impl Timeouts {
    pub(crate) fn from_limits(limits: &Limits) -> Self {
        let ms = |v: u64| (v > 0).then(|| Duration::from_millis(v));
        let header = ms(limits.header_read_timeout_ms);
        let idle = ms(limits.idle_timeout_ms);
        let recheck = [header, idle].into_iter().flatten().min();
        Self {
            header,
            idle,
            recheck,
        }
    }
}

/// Why a connection was closed by the mock rather than by its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// No complete request head within `header_read_timeout_ms`.
    Header,
    /// No new request within `idle_timeout_ms` of the last answer.
    Idle,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Fresh(Instant),
    Idle(Instant),
    Head(Instant),
    Serving(u32),
}

/// What one connection is doing, shared by its reads, its service calls and its watchdog.
#[derive(Debug)]
pub(crate) struct Activity {
    id: u64,
    phase: Mutex<Phase>,
    /// Set when the table asked this connection to make room and it has not answered yet; such a
    /// connection is not asked twice.
    shedding: AtomicBool,
    evicted: Notify,
}

fn lock(phase: &Mutex<Phase>) -> MutexGuard<'_, Phase> {
    phase
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Activity {
    /// Bytes arrived: between requests, they start the next request's head.
    fn note_read(&self) {
        let mut phase = lock(&self.phase);
        if let Phase::Idle(_) = *phase {
            *phase = Phase::Head(Instant::now());
        }
    }

    /// A request head is complete and the service runs; the guard marks the end.
    pub(crate) fn serving(self: &Arc<Self>) -> Serving {
        let mut phase = lock(&self.phase);
        *phase = match *phase {
            Phase::Serving(n) => Phase::Serving(n.saturating_add(1)),
            _ => Phase::Serving(1),
        };
        Serving(Arc::clone(self))
    }

    /// When the current phase runs out, or when to look again.
    pub(crate) fn next_check(&self, timeouts: &Timeouts, now: Instant) -> Option<Instant> {
        let recheck = timeouts.recheck.map(|d| now + d);
        let limit = match *lock(&self.phase) {
            Phase::Fresh(since) | Phase::Head(since) => timeouts.header.map(|d| since + d),
            Phase::Idle(since) => timeouts.idle.map(|d| since + d),
            Phase::Serving(_) => None,
        };
        match (limit, recheck) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether the current phase has run out at `now`, and which limit it was.
    pub(crate) fn expired(&self, timeouts: &Timeouts, now: Instant) -> Option<Expiry> {
        let (since, limit, kind) = match *lock(&self.phase) {
            Phase::Fresh(since) | Phase::Head(since) => (since, timeouts.header?, Expiry::Header),
            Phase::Idle(since) => (since, timeouts.idle?, Expiry::Idle),
            Phase::Serving(_) => return None,
        };
        (now.saturating_duration_since(since) >= limit).then_some(kind)
    }

    /// Completes when the table chose this connection to make room.
    pub(crate) async fn evicted(&self) {
        self.evicted.notified().await;
    }

    /// Whether the connection closes to make room, decided under its phase lock after it was
    /// asked: a request that started meanwhile is served, never cut, and the room is found
    /// elsewhere. Runs on the connection's own task, so no request can start after a `true`.
    pub(crate) fn confirm_shed(&self) -> bool {
        let waiting = !matches!(*lock(&self.phase), Phase::Serving(_));
        self.shedding.store(false, Ordering::Relaxed);
        waiting
    }

    /// Since when the connection has been waiting without a request in service, if it is.
    fn waiting_since(&self) -> Option<Instant> {
        match *lock(&self.phase) {
            Phase::Fresh(since) | Phase::Idle(since) | Phase::Head(since) => Some(since),
            Phase::Serving(_) => None,
        }
    }
}

/// Held while the service runs a request of the connection; dropping it starts the idle phase.
#[derive(Debug)]
pub(crate) struct Serving(Arc<Activity>);

impl Drop for Serving {
    fn drop(&mut self) {
        let mut phase = lock(&self.0.phase);
        *phase = match *phase {
            Phase::Serving(n) if n > 1 => Phase::Serving(n - 1),
            _ => Phase::Idle(Instant::now()),
        };
    }
}

/// Every open connection's [`Activity`], to choose one to shed when the slots run out.
#[derive(Debug, Default)]
pub(crate) struct Connections {
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Activity>>>,
}

impl Connections {
    /// Registers a connection accepted now; it is forgotten when the returned entry drops.
    pub(crate) fn open(self: &Arc<Self>) -> Entry {
        let activity = Arc::new(Activity {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            phase: Mutex::new(Phase::Fresh(Instant::now())),
            shedding: AtomicBool::new(false),
            evicted: Notify::new(),
        });
        self.table().insert(activity.id, Arc::clone(&activity));
        Entry {
            table: Arc::clone(self),
            activity,
        }
    }

    /// Asks the connection that has waited longest without a request in service (and was not
    /// asked already) to close; it confirms on its own task ([`Activity::confirm_shed`]). Returns
    /// false when there is none to ask.
    pub(crate) fn shed_one(&self) -> bool {
        let oldest = self
            .table()
            .values()
            .filter(|a| !a.shedding.load(Ordering::Relaxed))
            .filter_map(|a| a.waiting_since().map(|since| (since, Arc::clone(a))))
            .min_by_key(|(since, a)| (*since, a.id));
        match oldest {
            Some((_, activity)) => {
                activity.shedding.store(true, Ordering::Relaxed);
                activity.evicted.notify_one();
                true
            }
            None => false,
        }
    }

    fn table(&self) -> MutexGuard<'_, HashMap<u64, Arc<Activity>>> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One registered connection; unregisters on drop.
#[derive(Debug)]
pub(crate) struct Entry {
    table: Arc<Connections>,
    activity: Arc<Activity>,
}

impl Entry {
    /// The connection's activity.
    pub(crate) fn activity(&self) -> &Arc<Activity> {
        &self.activity
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.table.table().remove(&self.activity.id);
    }
}

/// A socket that tells its [`Activity`] when bytes arrive.
#[derive(Debug)]
pub(crate) struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Tracked<S> {
    pub(crate) fn new(inner: S, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.note_read();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeouts(header_ms: u64, idle_ms: u64) -> Timeouts {
        Timeouts::from_limits(&Limits {
            header_read_timeout_ms: header_ms,
            idle_timeout_ms: idle_ms,
            ..Limits::default()
        })
    }

    #[tokio::test]
    async fn each_phase_runs_out_by_its_own_limit() {
        let table = Arc::new(Connections::default());
        let entry = table.open();
        let a = entry.activity();
        let t = timeouts(100, 1_000);
        let start = Instant::now();
        assert_eq!(a.expired(&t, start + Duration::from_millis(99)), None);
        assert_eq!(
            a.expired(&t, start + Duration::from_millis(150)),
            Some(Expiry::Header)
        );
        let serving = a.serving();
        assert_eq!(a.expired(&t, start + Duration::from_secs(100)), None);
        drop(serving);
        let idle_from = Instant::now();
        assert_eq!(a.expired(&t, idle_from + Duration::from_millis(500)), None);
        assert_eq!(
            a.expired(&t, idle_from + Duration::from_millis(1_000)),
            Some(Expiry::Idle)
        );
        a.note_read();
        let head_from = Instant::now();
        assert_eq!(
            a.expired(&t, head_from + Duration::from_millis(100)),
            Some(Expiry::Header)
        );
    }

    #[tokio::test]
    async fn checks_come_no_later_than_the_shortest_limit() {
        let table = Arc::new(Connections::default());
        let entry = table.open();
        let a = entry.activity();
        let t = timeouts(100, 1_000);
        let _serving = a.serving();
        let now = Instant::now();
        assert_eq!(
            a.next_check(&t, now),
            Some(now + Duration::from_millis(100))
        );
        assert_eq!(a.next_check(&timeouts(0, 0), now), None);
    }

    #[tokio::test]
    async fn the_longest_waiting_connection_is_shed_and_serving_ones_never() {
        let table = Arc::new(Connections::default());
        let first = table.open();
        let second = table.open();
        let busy = first.activity().serving();
        assert!(table.shed_one());
        // The second was chosen (the first is serving); its eviction is waiting to be seen.
        tokio::time::timeout(Duration::from_secs(1), second.activity().evicted())
            .await
            .expect("the waiting connection was asked to close");
        assert!(
            !table.shed_one(),
            "the asked one is not asked twice, the other serves"
        );
        // A connection whose request started after it was asked declines, and may be asked again.
        let _late = second.activity().serving();
        assert!(!second.activity().confirm_shed());
        drop(busy);
        assert!(table.shed_one(), "the first waits now");
        assert!(first.activity().confirm_shed());
        drop(second);
        assert_eq!(table.table().len(), 1);
    }

    #[test]
    fn the_cap_stays_below_the_open_file_limit() {
        assert!(connection_cap(usize::MAX) < usize::MAX || open_file_limit().is_none());
        assert_eq!(descriptor_reserve(1_024), 128);
        assert_eq!(descriptor_reserve(256), 64);
        assert_eq!(connection_cap(1), 1);
    }
}
