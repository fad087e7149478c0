//! `upgrade-test`.

use crate::cli::UpgradeTestArgs;
use crate::{CmdResult, Failure};

pub fn upgrade_test(_a: UpgradeTestArgs) -> CmdResult {
    Err(Failure::usage("upgrade-test: not wired yet"))
}
