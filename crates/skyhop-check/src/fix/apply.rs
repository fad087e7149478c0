//! Showing and writing what the fixes changed: a unified diff, and the files written.

use super::*;

/// A unified diff of the fixes (`--diff`).
pub fn unified_diff(fixes: &[FileFix]) -> String {
    let mut out = String::new();
    for f in fixes {
        let name = f.path.to_string_lossy();
        let diff = similar::TextDiff::from_lines(&f.old, &f.new);
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{name}"), &format!("b/{name}"))
                .to_string(),
        );
    }
    out
}

/// Writes the fixes atomically (temporary file in the same directory, then rename), refusing
/// files that changed since they were read.
pub fn apply_fixes(fixes: &[FileFix]) -> Result<(), FixError> {
    for f in fixes {
        let current = std::fs::read_to_string(&f.path).map_err(|source| FixError::Write {
            path: f.path.clone(),
            source,
        })?;
        if current != f.old {
            return Err(FixError::Changed {
                path: f.path.clone(),
            });
        }
        let tmp = f.path.with_extension("py.skyhop-tmp");
        let write = || -> std::io::Result<()> {
            std::fs::write(&tmp, &f.new)?;
            if let Ok(meta) = std::fs::metadata(&f.path) {
                std::fs::set_permissions(&tmp, meta.permissions())?;
            }
            std::fs::rename(&tmp, &f.path)
        };
        write().map_err(|source| {
            let _ = std::fs::remove_file(&tmp);
            FixError::Write {
                path: f.path.clone(),
                source,
            }
        })?;
    }
    Ok(())
}
