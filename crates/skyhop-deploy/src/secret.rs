//! Secrets at rest: deployments' secret environment values and metadata DB URLs are stored
//! encrypted with XChaCha20-Poly1305 (RustCrypto's `chacha20poly1305`), under a key kept
//! outside every project: `<config dir>/key` ([`skyhop_core::config_dir`]), mode 0600, made on
//! first use. A value is decrypted only to build the environment Airflow starts with.
//!
//! A sealed value is `skyhop-sealed:v1:<hex of the 24-byte nonce and the ciphertext>`; what it
//! is (`env:API_TOKEN`, `db_url`) is bound to it as associated data, so a value copied to
//! another row does not decrypt.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::error::{DeployError, IoContext, Result};
use crate::private;

const PREFIX: &str = "skyhop-sealed:v1:";
const NONCE_LEN: usize = 24;

/// Whether `value` is a sealed value (as opposed to plain text an older skyhop stored).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(PREFIX)
}

/// The key secrets are encrypted with.
pub struct SecretKey {
    cipher: XChaCha20Poly1305,
    path: PathBuf,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Where the key lives.
pub fn key_path() -> PathBuf {
    skyhop_core::config_dir().join("key")
}

impl SecretKey {
    /// The user's key, made (0600, in a 0700 directory) when there is none yet.
    pub fn get_or_create() -> Result<SecretKey> {
        let path = key_path();
        if !path.exists() {
            create(&path)?;
        }
        SecretKey::load(&path)
    }

    /// The user's key, which must exist: values sealed with it are being decrypted.
    pub fn get() -> Result<SecretKey> {
        let path = key_path();
        if !path.exists() {
            return Err(DeployError::Other(format!(
                "{}: the key that encrypts this deployment's secrets is missing; restore it (or \
                 point SKYHOP_CONFIG_DIR at its directory), or set the secrets and DB URL again",
                path.display()
            )));
        }
        SecretKey::load(&path)
    }

    fn load(path: &Path) -> Result<SecretKey> {
        let text = fs::read_to_string(path).at(path)?;
        let bytes = hex::decode(text.trim())
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| {
                DeployError::Other(format!(
                    "{}: not a skyhop key (64 hex digits expected); restore it from a backup, or \
                     move it away to make a new one (secrets stored with the old key must then be \
                     set again with `skyhop deployment env set ... --secret`)",
                    path.display()
                ))
            })?;
        // Tighten a key whose mode was loosened by hand.
        private::set_mode(path, 0o600)?;
        Ok(SecretKey {
            cipher: XChaCha20Poly1305::new(Key::from_slice(&bytes)),
            path: path.to_path_buf(),
        })
    }

    /// Encrypts `plain`; `what` names the value (bound to it, and used in messages).
    pub fn seal(&self, what: &str, plain: &str) -> Result<String> {
        let nonce = random_bytes(NONCE_LEN)?;
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: what.as_bytes(),
                },
            )
            .map_err(|_| DeployError::Other(format!("could not encrypt {what}")))?;
        Ok(format!(
            "{PREFIX}{}{}",
            hex::encode(nonce),
            hex::encode(sealed)
        ))
    }

    /// Decrypts a value made by [`SecretKey::seal`] for `what`. The error never holds the value.
    pub fn open(&self, what: &str, sealed: &str) -> Result<String> {
        let bad = || {
            DeployError::Other(format!(
                "{what} cannot be decrypted with the key {}: it was stored with another key or \
                 damaged; set it again (`skyhop deployment env set NAME KEY=VALUE --secret`)",
                self.path.display()
            ))
        };
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|h| hex::decode(h).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or_else(bad)?;
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: what.as_bytes(),
                },
            )
            .map_err(|_| bad())?;
        String::from_utf8(plain).map_err(|_| bad())
    }
}

/// Writes a new random key at `path` without ever replacing one another process made.
fn create(path: &Path) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    private::dir(dir)?;
    let tmp = dir.join(format!(".key.{}.tmp", std::process::id()));
    private::write(
        &tmp,
        format!("{}\n", hex::encode(random_bytes(32)?)).as_bytes(),
    )?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).at(path),
    }
}

/// `n` random bytes from the kernel.
pub(crate) fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .at("/dev/urandom")?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_bound_to_what() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("cfg/key");
        create(&path).unwrap();
        let mode = |p: &Path| {
            use std::os::unix::fs::PermissionsExt;
            fs::metadata(p).unwrap().permissions().mode() & 0o777
        };
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let first = fs::read_to_string(&path).unwrap();
        create(&path).unwrap(); // never replaces a key
        assert_eq!(fs::read_to_string(&path).unwrap(), first);
        let key = SecretKey::load(&path).unwrap();
        let sealed = key.seal("env:A", "hunter2").unwrap();
        assert!(is_sealed(&sealed) && !sealed.contains("hunter2"));
        assert_ne!(sealed, key.seal("env:A", "hunter2").unwrap(), "fresh nonce");
        assert_eq!(key.open("env:A", &sealed).unwrap(), "hunter2");
        let err = key.open("env:B", &sealed).unwrap_err().to_string();
        assert!(err.contains("env:B cannot be decrypted"), "{err}");
        assert!(key.open("env:A", "skyhop-sealed:v1:zz").is_err());
        fs::write(&path, "short").unwrap();
        assert!(
            SecretKey::load(&path)
                .unwrap_err()
                .to_string()
                .contains("not a skyhop key")
        );
    }
}
