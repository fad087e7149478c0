//! What a failed step tells the user: one message and the exit code the CLI documents.

/// Exit codes, as documented in README.md and `skyhop --help`.
pub mod exit {
    /// Ok / safe.
    pub const OK: u8 = 0;
    /// Findings that break (check errors, DAG import failures, "needs changes"), a failed deploy.
    pub const FINDINGS: u8 = 1;
    /// Usage or input error, refused upgrade.
    pub const USAGE: u8 = 2;
    /// An environment could not be built.
    pub const ENV: u8 = 3;
}

/// A failure the user sees: one message (what is wrong, where, what to do) and an exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl std::fmt::Display) -> Self {
        Failure {
            code: exit::USAGE,
            message: message.to_string(),
        }
    }
    pub fn env(message: impl std::fmt::Display) -> Self {
        Failure {
            code: exit::ENV,
            message: message.to_string(),
        }
    }
    pub fn findings(message: impl std::fmt::Display) -> Self {
        Failure {
            code: exit::FINDINGS,
            message: message.to_string(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}
