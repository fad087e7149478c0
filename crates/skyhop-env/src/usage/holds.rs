//! Who holds a venv of the cache: this process ([`hold`]), another skyhop process (its shared
//! lock on `venvs/<hash>.use`), or any running process whose command line, environment or
//! mapped files point into it.

use super::*;

/// Marks the venv `venvs/<hash>` used now and keeps a shared lock on its `.use` file until the
/// process exits, so that no prune removes it meanwhile. Waits while a prune removes it.
pub(crate) fn hold(venvs: &Path, hash: &str) -> Result<(), EnvError> {
    static HELD: Mutex<Vec<(PathBuf, File)>> = Mutex::new(Vec::new());
    let path = venvs.join(format!("{hash}.use"));
    let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, f)) = held.iter().find(|(p, _)| *p == path) {
        let _ = f.set_modified(SystemTime::now());
        return Ok(());
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| EnvError::io(format!("cannot open {}", path.display()), e))?;
    file.lock_shared()
        .map_err(|e| EnvError::io(format!("cannot lock {}", path.display()), e))?;
    let _ = file.set_modified(SystemTime::now());
    held.push((path, file));
    Ok(())
}

/// The entries that must not be removed now, with who uses them: venvs whose `.use` lock
/// another skyhop process holds, and venvs a running process uses.
pub(super) fn in_use(cache: &Cache, scan: &Scan) -> HashMap<usize, String> {
    let venvs = cache.root.join("venvs");
    let by_process = processes_using(&venvs);
    let mut out = HashMap::new();
    let recent = SystemTime::now() - BEING_BUILT;
    for (i, e) in scan.entries.iter().enumerate() {
        let name = file_name(&e.path);
        if (name.starts_with(".tmp") || name.starts_with("airflow-home-")) && e.last_used > recent {
            // a venv, uv or an index being built right now (a crashed build's leftovers go
            // after a day)
            out.insert(i, "being built".to_string());
            continue;
        }
        let Some(hash) = &e.venv else { continue };
        if let Some(who) = by_process.get(hash) {
            out.insert(i, who.clone());
        } else if held_by_skyhop(&venvs, hash) {
            out.insert(i, "a skyhop process".to_string());
        }
    }
    out
}

/// Whether another process holds `venvs/<hash>.use` (a skyhop using that venv).
fn held_by_skyhop(venvs: &Path, hash: &str) -> bool {
    let path = venvs.join(format!("{hash}.use"));
    let Ok(f) = OpenOptions::new().write(true).open(&path) else {
        return false; // never used by a skyhop that holds venvs
    };
    match f.try_lock() {
        Ok(()) => false,
        Err(TryLockError::WouldBlock) => true,
        Err(TryLockError::Error(_)) => false,
    }
}

/// Venv hash -> `pid N (command)` for every running process whose command line, environment
/// (`VIRTUAL_ENV`) or mapped files point into `venvs/<hash>/` (Linux `/proc`; elsewhere none).
fn processes_using(venvs: &Path) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Ok(procs) = fs::read_dir("/proc") else {
        return out;
    };
    let own = std::process::id().to_string();
    let mut needles = vec![format!("{}/", venvs.display())];
    if let Ok(canon) = venvs.canonicalize()
        && canon != venvs
    {
        needles.push(format!("{}/", canon.display()));
    }
    for p in procs.flatten() {
        let pid = file_name(&p.path());
        if !pid.bytes().all(|b| b.is_ascii_digit()) || pid == own {
            continue;
        }
        let mut hashes: HashSet<String> = HashSet::new();
        for part in ["cmdline", "environ", "maps"] {
            let Ok(bytes) = fs::read(p.path().join(part)) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            for needle in &needles {
                for (at, _) in text.match_indices(needle.as_str()) {
                    let rest = &text[at + needle.len()..];
                    let hash: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
                    if !hash.is_empty() {
                        hashes.insert(hash);
                    }
                }
            }
        }
        if hashes.is_empty() {
            continue;
        }
        let comm = fs::read_to_string(p.path().join("comm")).unwrap_or_default();
        let who = format!("pid {pid} ({})", comm.trim());
        for h in hashes {
            out.entry(h).or_insert_with(|| who.clone());
        }
    }
    out
}
