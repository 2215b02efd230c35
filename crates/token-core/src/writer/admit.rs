//! Admission: what a push does to the buffer (caps, overflow policy, oversize policy).

use super::*;

impl StreamWriter {
    /// Frees room for `events` more events of `bytes` total under the overflow policy; false when
    /// they still do not fit.
    #[inline]
    pub(super) fn make_room(&mut self, events: usize, bytes: usize) -> bool {
        let cap = self.config.buffer;
        let fits =
            |b: &Buffer| b.len() + events <= cap.max_events && b.bytes() + bytes <= cap.max_bytes;
        if fits(&self.buffer) {
            return true;
        }
        if cap.overflow != OverflowPolicy::DropOldest
            || bytes > cap.max_bytes
            || events > cap.max_events
        {
            return false;
        }
        let mut dropped = Vec::new();
        while !fits(&self.buffer) {
            match self.buffer.pop_front() {
                Some(p) => dropped.push(p.id),
                None => break,
            }
        }
        self.drop_events(dropped, DropReason::BufferFull);
        fits(&self.buffer)
    }

    /// The buffer cannot take the event: apply the overflow policy.
    pub(super) fn overflow(&mut self, event: Event, bytes: usize) -> Result<EventIds, Error> {
        let cap = self.config.buffer;
        if bytes > cap.max_bytes {
            self.counters.pushes_refused += 1;
            return Err(Error::TooLargeForBuffer { event });
        }
        match cap.overflow {
            OverflowPolicy::Reject => {
                self.counters.pushes_refused += 1;
                Err(Error::BufferFull { event })
            }
            OverflowPolicy::DropNewest | OverflowPolicy::DropOldest => {
                let id = self.alloc_ids(1);
                self.drop_events(vec![EventId(id)], DropReason::BufferFull);
                Ok(EventIds::new(id, 1))
            }
        }
    }

    #[cold]
    pub(super) fn push_oversized(&mut self, event: Event) -> Result<EventIds, Error> {
        let max = self.max_message_bytes;
        match self.config.oversize {
            OversizePolicy::Drop => {
                let id = self.alloc_ids(1);
                self.drop_events(vec![EventId(id)], DropReason::Oversize);
                Ok(EventIds::new(id, 1))
            }
            OversizePolicy::Truncate => {
                let original_bytes = event.message.len();
                let kept = oversize::floor_char_boundary(&event.message, max);
                let size = kept + EVENT_OVERHEAD_BYTES;
                if !self.make_room(1, size) {
                    // Hand back the event as the caller pushed it, not the cut version.
                    return self.overflow(event, size);
                }
                let mut event = event;
                event.message.truncate(kept);
                let id = self.alloc_ids(1);
                self.counters.events_truncated += 1;
                self.reports.push_back(Report::Truncated {
                    id: EventId(id),
                    original_bytes,
                });
                self.buffer.push_back(Pending {
                    id: EventId(id),
                    timestamp: event.timestamp,
                    arrival: self.now,
                    message: event.message,
                });
                Ok(EventIds::new(id, 1))
            }
            OversizePolicy::Split => {
                let timestamp = event.timestamp;
                let parts = oversize::split(event.message, max);
                let bytes: usize = parts.iter().map(|p| p.len() + EVENT_OVERHEAD_BYTES).sum();
                if !self.make_room(parts.len(), bytes) {
                    return self.overflow(Event::new(timestamp, parts.concat()), bytes);
                }
                let n = parts.len() as u64;
                let first = self.alloc_ids(n);
                self.counters.events_split += 1;
                self.reports.push_back(Report::Split {
                    ids: (first..first + n).map(EventId).collect(),
                });
                for (i, message) in parts.into_iter().enumerate() {
                    self.buffer.push_back(Pending {
                        id: EventId(first + i as u64),
                        timestamp,
                        arrival: self.now,
                        message,
                    });
                }
                Ok(EventIds::new(first, n))
            }
        }
    }
}
