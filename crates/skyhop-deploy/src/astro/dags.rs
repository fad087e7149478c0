//! The DAG tarball of a `DAG_ONLY` deploy, made as `astro deploy --dags` makes it: the
//! project's `dags/` folder as a gzipped tar whose entries start with `dags/`, without `.git/`
//! (skyhop also leaves out `__pycache__/`, bytecode the image makes itself).

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use super::error::AstroError;

/// What went into a tarball.
#[derive(Debug, Clone)]
pub struct Tarball {
    pub bytes: Vec<u8>,
    /// Files in it.
    pub files: usize,
}

/// The gzipped tar of `project/dags`, entries under `dags/`, in a stable order.
pub fn tarball(project_root: &Path) -> Result<Tarball, AstroError> {
    let dags = project_root.join("dags");
    if !dags.is_dir() {
        return Err(AstroError::Refused(format!(
            "{}: no dags/ folder to deploy",
            project_root.display()
        )));
    }
    let io = |p: &Path, e: std::io::Error| AstroError::Other(format!("{}: {e}", p.display()));
    let gz = GzEncoder::new(Vec::new(), Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    tar.follow_symlinks(true);
    let mut files = 0;
    let walk = walkdir::WalkDir::new(&dags)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !(e.file_type().is_dir() && (name == ".git" || name == "__pycache__"))
        });
    for entry in walk {
        let entry = entry.map_err(|e| AstroError::Other(format!("{}: {e}", dags.display())))?;
        let rel = entry
            .path()
            .strip_prefix(project_root)
            .unwrap_or(entry.path());
        if entry.file_type().is_dir() {
            if entry.depth() > 0 {
                tar.append_dir(rel, entry.path())
                    .map_err(|e| io(entry.path(), e))?;
            }
            continue;
        }
        tar.append_path_with_name(entry.path(), rel)
            .map_err(|e| io(entry.path(), e))?;
        files += 1;
    }
    let gz = tar.into_inner().map_err(|e| io(&dags, e))?;
    let mut gz = gz;
    gz.flush().map_err(|e| io(&dags, e))?;
    let bytes = gz.finish().map_err(|e| io(&dags, e))?;
    Ok(Tarball { bytes, files })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn tarball_holds_dags_under_dags_without_git_and_bytecode() {
        let d = tempfile::tempdir().unwrap();
        let dags = d.path().join("dags");
        std::fs::create_dir_all(dags.join("sub/__pycache__")).unwrap();
        std::fs::create_dir_all(dags.join(".git")).unwrap();
        std::fs::write(dags.join("a.py"), "x = 1\n").unwrap();
        std::fs::write(dags.join("sub/b.py"), "y = 2\n").unwrap();
        std::fs::write(dags.join("sub/__pycache__/b.pyc"), "").unwrap();
        std::fs::write(dags.join(".git/HEAD"), "").unwrap();
        std::fs::write(d.path().join("Dockerfile"), "FROM x\n").unwrap();
        let t = tarball(d.path()).unwrap();
        assert_eq!(t.files, 2);
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&t.bytes[..])
            .read_to_end(&mut raw)
            .unwrap();
        let mut names: Vec<String> = tar::Archive::new(&raw[..])
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["dags/a.py", "dags/sub", "dags/sub/b.py"]);
        assert_eq!(tarball(d.path()).unwrap().bytes, t.bytes, "deterministic");
    }
}
