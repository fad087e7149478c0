//! Project-local state that stays private: `<project>/.skyhop/` carries its own `.gitignore`
//! (`*`, as uv, ruff and pytest do for theirs), so git ignores it without skyhop touching the
//! user's files; its directories are 0700 and its files 0600, whatever the umask (the modes
//! are set explicitly after creating).

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};

/// The directory of skyhop's state inside a project.
pub const STATE_DIR: &str = ".skyhop";

/// `<project>/.skyhop`, created 0700 with its `.gitignore` when missing. Returns `true` when
/// the `.gitignore` had to be written (a new state directory, or one an older skyhop made).
pub fn state_root(project_root: &Path) -> Result<(PathBuf, bool)> {
    let root = project_root.join(STATE_DIR);
    dir(&root)?;
    let ignore = root.join(".gitignore");
    if ignore.is_file() {
        return Ok((root, false));
    }
    write(
        &ignore,
        b"# Written by skyhop: its local state (deployments, secrets, backups) stays out of git.\n*\n",
    )?;
    Ok((root, true))
}

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

/// Opens `path` for writing, created 0600 (`append`: keep what is there, else truncate).
pub fn open(path: &Path, append: bool) -> Result<fs::File> {
    let f = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
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
    open(path, false)?.write_all(bytes).at(path)
}

/// Writes `bytes` to `path` through a temporary file renamed into place, mode 0600.
pub fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    write(&tmp, bytes)?;
    fs::rename(&tmp, path).at(path)
}

/// Copies `from` to `to`, which gets mode 0600 whatever `from` had (0700 when `from` is
/// executable by its owner: a script in `include/` stays runnable).
pub fn copy(from: &Path, to: &Path) -> Result<()> {
    let mut src = fs::File::open(from).at(from)?;
    let exec = src.metadata().at(from)?.permissions().mode() & 0o100 != 0;
    let mut dst = open(to, false)?;
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

/// Makes everything under `root` private: directories 0700, files 0600 (for state an older
/// skyhop wrote with the umask's modes). Symbolic links are left alone.
pub fn tighten(root: &Path) -> Result<()> {
    for entry in walkdir::WalkDir::new(root).follow_links(false) {
        let Ok(entry) = entry else { continue };
        let ft = entry.file_type();
        let mode = if ft.is_dir() {
            0o700
        } else if ft.is_file() {
            0o600
        } else {
            continue;
        };
        let Ok(meta) = entry.metadata() else { continue };
        if meta.permissions().mode() & 0o777 != mode {
            set_mode(entry.path(), mode)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn state_root_is_private_and_ignored() {
        let d = tempfile::tempdir().unwrap();
        let (root, new) = state_root(d.path()).unwrap();
        assert!(new);
        assert_eq!(mode(&root), 0o700);
        let ignore = fs::read_to_string(root.join(".gitignore")).unwrap();
        assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
        assert_eq!(mode(&root.join(".gitignore")), 0o600);
        assert!(!state_root(d.path()).unwrap().1);
        dir(&root.join("a/b")).unwrap();
        assert_eq!(mode(&root.join("a")), 0o700);
        let f = root.join("a/b/f");
        fs::write(&f, "x").unwrap();
        set_mode(&f, 0o644).unwrap();
        copy(&f, &root.join("a/g")).unwrap();
        assert_eq!(mode(&root.join("a/g")), 0o600);
        set_mode(&root.join("a"), 0o755).unwrap();
        tighten(&root).unwrap();
        assert_eq!((mode(&f), mode(&root.join("a"))), (0o600, 0o700));
    }
}
