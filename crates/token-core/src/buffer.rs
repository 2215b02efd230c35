//! Events accepted and not yet cut into a batch, in push order, with running totals so that caps
//! and size triggers are O(1).

use crate::event::EventId;
use crate::limits::EVENT_OVERHEAD_BYTES;
use crate::time::UnixMillis;
use std::collections::VecDeque;

/// One accepted event waiting to be batched.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) id: EventId,
    pub(crate) timestamp: UnixMillis,
    /// When it was pushed: linger counts from here, not from the event's own timestamp.
    pub(crate) arrival: UnixMillis,
    pub(crate) message: String,
}

impl Pending {
    #[inline]
    pub(crate) fn size(&self) -> usize {
        self.message.len() + EVENT_OVERHEAD_BYTES
    }
}

#[derive(Debug, Default)]
pub(crate) struct Buffer {
    queue: VecDeque<Pending>,
    bytes: usize,
}

impl Buffer {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Bytes held, counted like AWS (message + 26 per event).
    #[inline]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    #[inline]
    pub(crate) fn front(&self) -> Option<&Pending> {
        self.queue.front()
    }

    #[inline]
    pub(crate) fn push_back(&mut self, p: Pending) {
        self.bytes += p.size();
        self.queue.push_back(p);
    }

    pub(crate) fn push_front(&mut self, p: Pending) {
        self.bytes += p.size();
        self.queue.push_front(p);
    }

    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<Pending> {
        let p = self.queue.pop_front()?;
        self.bytes -= p.size();
        Some(p)
    }

    pub(crate) fn drain_all(&mut self) -> impl Iterator<Item = Pending> + '_ {
        self.bytes = 0;
        self.queue.drain(..)
    }
}
