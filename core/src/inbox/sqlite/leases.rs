//! Which deliveries this process's workers hold, and the hand-off of fresh deliveries to
//! them. In memory: only this process uses the embedded inbox, so a lease needs no write,
//! and a process that dies holds nothing on its next start.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use super::super::record::Job;

/// At most this many fresh deliveries wait in memory for a worker; past it, the workers
/// find them in the database.
const MAX_HANDOFF: usize = 256;

#[derive(Default)]
struct Held {
    /// Row id: (lease end in ms, lease number).
    leases: HashMap<i64, (u64, u64)>,
    /// Fresh deliveries, leased when stored, with their lease number.
    handoff: VecDeque<(Job, u64)>,
    next: u64,
}

/// The leases and the hand-off queue.
#[derive(Default)]
pub(super) struct Leases {
    held: Mutex<Held>,
}

impl Leases {
    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Leases row `id` until `until` (ms) unless a live lease holds it; the lease number.
    pub(super) fn take(&self, id: i64, until: u64, now: u64) -> Option<u64> {
        let mut held = self.lock();
        if held.leases.get(&id).is_some_and(|&(end, _)| end > now) {
            return None;
        }
        held.next += 1;
        let number = held.next;
        held.leases.insert(id, (until, number));
        Some(number)
    }

    /// How many leases are live (the most due rows a look must skip), dropping the others.
    pub(super) fn live(&self, now: u64) -> usize {
        let mut held = self.lock();
        held.leases.retain(|_, (end, _)| *end > now);
        held.leases.len()
    }

    /// Renews row `id`'s lease until `until`.
    pub(super) fn renew(&self, id: i64, until: u64) {
        if let Some((end, _)) = self.lock().leases.get_mut(&id) {
            *end = until;
        }
    }

    /// Ends row `id`'s lease.
    pub(super) fn end(&self, id: i64) {
        self.lock().leases.remove(&id);
    }

    /// Offers a fresh delivery, leased under `number`, to the next idle worker; `false`
    /// when the queue is full (a worker finds it in the database after the lease).
    pub(super) fn hand_off(&self, job: Job, number: u64) -> bool {
        let mut held = self.lock();
        if held.handoff.len() >= MAX_HANDOFF {
            held.leases.remove(&job.id.parse().unwrap_or(-1));
            return false;
        }
        held.handoff.push_back((job, number));
        true
    }

    /// The next handed-off delivery whose lease is still the one it was handed off under.
    pub(super) fn next_handed_off(&self, now: u64) -> Option<Job> {
        let mut held = self.lock();
        while let Some((job, number)) = held.handoff.pop_front() {
            let id: i64 = job.id.parse().unwrap_or(-1);
            if held
                .leases
                .get(&id)
                .is_some_and(|&(end, n)| n == number && end > now)
            {
                return Some(job);
            }
        }
        None
    }
}
