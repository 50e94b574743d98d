//! The bounded in-memory rings of recent answers (inline mode), newest last: verified
//! deliveries, the oldest dropped past the capacity in entries or in body bytes; and
//! refusals, in a small ring of their own, so that a flood of forged requests cannot push
//! the real deliveries out.

use std::collections::VecDeque;

use super::record::{DeliveryRecord, DeliveryState};

/// Refusals kept, at most.
pub(super) const REFUSALS: usize = 50;

pub(super) struct Ring {
    deliveries: VecDeque<(u64, DeliveryRecord)>,
    refusals: VecDeque<(u64, DeliveryRecord)>,
    capacity: usize,
    max_body_bytes: usize,
    body_bytes: usize,
    next: u64,
}

impl Ring {
    pub(super) fn new(capacity: usize, max_body_bytes: usize) -> Self {
        Ring {
            deliveries: VecDeque::with_capacity(capacity.min(1024)),
            refusals: VecDeque::with_capacity(REFUSALS),
            capacity: capacity.max(1),
            max_body_bytes,
            body_bytes: 0,
            next: 0,
        }
    }

    /// A fresh sequence number: each request answered is a row of its own (a Postal retry
    /// too), its id.
    pub(super) fn next_id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// Adds `record` (numbered `seq`), and drops the oldest past the bounds.
    pub(super) fn push(&mut self, seq: u64, record: DeliveryRecord) {
        if record.state == DeliveryState::Refused {
            self.refusals.push_back((seq, record));
            if self.refusals.len() > REFUSALS.min(self.capacity) {
                self.refusals.pop_front();
            }
            return;
        }
        self.body_bytes += body_len(&record);
        self.deliveries.push_back((seq, record));
        while self.deliveries.len() > self.capacity
            || (self.body_bytes > self.max_body_bytes && self.deliveries.len() > 1)
        {
            match self.deliveries.pop_front() {
                Some((_, old)) => self.body_bytes -= body_len(&old),
                None => break,
            }
        }
    }

    /// Every record kept, newest first.
    pub(super) fn newest_first(&self) -> Vec<DeliveryRecord> {
        let mut all: Vec<&(u64, DeliveryRecord)> =
            self.deliveries.iter().chain(&self.refusals).collect();
        all.sort_unstable_by_key(|(seq, _)| std::cmp::Reverse(*seq));
        all.into_iter().map(|(_, record)| record.clone()).collect()
    }

    /// The delivery with id `id` (refusals are never retried).
    pub(super) fn get_mut(&mut self, id: &str) -> Option<&mut DeliveryRecord> {
        self.deliveries
            .iter_mut()
            .map(|(_, record)| record)
            .find(|record| record.id == id)
    }
}

fn body_len(record: &DeliveryRecord) -> usize {
    record.body.as_ref().map_or(0, |body| body.len())
}
