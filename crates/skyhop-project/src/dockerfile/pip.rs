//! `RUN pip install ...` steps of a Dockerfile: the packages they add to Airflow's environment,
//! where each non-index package comes from (a repository the build clones, a URL, a folder of
//! the project copied into the image), the constraints files they use, and what skyhop cannot
//! model (other virtual environments, files made by earlier steps).
//!
//! Paths are followed as the build sees them: `WORKDIR` (Astro Runtime images start in
//! `/usr/local/airflow`, Apache Airflow's in `/opt/airflow`), `cd` inside a `RUN`, `COPY`/`ADD`
//! from the build context (Astro Runtime images other than `-base` copy the whole project into
//! `/usr/local/airflow` before the project's own steps, by `ONBUILD`), `git clone`.

use std::path::Path;

use super::{BaseImage, Dockerfile};

/// What the final stage's `RUN` steps install into the image's Python environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipInstalls {
    /// `(line, requirement)` for every package from the index named on a `pip install` line.
    pub requirements: Vec<(usize, String)>,
    /// Packages installed from somewhere else than the index, each with where it comes from.
    pub sources: Vec<PipSource>,
    /// `(line, file or URL)` of every `--constraint` / `-c` a `pip install` uses.
    pub constraints: Vec<(usize, String)>,
    /// `(line, what)` for install steps skyhop does not model, each saying why.
    pub unmodelled: Vec<(usize, String)>,
    /// What the build copies from the project into the image, latest last: `(path in the
    /// image, path in the project, whether it is a folder)`.
    pub copied: Vec<(String, String, bool)>,
    /// `(line, project path)` of requirements files other than requirements.txt that a
    /// `pip install -r` reads, traced to the project.
    pub requirement_files: Vec<(usize, String)>,
    /// Paths in the image that `RUN` steps make (a virtual environment, a cloned repository, a
    /// folder, a downloaded file): the project does not have them, skyhop's environment does
    /// not either.
    pub made: Vec<String>,
}

impl PipInstalls {
    /// The project path (relative to its root) of a path in the image, by the latest copy that
    /// covers it.
    pub fn project_path(&self, image_path: &str) -> Option<String> {
        let copies: Vec<Copy> = self
            .copied
            .iter()
            .map(|(dst, src, dir)| Copy {
                src: src.clone(),
                dst: dst.clone(),
                dst_dir: *dir,
            })
            .collect();
        project_path(&normalize(image_path), &copies)
    }
}

/// A package a `pip install` takes from somewhere else than the package index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipSource {
    /// 1-based line of the `RUN`.
    pub line: usize,
    /// The argument as written (`./my_lib[gcp]`, `git+https://...`).
    pub written: String,
    pub kind: SourceKind,
    /// The distribution it installs, as far as the path or URL tells (`my-lib`).
    pub package: Option<String>,
}

/// Where a [`PipSource`] comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// Fetched at build time: a VCS URL (`git+https://...`, also a repository a `git clone`
    /// step fetched) or an archive URL. `requirement` is what pip / uv take for it.
    Remote { requirement: String },
    /// A file or folder of the project, copied into the image: `path` is relative to the
    /// project root (`libs/my_lib`), `extras` as written (`[gcp]`).
    Project {
        path: String,
        extras: String,
        editable: bool,
    },
    /// A path in the image skyhop cannot trace back to the project (copied from outside the
    /// build context, made by an earlier step).
    Unmapped { path: String },
}

impl PipSource {
    /// `Dockerfile:12 installs ./my_lib (from git clone https://...)`, for notes.
    pub fn describe(&self) -> String {
        match &self.kind {
            SourceKind::Remote { requirement } if requirement != &self.written => format!(
                "Dockerfile:{} installs `{}` ({requirement})",
                self.line, self.written
            ),
            SourceKind::Remote { .. } => {
                format!("Dockerfile:{} installs `{}`", self.line, self.written)
            }
            SourceKind::Project { path, .. } => format!(
                "Dockerfile:{} installs `{}` (the project's `{path}`)",
                self.line, self.written
            ),
            SourceKind::Unmapped { path } => format!(
                "Dockerfile:{} installs `{}` ({path} in the image, which skyhop cannot trace to the project)",
                self.line, self.written
            ),
        }
    }
}

/// A `COPY`/`ADD` from the build context: `src` relative to the project root, `dst` absolute in
/// the image.
#[derive(Debug, Clone)]
struct Copy {
    src: String,
    dst: String,
    /// `dst` names a directory (`/x/`, or several sources).
    dst_dir: bool,
}

/// The image paths a build step made: copies, and repositories cloned.
#[derive(Debug, Default)]
struct Context {
    workdir: String,
    copies: Vec<Copy>,
    /// `(image path, git URL with @ref)`.
    clones: Vec<(String, String)>,
    env: Vec<(String, String)>,
}

impl Dockerfile {
    /// The `pip install` packages of the final stage's `RUN` instructions (`pip`, `pip3`,
    /// `python -m pip`, `uv pip`), in order. Installs into another virtual environment (a dbt
    /// venv) are not Airflow's and are left out. `project_root`, when given, tells folders
    /// from files in `COPY` sources.
    pub fn pip_installs_in(&self, project_root: Option<&Path>) -> PipInstalls {
        let mut out = PipInstalls::default();
        let start = self.stages.last().map_or(0, |s| s.line);
        let base = self.base_image().ok().map(|b| b.base);
        let (home, onbuild_copy) = match &base {
            Some(BaseImage::AstroRuntime { suffix, .. }) => {
                ("/usr/local/airflow", !suffix.contains("base"))
            }
            Some(BaseImage::LegacyApAirflow { suffix, .. }) => {
                ("/usr/local/airflow", suffix.contains("onbuild"))
            }
            Some(BaseImage::ApacheAirflow { .. }) => ("/opt/airflow", false),
            _ => ("/", false),
        };
        let mut ctx = Context {
            workdir: home.to_string(),
            env: vec![("AIRFLOW_HOME".into(), home.to_string())],
            ..Context::default()
        };
        if onbuild_copy {
            ctx.copies.push(Copy {
                src: ".".into(),
                dst: home.to_string(),
                dst_dir: true,
            });
        }
        for e in self.final_env() {
            ctx.env.retain(|(k, _)| k != &e.key);
            ctx.env.push((e.key.clone(), e.value.clone()));
        }
        for ins in self.instructions.iter().filter(|i| i.line > start) {
            match ins.keyword.as_str() {
                "WORKDIR" => {
                    let dir = expand_vars(ins.args().trim(), &ctx.env);
                    ctx.workdir = join(&ctx.workdir, &dir);
                }
                "COPY" | "ADD" => copy_step(ins.args(), project_root, &mut ctx),
                "RUN" => run_step(ins.line, ins.args(), project_root, &mut ctx, &mut out),
                _ => {}
            }
        }
        out.copied = ctx
            .copies
            .iter()
            .map(|c| (c.dst.clone(), c.src.clone(), c.dst_dir))
            .collect();
        out
    }

    /// [`Dockerfile::pip_installs_in`] without the project folder at hand.
    pub fn pip_installs(&self) -> PipInstalls {
        self.pip_installs_in(None)
    }
}

fn copy_step(args: &str, root: Option<&Path>, ctx: &mut Context) {
    let words: Vec<String> = if args.trim_start().starts_with('[') {
        serde_json::from_str(args.trim()).unwrap_or_default()
    } else {
        shlex::split(args).unwrap_or_default()
    };
    if words.iter().any(|w| w.starts_with("--from")) {
        return; // from another stage or image, not the project
    }
    let paths: Vec<String> = words
        .into_iter()
        .filter(|w| !w.starts_with("--"))
        .map(|w| expand_vars(&w, &ctx.env))
        .collect();
    let Some((dst, srcs)) = paths.split_last() else {
        return;
    };
    let dst_dir = dst.ends_with('/') || srcs.len() > 1;
    let dst = join(&ctx.workdir, dst);
    for src in srcs {
        if src.contains("://") {
            continue;
        }
        let src = normalize(src.trim_start_matches("./"));
        let is_dir = src == "."
            || root.is_some_and(|r| r.join(&src).is_dir())
            || (root.is_none() && !src.contains('.'));
        // a file copied to `/tmp` lands in it: a destination without an extension, for a source
        // with one, is taken as the folder it goes into
        let last = |p: &str| p.rsplit('/').next().unwrap_or("").to_string();
        let into_dir = dst_dir || (last(&src).contains('.') && !last(&dst).contains('.'));
        let (dst, dst_dir) = if is_dir {
            (dst.clone(), true)
        } else if into_dir {
            (join(&dst, src.rsplit('/').next().unwrap_or(&src)), false)
        } else {
            (dst.clone(), false)
        };
        ctx.copies.push(Copy { src, dst, dst_dir });
    }
}

fn run_step(
    line: usize,
    args: &str,
    root: Option<&Path>,
    ctx: &mut Context,
    out: &mut PipInstalls,
) {
    let text = args.trim();
    let lower = text.to_ascii_lowercase();
    made_paths(text, &ctx.workdir, &ctx.env, &mut out.made);
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
    let mut cwd = ctx.workdir.clone();
    for command in text.split(['&', ';', '|']).map(str::trim) {
        let Some(words) = shlex::split(command) else {
            continue;
        };
        let words: Vec<String> = words.iter().map(|w| expand_vars(w, &ctx.env)).collect();
        match words.first().map(String::as_str) {
            Some("cd") => {
                if let Some(dir) = words.get(1) {
                    cwd = join(&cwd, dir);
                }
                continue;
            }
            Some("git") if words.get(1).is_some_and(|w| w == "clone") => {
                clone_step(&words[2..], &cwd, ctx);
                continue;
            }
            _ => {}
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
                        match project_path(&join(&cwd, f), &ctx.copies)
                            .filter(|p| root.is_none_or(|r| r.join(p).is_file()))
                        {
                            Some(p) => out.requirement_files.push((line, p)),
                            None => out
                                .unmodelled
                                .push((line, format!("installs from `{f}`: not modelled"))),
                        }
                    }
                }
                "-c" | "--constraint" => {
                    if let Some(f) = it.next() {
                        out.constraints.push((line, f.clone()));
                    }
                }
                "-i" | "--index-url" | "--extra-index-url" | "-f" | "--find-links" | "-t"
                | "--target" | "--prefix" | "--root" | "--python" => {
                    it.next();
                }
                "-e" | "--editable" => {
                    if let Some(p) = it.next() {
                        out.sources.extend(sources(line, p, true, &cwd, root, ctx));
                    }
                }
                w if w.starts_with('-') => {}
                w if w.contains("://") || w.starts_with("git+") => {
                    out.sources.extend(sources(line, w, false, &cwd, root, ctx));
                }
                w if w.starts_with('.')
                    || w.starts_with('/')
                    || w.ends_with(".whl")
                    || w.ends_with(".tar.gz")
                    || ctx
                        .clones
                        .iter()
                        .any(|(p, _)| *p == join(&cwd, strip_extras(w).0)) =>
                {
                    out.sources.extend(sources(line, w, false, &cwd, root, ctx));
                }
                w => out.requirements.push((line, w.to_string())),
            }
        }
    }
}

/// The paths a `RUN` step makes: `python -m venv DIR`, `virtualenv DIR`, `uv venv DIR`,
/// `mkdir [-p] DIR...`, `git clone URL [DIR]`, `curl -o FILE`, `wget -O FILE`, as image paths.
fn made_paths(text: &str, workdir: &str, env: &[(String, String)], out: &mut Vec<String>) {
    let mut cwd = workdir.to_string();
    for command in text.split(['&', ';', '|']).map(str::trim) {
        let Some(words) = shlex::split(command) else {
            continue;
        };
        let words: Vec<String> = words.iter().map(|w| expand_vars(w, env)).collect();
        let args: Vec<&String> = words
            .iter()
            .skip(1)
            .filter(|w| !w.starts_with('-'))
            .collect();
        let first = words.first().map(|w| w.rsplit('/').next().unwrap_or(w));
        let mut add = |p: &str| {
            let p = join(&cwd, p);
            if !out.contains(&p) {
                out.push(p);
            }
        };
        match first {
            Some("cd") => {
                if let Some(d) = words.get(1) {
                    cwd = join(&cwd, d);
                }
            }
            Some(p) if p.starts_with("python") && words.get(1).is_some_and(|w| w == "-m") => {
                if words
                    .get(2)
                    .is_some_and(|w| w == "venv" || w == "virtualenv")
                    && let Some(dir) = words.iter().skip(3).find(|w| !w.starts_with('-'))
                {
                    add(dir);
                }
            }
            Some("virtualenv") => {
                if let Some(dir) = args.first() {
                    add(dir);
                }
            }
            Some("uv") if words.get(1).is_some_and(|w| w == "venv") => {
                if let Some(dir) = words.iter().skip(2).find(|w| !w.starts_with('-')) {
                    add(dir);
                }
            }
            Some("mkdir") => {
                for dir in &args {
                    add(dir);
                }
            }
            Some("git") if words.get(1).is_some_and(|w| w == "clone") => {
                let positional: Vec<&&String> = args.iter().skip(1).collect();
                if let Some(dir) = positional.get(1) {
                    add(dir);
                }
            }
            // dbt writes its artifacts into the project it runs on: `target/` (the manifest
            // a DAG may read) and, for `dbt deps`, `dbt_packages/`
            Some("dbt") => {
                let value = |flag: &str| {
                    words
                        .iter()
                        .position(|w| w == flag)
                        .and_then(|i| words.get(i + 1))
                };
                let project = value("--project-dir").map_or(".", |d| d.as_str());
                let made = match words.get(1).map(String::as_str) {
                    Some("deps") => Some("dbt_packages".to_string()),
                    Some(
                        "parse" | "compile" | "build" | "run" | "ls" | "list" | "docs" | "seed"
                        | "test" | "snapshot",
                    ) => Some(
                        value("--target-path").map_or_else(|| "target".to_string(), String::clone),
                    ),
                    _ => None,
                };
                if let Some(dir) = made {
                    add(&join(&join(&cwd, project), &dir));
                }
            }
            Some("curl" | "wget") => {
                let flag = if first == Some("curl") { "-o" } else { "-O" };
                if let Some(i) = words.iter().position(|w| w == flag)
                    && let Some(file) = words.get(i + 1)
                {
                    add(file);
                }
            }
            _ => {}
        }
    }
}

/// `git clone [options] URL [dir]`: the repository lands in `dir` (or its name) under `cwd`.
fn clone_step(args: &[String], cwd: &str, ctx: &mut Context) {
    let mut positional = Vec::new();
    let mut branch = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-b" | "--branch" => branch = it.next().cloned(),
            "--depth" | "--origin" | "-o" | "--reference" | "--config" | "-c" | "--filter" => {
                it.next();
            }
            a if a.starts_with('-') => {}
            a => positional.push(a.to_string()),
        }
    }
    let Some(url) = positional.first() else {
        return;
    };
    let name = url
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .next()
        .unwrap_or("")
        .trim_end_matches(".git")
        .to_string();
    let dir = positional.get(1).cloned().unwrap_or(name);
    let mut vcs = if url.starts_with("git+") {
        url.clone()
    } else {
        format!("git+{url}")
    };
    if let Some(b) = branch {
        vcs.push('@');
        vcs.push_str(&b);
    }
    ctx.clones.push((join(cwd, &dir), vcs));
}

/// Where a `pip install` argument comes from.
fn source(
    line: usize,
    written: &str,
    editable: bool,
    cwd: &str,
    root: Option<&Path>,
    ctx: &Context,
) -> PipSource {
    let package = package_of(written);
    if written.contains("://") || written.starts_with("git+") {
        return PipSource {
            line,
            written: written.to_string(),
            kind: SourceKind::Remote {
                requirement: written.to_string(),
            },
            package,
        };
    }
    let (path, extras) = strip_extras(written);
    let image_path = join(cwd, path);
    if let Some((clone_path, vcs)) = ctx
        .clones
        .iter()
        .rev()
        .find(|(p, _)| image_path == *p || image_path.starts_with(&format!("{p}/")))
    {
        let sub = image_path[clone_path.len()..].trim_start_matches('/');
        let mut requirement = vcs.clone();
        if !sub.is_empty() {
            requirement.push_str(&format!("#subdirectory={sub}"));
        }
        return PipSource {
            line,
            written: written.to_string(),
            kind: SourceKind::Remote { requirement },
            package: package.or_else(|| package_of(vcs)),
        };
    }
    let kind = match project_path(&image_path, &ctx.copies) {
        Some(path) if root.is_none_or(|r| r.join(&path).exists()) || path.ends_with(".whl") => {
            SourceKind::Project {
                path,
                extras: extras.to_string(),
                editable,
            }
        }
        _ => SourceKind::Unmapped { path: image_path },
    };
    // a folder's distribution is the one its packaging metadata names
    let package = match (&kind, root) {
        (SourceKind::Project { path, .. }, Some(r)) if r.join(path).is_dir() => {
            project_name(&r.join(path)).or(package)
        }
        _ => package,
    };
    PipSource {
        line,
        written: written.to_string(),
        kind,
        package,
    }
}

/// [`source`], with a wildcard in the last component (`/usr/local/airflow/include/*.whl`)
/// expanded against the project's files: one source each; none when nothing matches (an
/// unmapped source saying so).
fn sources(
    line: usize,
    written: &str,
    editable: bool,
    cwd: &str,
    root: Option<&Path>,
    ctx: &Context,
) -> Vec<PipSource> {
    let (path, extras) = strip_extras(written);
    if !path.contains(['*', '?']) || written.contains("://") {
        return vec![source(line, written, editable, cwd, root, ctx)];
    }
    let image_path = join(cwd, path);
    let (dir, pattern) = image_path.rsplit_once('/').unwrap_or(("", &image_path));
    let matches: Vec<String> = match (project_path(dir, &ctx.copies), root) {
        (Some(local), Some(r)) => std::fs::read_dir(r.join(&local))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| wildcard(pattern, name))
            .collect(),
        _ => Vec::new(),
    };
    if matches.is_empty() {
        return vec![PipSource {
            line,
            written: written.to_string(),
            kind: SourceKind::Unmapped {
                path: format!("{image_path} (no file of the project matches it)"),
            },
            package: None,
        }];
    }
    let mut names = matches;
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let one = format!("{dir}/{name}{extras}");
            PipSource {
                written: written.to_string(),
                ..source(line, &one, editable, cwd, root, ctx)
            }
        })
        .collect()
}

/// `*` and `?` matching of a file name.
fn wildcard(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

/// The distribution name a project folder's packaging metadata declares: `pyproject.toml`'s
/// `[project] name` (or `[tool.poetry] name`), `setup.cfg`'s `[metadata] name`, or a literal
/// `name=` in `setup.py`.
fn project_name(dir: &Path) -> Option<String> {
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
    let in_section = |text: &str, sections: &[&str]| -> Option<String> {
        let mut inside = false;
        for line in text.lines() {
            let t = line.trim();
            if t.starts_with('[') {
                inside = sections.contains(&t);
                continue;
            }
            if inside
                && let Some((k, v)) = t.split_once('=')
                && k.trim() == "name"
            {
                let v = v
                    .split('#')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches(['"', '\'']);
                if !v.is_empty() {
                    return Some(skyhop_core::normalize_name(v));
                }
            }
        }
        None
    };
    if let Some(t) = read("pyproject.toml")
        && let Some(n) = in_section(&t, &["[project]", "[tool.poetry]"])
    {
        return Some(n);
    }
    if let Some(t) = read("setup.cfg")
        && let Some(n) = in_section(&t, &["[metadata]"])
    {
        return Some(n);
    }
    let setup = read("setup.py")?;
    let at = setup.find("name=").or_else(|| setup.find("name ="))?;
    let rest = setup[at..].split_once('=')?.1.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value: String = rest[1..].chars().take_while(|c| *c != quote).collect();
    (!value.is_empty()).then(|| skyhop_core::normalize_name(&value))
}

/// The project file an image path was copied from, by the latest copy that covers it.
fn project_path(image_path: &str, copies: &[Copy]) -> Option<String> {
    for c in copies.iter().rev() {
        if c.dst_dir {
            if image_path == c.dst {
                return Some(c.src.clone());
            }
            if let Some(rel) = image_path.strip_prefix(&format!("{}/", c.dst.trim_end_matches('/')))
            {
                return Some(if c.src == "." {
                    rel.to_string()
                } else {
                    format!("{}/{rel}", c.src)
                });
            }
        } else if image_path == c.dst {
            return Some(c.src.clone());
        }
    }
    None
}

/// `./lib[gcp,aws]` → (`./lib`, `[gcp,aws]`).
fn strip_extras(word: &str) -> (&str, &str) {
    match word.find('[') {
        Some(i) if word.ends_with(']') => (&word[..i], &word[i..]),
        _ => (word, ""),
    }
}

/// `$VAR` and `${VAR}` of `env` replaced (unknown ones left as written).
pub fn expand_vars(word: &str, env: &[(String, String)]) -> String {
    let mut out = word.to_string();
    for (k, v) in env.iter().rev() {
        out = out.replace(&format!("${{{k}}}"), v);
        let plain = format!("${k}");
        let mut i = 0;
        while let Some(at) = out[i..].find(&plain).map(|p| p + i) {
            let end = at + plain.len();
            if out[end..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                i = end;
                continue;
            }
            out.replace_range(at..end, v);
            i = at + v.len();
        }
    }
    out
}

/// `path` joined to the directory `base` (when relative), `.` and `..` resolved.
fn join(base: &str, path: &str) -> String {
    if path.starts_with('/') {
        normalize(path)
    } else {
        normalize(&format!("{}/{path}", base.trim_end_matches('/')))
    }
}

/// `/a/./b/../c/` → `/a/c` (relative paths stay relative).
fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
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
    let t = target.split(['#', '[']).next().unwrap_or(target);
    let t = t
        .split('@')
        .next()
        .filter(|_| !t.contains("://"))
        .unwrap_or(t);
    let t = t.trim_end_matches('/');
    let last = t.rsplit('/').next()?;
    let last = last.split('@').next().unwrap_or(last);
    let last = last.strip_suffix(".git").unwrap_or(last);
    let name = if last.ends_with(".whl") || last.ends_with(".tar.gz") || last.ends_with(".zip") {
        last.split('-').next()?
    } else {
        last
    };
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
mod tests;
