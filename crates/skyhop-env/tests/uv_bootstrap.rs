//! skyhop installs its pinned uv into its own cache when none of that version is on PATH.

use skyhop_env::{Cache, UV_VERSION, uv};

#[test]
fn installs_the_pinned_uv_into_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(dir.path());
    let path = uv(&cache).unwrap();
    // either the right uv on PATH, or one installed into the cache
    if path.starts_with(dir.path()) {
        assert_eq!(path, dir.path().join(format!("uv-{UV_VERSION}/bin/uv")));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
    let out = std::process::Command::new(&path)
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("uv {UV_VERSION}")));
    // second call: found without installing again
    let start = std::time::Instant::now();
    assert_eq!(uv(&cache).unwrap(), path);
    assert!(start.elapsed().as_millis() < 500);
}
