//! What goes wrong talking to Astro, each with what to do about it.

use super::token::TokenKind;

/// An error of the Astro API client or of skyhop's checks before a call. Messages never hold
/// the token or an upload URL.
#[derive(Debug, thiserror::Error)]
pub enum AstroError {
    #[error(
        "no Astro API token: set ASTRO_API_TOKEN, or run `skyhop astro login` (it reads the token \
         from standard input and stores it encrypted). Create one in the Astro UI under \
         Organization, Workspace or Deployment settings > API Tokens"
    )]
    NoToken,
    #[error(
        "which Astro Organization? The token does not name one (it is not an Astro API token \
         skyhop can read); pass --organization-id ID or set ASTRO_ORGANIZATION_ID (the id is in \
         the Astro UI under Organization settings, and in the Deployment's URL)"
    )]
    NoOrganization,
    #[error("{what}: {message}")]
    Unauthorized { what: String, message: String },
    #[error("{what}: {message}")]
    Forbidden {
        what: String,
        kind: TokenKind,
        message: String,
    },
    #[error("{what}: {message}")]
    NotFound { what: String, message: String },
    #[error("{what}: {message}")]
    BadRequest { what: String, message: String },
    #[error("{what}: {message}")]
    RateLimited { what: String, message: String },
    #[error("{what}: {message}")]
    Server {
        what: String,
        status: u16,
        message: String,
    },
    #[error("{what}: {message}")]
    Timeout { what: String, message: String },
    #[error("{what}: {message}")]
    Network { what: String, message: String },
    #[error(
        "{what}: Astro answered something skyhop cannot read ({detail}); is --astro-api-url (ASTRO_API_URL) the Astro API, e.g. https://api.astronomer.io/v1?"
    )]
    BadResponse { what: String, detail: String },
    /// skyhop's own refusal before calling the API (nothing was sent).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Other(String),
}

impl AstroError {
    /// The input or the credentials are wrong (exit 2), as opposed to Astro or the network
    /// failing (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            AstroError::NoToken
                | AstroError::NoOrganization
                | AstroError::Unauthorized { .. }
                | AstroError::Forbidden { .. }
                | AstroError::NotFound { .. }
                | AstroError::BadRequest { .. }
                | AstroError::Refused(_)
        )
    }
}
