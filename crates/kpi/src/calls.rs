//! The calls the KPIs are computed over: any [`CallLog`], which is a dataset's columnar
//! [`Calls`] table or a slice of plain [`Call`] rows.

use almen_core::Timestamp;
use almen_dataset::{Calls, NONE, Outcome, Priority};

/// One out-of-hours call, as a plain row (the `calls` table of the extract format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub call_id: String,
    /// Entered the queue.
    pub received_at: Timestamp,
    /// Answered by a visitator; `None` for an abandoned call.
    pub answered_at: Option<Timestamp>,
    /// The call ended (for a home visit, the triage the 3-hour target counts from).
    pub ended_at: Option<Timestamp>,
    pub priority: Priority,
    pub district: Option<String>,
    pub outcome: Outcome,
    /// Consultation: the booked time.
    pub booked_for: Option<Timestamp>,
    /// Consultation: when it finished.
    pub finished_at: Option<Timestamp>,
    /// Home visit: when the doctor arrived.
    pub visit_started_at: Option<Timestamp>,
}

impl Call {
    /// A normal-priority call without district, booking or visit: set those fields after.
    pub fn new(
        call_id: impl Into<String>,
        received_at: Timestamp,
        answered_at: Option<Timestamp>,
        outcome: Outcome,
    ) -> Call {
        Call {
            call_id: call_id.into(),
            received_at,
            answered_at,
            ended_at: None,
            priority: Priority::Normal,
            district: None,
            outcome,
            booked_for: None,
            finished_at: None,
            visit_started_at: None,
        }
    }
}

/// Read access to a set of calls by row number. The KPI functions are generic over it, so they
/// run on a dataset's columns as fast as on a slice of rows, without copying either.
pub trait CallLog {
    fn n_calls(&self) -> usize;
    fn received_at(&self, row: usize) -> Timestamp;
    fn answered_at(&self, row: usize) -> Option<Timestamp>;
    fn ended_at(&self, row: usize) -> Option<Timestamp>;
    fn priority(&self, row: usize) -> Priority;
    fn district(&self, row: usize) -> Option<&str>;
    /// The district as a small integer, when the log has interned them (a dataset's
    /// `Calls`): `Some(NONE)` for a call without district. Grouping by district then skips
    /// hashing the name of every call. `None` (the default) means "not interned".
    fn district_index(&self, _row: usize) -> Option<u32> {
        None
    }
    fn outcome(&self, row: usize) -> Outcome;
    fn booked_for(&self, row: usize) -> Option<Timestamp>;
    fn finished_at(&self, row: usize) -> Option<Timestamp>;
    fn visit_started_at(&self, row: usize) -> Option<Timestamp>;
}

impl CallLog for Calls {
    fn n_calls(&self) -> usize {
        self.len()
    }
    #[inline]
    fn received_at(&self, row: usize) -> Timestamp {
        self.received_at[row]
    }
    #[inline]
    fn answered_at(&self, row: usize) -> Option<Timestamp> {
        self.answered_at[row]
    }
    #[inline]
    fn ended_at(&self, row: usize) -> Option<Timestamp> {
        self.ended_at[row]
    }
    #[inline]
    fn priority(&self, row: usize) -> Priority {
        self.priority[row]
    }
    #[inline]
    fn district(&self, row: usize) -> Option<&str> {
        match self.district[row] {
            NONE => None,
            d => Some(self.districts.get(d)),
        }
    }
    #[inline]
    fn district_index(&self, row: usize) -> Option<u32> {
        Some(self.district[row])
    }
    #[inline]
    fn outcome(&self, row: usize) -> Outcome {
        self.outcome[row]
    }
    #[inline]
    fn booked_for(&self, row: usize) -> Option<Timestamp> {
        self.booked_for[row]
    }
    #[inline]
    fn finished_at(&self, row: usize) -> Option<Timestamp> {
        self.finished_at[row]
    }
    #[inline]
    fn visit_started_at(&self, row: usize) -> Option<Timestamp> {
        self.visit_started_at[row]
    }
}

/// Row access for slices and vectors of [`Call`].
macro_rules! delegate_to_slice {
    ($t:ty) => {
        impl CallLog for $t {
            fn n_calls(&self) -> usize {
                self.len()
            }
            #[inline]
            fn received_at(&self, row: usize) -> Timestamp {
                self[row].received_at
            }
            #[inline]
            fn answered_at(&self, row: usize) -> Option<Timestamp> {
                self[row].answered_at
            }
            #[inline]
            fn ended_at(&self, row: usize) -> Option<Timestamp> {
                self[row].ended_at
            }
            #[inline]
            fn priority(&self, row: usize) -> Priority {
                self[row].priority
            }
            #[inline]
            fn district(&self, row: usize) -> Option<&str> {
                self[row].district.as_deref()
            }
            #[inline]
            fn outcome(&self, row: usize) -> Outcome {
                self[row].outcome
            }
            #[inline]
            fn booked_for(&self, row: usize) -> Option<Timestamp> {
                self[row].booked_for
            }
            #[inline]
            fn finished_at(&self, row: usize) -> Option<Timestamp> {
                self[row].finished_at
            }
            #[inline]
            fn visit_started_at(&self, row: usize) -> Option<Timestamp> {
                self[row].visit_started_at
            }
        }
    };
}

delegate_to_slice!([Call]);
delegate_to_slice!(Vec<Call>);

/// A dataset's calls table as rows (ids and district names copied). The KPI functions take
/// the table itself; this is for code that wants to edit or re-sort rows.
pub fn calls_from_table(c: &Calls) -> Vec<Call> {
    (0..c.len())
        .map(|row| Call {
            call_id: c.call_id.get(row).to_string(),
            received_at: c.received_at[row],
            answered_at: c.answered_at[row],
            ended_at: c.ended_at[row],
            priority: c.priority[row],
            district: CallLog::district(c, row).map(str::to_string),
            outcome: c.outcome[row],
            booked_for: c.booked_for[row],
            finished_at: c.finished_at[row],
            visit_started_at: c.visit_started_at[row],
        })
        .collect()
}
