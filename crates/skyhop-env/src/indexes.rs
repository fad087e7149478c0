//! The package indexes a machine is configured for, as pip and uv read them: `UV_DEFAULT_INDEX`
//! / `UV_INDEX_URL` / `PIP_INDEX_URL` and `UV_EXTRA_INDEX_URL` / `PIP_EXTRA_INDEX_URL` from the
//! environment, else pip's configuration files (`PIP_CONFIG_FILE`, or the global, user and
//! virtualenv `pip.conf`, later ones winning, `[global]` then `[install]`). Behind a proxy or
//! mirror, skyhop resolves from where the machine's pip would install.

use std::path::{Path, PathBuf};

use crate::Indexes;

/// The indexes of this machine's environment and pip configuration.
pub fn environment_indexes() -> Indexes {
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let conf = pip_conf(&pip_conf_files());
    let index_url = var(&["UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"])
        .map(|v| v.trim().to_string())
        .or(conf.index_url);
    let extra_index_urls = match var(&["UV_EXTRA_INDEX_URL", "PIP_EXTRA_INDEX_URL"]) {
        Some(v) => v.split_whitespace().map(str::to_string).collect(),
        None => conf.extra_index_urls,
    };
    Indexes {
        index_url,
        extra_index_urls,
    }
}

/// pip's configuration files that exist, lowest priority first.
fn pip_conf_files() -> Vec<PathBuf> {
    if let Some(f) = std::env::var_os("PIP_CONFIG_FILE") {
        return vec![PathBuf::from(f)];
    }
    let mut files = vec![
        PathBuf::from("/etc/xdg/pip/pip.conf"),
        PathBuf::from("/etc/pip.conf"),
    ];
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        files.push(home.join(".pip/pip.conf"));
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".config"));
        files.push(config.join("pip/pip.conf"));
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        files.push(Path::new(&venv).join("pip.conf"));
    }
    files.into_iter().filter(|f| f.is_file()).collect()
}

/// `index-url` and `extra-index-url` of pip configuration `files` (INI; a later file and the
/// `[install]` section win; values may continue on indented lines).
fn pip_conf(files: &[PathBuf]) -> Indexes {
    let mut out = Indexes::default();
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for section in ["global", "install"] {
            if let Some(v) = ini_value(&text, section, "index-url") {
                out.index_url = v.split_whitespace().next().map(str::to_string);
            }
            if let Some(v) = ini_value(&text, section, "extra-index-url") {
                out.extra_index_urls = v.split_whitespace().map(str::to_string).collect();
            }
        }
    }
    out
}

/// The value of `key` in `[section]` of an INI text, continuation lines joined by newlines.
fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut in_section = false;
    let mut value: Option<String> = None;
    let mut continuing = false;
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            in_section = name.trim() == section;
            continuing = false;
            continue;
        }
        if continuing && !trimmed.is_empty() && line.starts_with([' ', '\t']) {
            if let Some(v) = value.as_mut() {
                v.push('\n');
                v.push_str(trimmed);
            }
            continue;
        }
        continuing = false;
        if !in_section {
            continue;
        }
        if let Some((k, v)) = trimmed.split_once(['=', ':'])
            && k.trim().replace('_', "-") == key
        {
            value = Some(v.trim().to_string());
            continuing = true;
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pip_conf() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.conf");
        let b = dir.path().join("b.conf");
        std::fs::write(
            &a,
            "[global]\nindex-url = https://mirror.example/simple\nextra-index-url =\n    https://one.example/simple\n    https://two.example/simple\ntimeout = 60\n",
        )
        .unwrap();
        std::fs::write(
            &b,
            "# later file wins\n[install]\nindex_url: https://proxy.example/pypi/simple\n",
        )
        .unwrap();
        let only_a = pip_conf(std::slice::from_ref(&a));
        assert_eq!(
            only_a.index_url.as_deref(),
            Some("https://mirror.example/simple")
        );
        assert_eq!(
            only_a.extra_index_urls,
            ["https://one.example/simple", "https://two.example/simple"]
        );
        let both = pip_conf(&[a, b]);
        assert_eq!(
            both.index_url.as_deref(),
            Some("https://proxy.example/pypi/simple")
        );
        assert_eq!(both.extra_index_urls.len(), 2);
    }
}
