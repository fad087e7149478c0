//! Files skyhop writes about a database (backups, snapshots, scripts, rehearsal results) stay
//! private: directories 0700 and files 0600, whatever the umask (the modes are set explicitly
//! after creating), as everything under a project's `.skyhop/` (`skyhop-deploy`'s `private`).

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::error::{IoContext, Result};

/// Creates `path` and any missing parent, each 0700.
pub fn dir(path: &Path) -> Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        dir(parent)?;
    }
    match fs::DirBuilder::new().mode(0o700).create(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => return Ok(()),
        Err(e) => return Err(e).at(path),
    }
    set_mode(path, 0o700)
}

/// Opens `path` for writing (created or truncated), mode 0600.
fn create(path: &Path) -> Result<fs::File> {
    let f = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .at(path)?;
    f.set_permissions(fs::Permissions::from_mode(0o600))
        .at(path)?;
    Ok(f)
}

/// Writes `bytes` to `path` (created or truncated), mode 0600.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    create(path)?.write_all(bytes).at(path)
}

/// Copies `from` to `to`, which gets mode 0600 whatever `from` had (0700 when `from` is
/// executable by its owner).
pub fn copy(from: &Path, to: &Path) -> Result<()> {
    let mut src = fs::File::open(from).at(from)?;
    let exec = src.metadata().at(from)?.permissions().mode() & 0o100 != 0;
    let mut dst = create(to)?;
    io::copy(&mut src, &mut dst).at(to)?;
    if exec {
        dst.set_permissions(fs::Permissions::from_mode(0o700))
            .at(to)?;
    }
    Ok(())
}

/// Sets `path`'s mode.
pub fn set_mode(path: &Path, mode: u32) -> Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).at(path)
}

/// Makes `cmd`'s process create its files 0600 and directories 0700 (umask 077), whatever the
/// caller's umask: copies, dumps and Airflow's files stay private.
#[allow(unsafe_code)]
pub fn private_umask(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: umask(2) is async-signal-safe and cannot fail; nothing else runs in the hook.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o077);
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_directories_are_private() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("a/b");
        dir(&root).unwrap();
        assert_eq!(mode(&d.path().join("a")), 0o700);
        let f = root.join("f");
        fs::write(&f, "x").unwrap();
        set_mode(&f, 0o644).unwrap();
        copy(&f, &root.join("g")).unwrap();
        assert_eq!(mode(&root.join("g")), 0o600);
        write(&root.join("h"), b"y").unwrap();
        assert_eq!(mode(&root.join("h")), 0o600);
    }
}
