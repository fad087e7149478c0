//! The words of the client's errors and requests: why a call was forbidden and what role it
//! needs, ids checked before they go in a path, URLs shown without credentials, bodies cut
//! short, timeouts recognised.

use super::*;

pub(super) fn unreachable_retry<T>(what: &str) -> Result<T, AstroError> {
    Err(AstroError::Other(format!("{what}: no attempt was made")))
}

/// A deploy id as one path segment.
pub(super) fn path_part(id: &str) -> Result<&str, AstroError> {
    if id.is_empty() || id.contains(['/', '?', '#', ' ']) {
        return Err(AstroError::Refused(format!(
            "`{id}` is not an Astro deploy id"
        )));
    }
    Ok(id)
}

/// What a 403 means for the token's kind.
pub(super) fn forbidden_hint(kind: TokenKind, op: &Op, claims: Option<&Claims>) -> String {
    let writes = op.action.starts_with("deploy") || op.action.starts_with("roll");
    match kind {
        TokenKind::Deployment => {
            let own = claims
                .and_then(|c| c.deployment_id.as_deref())
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            if op.deployment.is_none() {
                format!(
                    "A Deployment API token works only on its own Deployment{own}: listing the \
                     Organization's Deployments needs a Workspace or Organization API token"
                )
            } else {
                format!(
                    "A Deployment API token works only on its own Deployment{own}: use that \
                     Deployment's id, or a Workspace API token (Workspace Author or higher) of \
                     the Deployment's Workspace"
                )
            }
        }
        TokenKind::Workspace if writes => "A Workspace API token needs the Workspace Author \
             role or higher (Operator, Owner) to deploy and roll back; Workspace Member can only \
             read. It also works only on Deployments of its own Workspace"
            .into(),
        TokenKind::Workspace => "A Workspace API token sees only its own Workspace's \
             Deployments: use a token of the Deployment's Workspace, or an Organization API token"
            .into(),
        TokenKind::Organization if writes => "An Organization API token needs a Workspace role \
             (Workspace Author or higher) on the Deployment's Workspace, or DEPLOYMENT_ADMIN on \
             the Deployment, to deploy and roll back; give it one in the Astro UI (Workspace \
             settings > API Tokens), or use a Workspace or Deployment API token"
            .into(),
        TokenKind::Organization => "An Organization API token needs an Organization role that \
             can read Deployments (Organization Member sees only Workspaces it has a role in)"
            .into(),
        TokenKind::Unknown => "Use an Astro API token (Organization, Workspace or Deployment) \
             with a role that allows this"
            .into(),
    }
}

/// The URL without its query (pre-signed URLs carry credentials there).
pub fn redact_url(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?…"),
        None => url.to_string(),
    }
}

/// At most 300 characters of a body, on one line.
pub(super) fn short(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.is_empty() {
        return "no message".into();
    }
    match one.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &one[..i]),
        None => one,
    }
}

pub(super) fn is_timeout(t: &ureq::Transport) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(t);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && is_timeout_io(io)
        {
            return true;
        }
        src = s.source();
    }
    t.message().is_some_and(|m| m.contains("timed out"))
}

pub(super) fn is_timeout_io(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    ) || e.to_string().contains("timed out")
}
