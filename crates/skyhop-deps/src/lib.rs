//! skyhop-deps: comparing two resolved environments ([`skyhop_core::Lock`]s).
//!
//! It owns the PEP 440 classification of each version change (major / minor / patch /
//! unknown / downgrade, see [`classify`]), the grouping into the Astro CLI's sections
//! ([`Section`]), the `dependency_compare.txt` text ([`Comparison::to_text`]), its JSON form,
//! and changelog links ([`changelog_url`]).
//!
//! It knows nothing of how locks are made (uv, Docker, freeze files) nor of reports.

mod classify;
mod compare;
mod section;

pub use classify::{ChangeKind, classify};
pub use compare::{Change, Comparison, changelog_url, compare};
pub use section::{Section, is_provider};
