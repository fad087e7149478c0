//! `dev`, `deployment`, `deploy`, `rollback`.

use crate::cli::{DeployArgs, DeploymentCommand, DevCommand, RollbackArgs};
use crate::{CmdResult, Failure};

pub fn dev(_c: DevCommand) -> CmdResult {
    Err(Failure::usage("dev: not wired yet"))
}
pub fn deployment(_c: DeploymentCommand) -> CmdResult {
    Err(Failure::usage("deployment: not wired yet"))
}
pub fn deploy(_a: DeployArgs) -> CmdResult {
    Err(Failure::usage("deploy: not wired yet"))
}
pub fn rollback(_a: RollbackArgs) -> CmdResult {
    Err(Failure::usage("rollback: not wired yet"))
}
