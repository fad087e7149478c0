//! `RUN pip install ...` steps of a Dockerfile: the packages they add to Airflow's environment,
//! and what skyhop cannot model (local paths, VCS checkouts, other virtual environments).

use super::Dockerfile;

/// What the final stage's `RUN` steps install into the image's Python environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipInstalls {
    /// `(line, requirement)` for every package named on a `pip install` command line.
    pub requirements: Vec<(usize, String)>,
    /// `(line, what)` for install steps skyhop does not model, each saying why.
    pub unmodelled: Vec<(usize, String)>,
    /// `(line, name)`: the package a step skyhop does not model installs, as far as its path
    /// or URL tells (`./astronomer_cosmos[dbt-postgres]` → `astronomer-cosmos`).
    pub unmodelled_packages: Vec<(usize, String)>,
}

impl Dockerfile {
    /// The `pip install` packages of the final stage's `RUN` instructions (`pip`, `pip3`,
    /// `python -m pip`, `uv pip`), in order. Installs into another virtual environment (a dbt
    /// venv) are not Airflow's and are left out; local paths, VCS URLs, `-r` files other than
    /// requirements.txt and `git clone` steps are listed as not modelled.
    pub fn pip_installs(&self) -> PipInstalls {
        let mut out = PipInstalls::default();
        let start = self.stages.last().map_or(0, |s| s.line);
        for ins in self
            .instructions
            .iter()
            .filter(|i| i.keyword == "RUN" && i.line > start)
        {
            run_step(ins.line, ins.args(), &mut out);
        }
        out
    }
}

fn run_step(line: usize, args: &str, out: &mut PipInstalls) {
    let text = args.trim();
    let lower = text.to_ascii_lowercase();
    // a separate virtual environment (dbt's, say) is not Airflow's
    if lower.contains(" venv ") || lower.contains("virtualenv") || lower.contains("/activate") {
        if lower.contains("pip install") {
            out.unmodelled.push((
                line,
                "installs into a separate virtual environment, not Airflow's: left out".into(),
            ));
        }
        return;
    }
    for command in text.split(['&', ';', '|']).map(str::trim) {
        let Some(words) = shlex::split(command) else {
            continue;
        };
        if words.first().is_some_and(|w| w == "git") && words.get(1).is_some_and(|w| w == "clone") {
            out.unmodelled.push((
                line,
                "clones a repository at build time: what it installs is not modelled".into(),
            ));
            continue;
        }
        let Some(at) = install_at(&words) else {
            continue;
        };
        let mut it = words[at..].iter();
        while let Some(w) = it.next() {
            match w.as_str() {
                "-r" | "--requirement" => {
                    if let Some(f) = it.next()
                        && !f.ends_with("requirements.txt")
                    {
                        out.unmodelled
                            .push((line, format!("installs from `{f}`: not modelled")));
                    }
                }
                "-c" | "--constraint" | "-i" | "--index-url" | "--extra-index-url" | "-f"
                | "--find-links" | "-t" | "--target" | "--prefix" | "--root" | "--python" => {
                    it.next();
                }
                "-e" | "--editable" => {
                    if let Some(p) = it.next() {
                        out.unmodelled.push((
                            line,
                            format!("installs `{p}` in editable mode: not modelled"),
                        ));
                        out.unmodelled_packages
                            .extend(package_of(p).map(|n| (line, n)));
                    }
                }
                w if w.starts_with('-') => {}
                w if w.contains("://") || w.starts_with("git+") => {
                    out.unmodelled
                        .push((line, format!("installs `{w}` from a URL: not modelled")));
                    out.unmodelled_packages
                        .extend(package_of(w).map(|n| (line, n)));
                }
                w if w.starts_with('.') || w.starts_with('/') || w.ends_with(".whl") => {
                    out.unmodelled
                        .push((line, format!("installs the local path `{w}`: not modelled")));
                    out.unmodelled_packages
                        .extend(package_of(w).map(|n| (line, n)));
                }
                w => out.requirements.push((line, w.to_string())),
            }
        }
    }
}

/// The package a path or URL installs, from its last component: `#egg=name`, a wheel's
/// distribution name, or the directory / repository name (extras and `.git` dropped).
fn package_of(target: &str) -> Option<String> {
    if let Some((_, egg)) = target.split_once("#egg=") {
        return Some(skyhop_core::normalize_name(
            egg.split('&').next().unwrap_or(egg),
        ));
    }
    let t = target
        .split('[')
        .next()
        .unwrap_or(target)
        .trim_end_matches('/');
    let last = t.rsplit('/').next()?;
    let last = last.strip_suffix(".git").unwrap_or(last);
    let name = if last.ends_with(".whl") || last.ends_with(".tar.gz") {
        last.split('-').next()?
    } else {
        last
    };
    let name = name.split('@').next().unwrap_or(name);
    (!name.is_empty() && name != "." && name != "..").then(|| skyhop_core::normalize_name(name))
}

/// Where the arguments of a `pip install` start in `words`, if it is one.
fn install_at(words: &[String]) -> Option<usize> {
    let base = |w: &str| w.rsplit('/').next().unwrap_or(w).to_string();
    let first = words
        .iter()
        .position(|w| !w.contains('=') || w.starts_with('-'))?;
    let w: Vec<String> = words[first..].iter().map(|w| base(w)).collect();
    let is = |i: usize, s: &str| w.get(i).is_some_and(|x| x == s);
    let pip_at = if is(0, "pip") || is(0, "pip3") {
        Some(1)
    } else if w.first().is_some_and(|x| x.starts_with("python")) && is(1, "-m") && is(2, "pip") {
        Some(3)
    } else if is(0, "uv") && is(1, "pip") {
        Some(2)
    } else {
        None
    }?;
    is(pip_at, "install").then_some(first + pip_at + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &str) -> PipInstalls {
        let mut out = PipInstalls::default();
        run_step(7, args, &mut out);
        out
    }

    #[test]
    fn reads_pip_install_steps() {
        let r = run("pip install --no-cache-dir 'pandas==2.1.0' requests && echo ok");
        assert_eq!(
            r.requirements,
            [
                (7, "pandas==2.1.0".to_string()),
                (7, "requests".to_string())
            ]
        );
        let r = run("python -m pip install --user -r requirements.txt dbt-core==1.8.0");
        assert_eq!(r.requirements, [(7, "dbt-core==1.8.0".to_string())]);
        assert!(r.unmodelled.is_empty());
        let r = run("uv pip install --system ./cosmos");
        assert!(r.requirements.is_empty());
        assert_eq!(r.unmodelled.len(), 1);
        let r = run(
            "python -m venv dbt_venv && source dbt_venv/bin/activate && pip install dbt-bigquery && deactivate",
        );
        assert!(r.requirements.is_empty());
        assert!(r.unmodelled[0].1.contains("separate virtual environment"));
        let r = run("git clone https://example.invalid/x.git && pip install -e x");
        assert_eq!(r.unmodelled.len(), 2);
        assert_eq!(r.unmodelled_packages, [(7, "x".to_string())]);
        let r = run("pip install -e \"${AIRFLOW_HOME}/astronomer_cosmos[dbt-postgres]\"");
        assert_eq!(
            r.unmodelled_packages,
            [(7, "astronomer-cosmos".to_string())]
        );
        assert!(run("apt-get install -y pip").requirements.is_empty());
    }
}
