//! The bounded in-memory ring of recent deliveries (inline mode): newest last, the oldest
//! dropped past the capacity in entries or in body bytes.

use std::collections::VecDeque;

use super::record::DeliveryRecord;

pub(super) struct Ring {
    records: VecDeque<DeliveryRecord>,
    capacity: usize,
    max_body_bytes: usize,
    body_bytes: usize,
    next: u64,
}

impl Ring {
    pub(super) fn new(capacity: usize, max_body_bytes: usize) -> Self {
        Ring {
            records: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
            max_body_bytes,
            body_bytes: 0,
            next: 0,
        }
    }

    /// A fresh id: each request answered is a row of its own (a Postal retry too).
    pub(super) fn next_id(&mut self) -> String {
        self.next += 1;
        self.next.to_string()
    }

    /// Adds `record`, and drops the oldest past the bounds.
    pub(super) fn push(&mut self, record: DeliveryRecord) {
        self.body_bytes += body_len(&record);
        self.records.push_back(record);
        while self.records.len() > self.capacity
            || (self.body_bytes > self.max_body_bytes && self.records.len() > 1)
        {
            match self.records.pop_front() {
                Some(old) => self.body_bytes -= body_len(&old),
                None => break,
            }
        }
    }

    /// Newest first.
    pub(super) fn newest_first(&self) -> impl Iterator<Item = &DeliveryRecord> {
        self.records.iter().rev()
    }

    pub(super) fn get_mut(&mut self, id: &str) -> Option<&mut DeliveryRecord> {
        self.records.iter_mut().find(|record| record.id == id)
    }
}

fn body_len(record: &DeliveryRecord) -> usize {
    record.body.as_ref().map_or(0, |body| body.len())
}
