//! The Astro API token: where it comes from (`ASTRO_API_TOKEN`, else the one `skyhop astro
//! login` stored encrypted under the key of [`crate::secret`]), what its claims say (the
//! Organization, and whether it is an Organization, Workspace or Deployment token), and that
//! it is never shown: [`Token`]'s `Debug` and `Display` print `****`.

use std::fs;
use std::path::PathBuf;

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::error::AstroError;
use crate::private;
use crate::secret::{SecretKey, is_sealed};

/// The environment variable the Astro CLI reads a token from too.
pub const TOKEN_ENV: &str = "ASTRO_API_TOKEN";
/// What the stored token is sealed as (bound to it as associated data).
const SEALED_AS: &str = "astro:api-token";

/// An API token. Never printed: `{}` and `{:?}` show `****`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(****)")
    }
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("****")
    }
}

/// Where a token came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Env,
    Stored,
    Given,
}

impl TokenSource {
    pub fn describe(self) -> &'static str {
        match self {
            TokenSource::Env => "the token in ASTRO_API_TOKEN",
            TokenSource::Stored => "the token `skyhop astro login` stored",
            TokenSource::Given => "the token",
        }
    }
}

/// Organization, Workspace or Deployment API token, as its claims tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Organization,
    Workspace,
    Deployment,
    /// Not an API token skyhop can read (a user's session token, another format).
    Unknown,
}

impl TokenKind {
    pub fn label(self) -> &'static str {
        match self {
            TokenKind::Organization => "Organization API token",
            TokenKind::Workspace => "Workspace API token",
            TokenKind::Deployment => "Deployment API token",
            TokenKind::Unknown => "API token",
        }
    }
}

/// What skyhop reads from a token's (unverified) JWT claims: only to name the Organization
/// and the token's kind; the API checks the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claims {
    pub kind: TokenKind,
    pub organization_id: Option<String>,
    pub workspace_id: Option<String>,
    pub deployment_id: Option<String>,
    /// The token's id (`apiTokenId`), safe to show.
    pub token_id: Option<String>,
    /// Expiry, seconds since the epoch.
    pub expires: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawClaims {
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(default)]
    api_token_id: Option<String>,
    #[serde(default)]
    exp: Option<i64>,
}

impl Token {
    /// A token from text (surrounding space and a `Bearer ` prefix removed).
    pub fn new(text: &str) -> Result<Token, AstroError> {
        let t = text.trim();
        let t = t.strip_prefix("Bearer ").unwrap_or(t).trim();
        if t.is_empty() {
            return Err(AstroError::NoToken);
        }
        if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AstroError::Refused(
                "the API token has spaces or control characters inside: paste it as the Astro UI \
                 shows it, on one line"
                    .into(),
            ));
        }
        Ok(Token(t.to_string()))
    }

    /// The token itself, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// The claims of a JWT API token; `None` when the token is not a JWT skyhop can read.
    /// The Astro CLI reads the same `permissions` claim (`organizationId:<id>`,
    /// `workspaceId:<id>`, `deploymentId:<id>`) to find the Organization of an API token.
    pub fn claims(&self) -> Option<Claims> {
        let payload = self.0.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        let raw: RawClaims = serde_json::from_slice(&bytes).ok()?;
        let find = |prefix: &str| {
            raw.permissions.iter().find_map(|p| {
                p.strip_prefix(prefix)
                    .and_then(|r| r.strip_prefix(':'))
                    .map(str::to_string)
            })
        };
        let organization_id = find("organizationId");
        let workspace_id = find("workspaceId");
        let deployment_id = find("deploymentId");
        let kind = if deployment_id.is_some() {
            TokenKind::Deployment
        } else if workspace_id.is_some() {
            TokenKind::Workspace
        } else if organization_id.is_some() {
            TokenKind::Organization
        } else {
            TokenKind::Unknown
        };
        Some(Claims {
            kind,
            organization_id,
            workspace_id,
            deployment_id,
            token_id: raw.api_token_id,
            expires: raw.exp,
        })
    }
}

/// Where `skyhop astro login` keeps the token, sealed: `<config dir>/astro-token`.
pub fn stored_path() -> PathBuf {
    skyhop_core::config_dir().join("astro-token")
}

/// The token to use: `ASTRO_API_TOKEN` when set, else the stored one.
pub fn load() -> Result<(Token, TokenSource), AstroError> {
    if let Some(t) = std::env::var(TOKEN_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        return Ok((Token::new(&t)?, TokenSource::Env));
    }
    let path = stored_path();
    let sealed = match fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(AstroError::NoToken),
        Err(e) => return Err(AstroError::Other(format!("{}: {e}", path.display()))),
    };
    let sealed = sealed.trim();
    if !is_sealed(sealed) {
        return Err(AstroError::Other(format!(
            "{}: not a token skyhop stored; run `skyhop astro login` again",
            path.display()
        )));
    }
    let key = SecretKey::get().map_err(|e| AstroError::Other(e.to_string()))?;
    let plain = key.open(SEALED_AS, sealed).map_err(|_| {
        AstroError::Other(format!(
            "{}: the stored Astro token cannot be decrypted with the key {} (another key, or \
             damaged); run `skyhop astro login` again",
            path.display(),
            crate::secret::key_path().display()
        ))
    })?;
    Ok((Token::new(&plain)?, TokenSource::Stored))
}

/// Stores `token` encrypted (0600 file in the 0700 config directory). Returns the file.
pub fn store(token: &Token) -> Result<PathBuf, AstroError> {
    let key = SecretKey::get_or_create().map_err(|e| AstroError::Other(e.to_string()))?;
    let sealed = key
        .seal(SEALED_AS, token.expose())
        .map_err(|e| AstroError::Other(e.to_string()))?;
    let path = stored_path();
    private::dir(path.parent().unwrap_or(std::path::Path::new(".")))
        .and_then(|()| private::replace(&path, format!("{sealed}\n").as_bytes()))
        .map_err(|e| AstroError::Other(e.to_string()))?;
    Ok(path)
}

/// Removes the stored token; `true` when there was one.
pub fn forget() -> Result<bool, AstroError> {
    let path = stored_path();
    match fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(AstroError::Other(format!("{}: {e}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", b(r#"{"alg":"RS256"}"#), b(claims))
    }

    #[test]
    fn claims_name_the_organization_and_kind() {
        let t = Token::new(&jwt(
            r#"{"permissions":["apiTokenId:tok1","organizationId:org1","workspaceId:ws1","organization.deployments.get"],"apiTokenId":"tok1","exp":2000000000}"#,
        ))
        .unwrap();
        let c = t.claims().unwrap();
        assert_eq!(c.kind, TokenKind::Workspace);
        assert_eq!(c.organization_id.as_deref(), Some("org1"));
        assert_eq!(c.workspace_id.as_deref(), Some("ws1"));
        assert_eq!(c.token_id.as_deref(), Some("tok1"));
        let org = Token::new(&jwt(r#"{"permissions":["organizationId:o"]}"#)).unwrap();
        assert_eq!(org.claims().unwrap().kind, TokenKind::Organization);
        assert!(Token::new("not-a-jwt").unwrap().claims().is_none());
        assert_eq!(format!("{t} {t:?}"), "**** Token(****)");
        assert!(Token::new("  ").is_err());
        assert_eq!(Token::new("Bearer abc\n").unwrap().expose(), "abc");
    }
}
