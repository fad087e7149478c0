//! `skyhop upgrade --providers`: the pinned providers bumped alone, the runtime kept.

use crate::cli::UpgradeArgs;
use crate::{CmdResult, Failure};

pub fn upgrade_providers(_args: UpgradeArgs) -> CmdResult {
    Err(Failure::usage("--providers: not implemented yet"))
}
