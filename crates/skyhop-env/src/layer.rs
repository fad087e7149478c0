//! Layer 2: the project's requirements installed on top of the base the way the image does it.
//!
//! A Runtime image runs `pip install -r requirements.txt` on top of what it holds. pip resolves
//! the requirements and what they need; an installed version is kept when it satisfies them and
//! moved (up or down, providers included) when it does not; packages the requirements do not
//! touch stay as they are. Astronomer holds Airflow itself fixed. So:
//!
//! - inputs: `apache-airflow==V` (so what Airflow needs holds) and the requirement lines
//!   (requirements.txt, then the Dockerfile's `RUN pip install` packages); the only
//!   constraint: `apache-airflow==V`; preferences: the base lock (uv keeps the versions of its
//!   output file when it can);
//! - the environment is the base with the resolved packages laid over it, and every base
//!   package whose version moved is listed ([`Layering::changed`]);
//! - a requirement whose version has no wheel for the image's Python is a finding
//!   ([`Layering::no_wheel`]) and is tested at the nearest version that has one;
//! - when the requirements cannot be resolved at all, the requirement lines at fault are found
//!   (the ones uv's explanation names, else by trying each line alone and then adding them one
//!   by one) and left out ([`Layering::left_out`]); the rest is tested.

use std::path::{Path, PathBuf};
use std::process::Command;

use skyhop_core::{Layering, Lock, NoWheel, Package, Requirement, normalize_name};

use crate::cache::{Cache, write_atomic};
use crate::explain::{self, Layer};
use crate::resolve::{EnvSpec, compile_command_annotated, read_compiled};
use crate::{EnvError, cmd, index_cache, wheels};

/// How many times the requirements are resolved again after leaving a line out or moving a
/// pin to a version with a wheel.
const ROUNDS: usize = 24;

/// How many versions with a wheel a pin without one is moved to, nearest first, before it is
/// left out.
const MOVES: usize = 4;

/// One requirement line being resolved, and where it came from.
#[derive(Debug, Clone)]
struct Line {
    /// The text given to uv.
    text: String,
    /// The text as the user wrote it.
    original: String,
    file: String,
    line: usize,
    /// Normalized package name, when the line names one.
    name: Option<String>,
    active: bool,
    /// The line's pin moved to versions with a wheel: the versions still to try, nearest first
    /// (the one in `text` is being tried).
    moved: Option<Vec<String>>,
}

/// Resolves the requirements of `spec` (the root file `requirements`, text `text`) on top of
/// `base`.
pub(crate) fn resolve_layer(
    spec: &EnvSpec,
    uv: &Path,
    cache: &Cache,
    base: &Lock,
    requirements: Option<(&Path, &str)>,
) -> Result<Lock, EnvError> {
    let locks = cache.dir("locks")?;
    let tmp = crate::cache::temp_dir_in(&locks, ".tmp-layer-")?;
    let mut lines = Vec::new();
    if let Some((path, text)) = requirements {
        let dir = path.parent().unwrap_or(Path::new("."));
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| "requirements.txt".into());
        for (i, raw) in text.lines().enumerate() {
            lines.push(Line {
                text: as_file_url(&from_image_path(
                    &absolute_refs(raw, dir),
                    &spec.image_paths,
                )),
                original: raw.trim().to_string(),
                file: file.clone(),
                line: i + 1,
                name: name_of(raw),
                active: true,
                moved: None,
            });
        }
    }
    for r in &spec.extra_requirements {
        lines.push(Line {
            text: r.requirement.clone(),
            original: r.requirement.clone(),
            file: r.file.clone(),
            line: r.line,
            name: name_of(&r.requirement),
            active: true,
            moved: None,
        });
    }
    let mut layering = Layering::default();
    if spec.airflow_pin_is_version {
        for l in &mut lines {
            if l.name.as_deref() == Some("apache-airflow") {
                l.active = false;
            }
        }
    }
    // Local files the project does not hold (a wheel the Dockerfile copies in from elsewhere):
    // the image has them, skyhop's environment cannot.
    for l in &mut lines {
        if let Some(missing) = missing_file(&l.text) {
            l.active = false;
            layering.unreachable.push(requirement_of(
                l,
                vec![format!("{} is not on this machine", missing.display())],
                format!(
                    "the image build installs the file {}:{} names; put it there (or install it from an index) to test code that imports it",
                    l.file, l.line
                ),
            ));
        }
    }
    let mut constraints = vec![spec.airflow_pin()];
    // the exclusions of versions without a wheel added by the last round, undone when they
    // make the requirements unsatisfiable (the version is then tested without a wheel: left
    // out of the venv, with its SKY503 finding)
    let mut excluded: Vec<String> = Vec::new();
    let check_wheels = spec.index_url.is_none() && !offline();
    for _round in 0..ROUNDS {
        let input = tmp.path().join("requirements.in");
        let text: String = lines
            .iter()
            .map(|l| if l.active { l.text.as_str() } else { "" })
            .collect::<Vec<_>>()
            .join("\n");
        // Airflow is an input, not only a constraint: a pin that fights what Airflow needs
        // (SQLAlchemy 2 on Airflow 2) is a conflict, as the image's fixed Airflow makes it.
        write_atomic(
            &input,
            format!("{}\n{text}\n", spec.airflow_pin()).as_bytes(),
        )?;
        let cons = tmp.path().join("constraints.txt");
        write_atomic(&cons, format!("{}\n", constraints.join("\n")).as_bytes())?;
        match compile(spec, uv, tmp.path(), base, &input, &cons)? {
            Ok(resolved) => {
                let before = constraints.len();
                if check_wheels
                    && no_wheels(
                        spec,
                        cache,
                        base,
                        &resolved,
                        &mut lines,
                        &mut constraints,
                        &mut layering,
                    )?
                {
                    excluded = constraints[before..].to_vec();
                    continue;
                }
                return Ok(overlay(base, resolved, layering));
            }
            // A pin skyhop moved to a version with a wheel does not install with the rest: the
            // move is the cause, never the user's other lines. The next nearest version is
            // tried; when none installs, the line is left out (one SKY503 finding says so).
            Err(stderr) if moved_at_fault(&lines, &stderr).is_some() => {
                let i = moved_at_fault(&lines, &stderr).unwrap_or_default();
                let name = lines[i].name.clone().unwrap_or_default();
                let tried = version_of_pin(&lines[i].text);
                if let Some(n) = layering
                    .no_wheel
                    .iter_mut()
                    .find(|n| n.requirement.name == name && n.requirement.line == lines[i].line)
                {
                    n.conflicting.extend(tried);
                }
                let next = lines[i]
                    .moved
                    .as_mut()
                    .and_then(|rest| (!rest.is_empty()).then(|| rest.remove(0)));
                match next {
                    Some(v) => lines[i].text = with_version(&lines[i].original, &v),
                    None => {
                        lines[i].active = false;
                        lines[i].moved = None;
                        if let Some(n) = layering.no_wheel.iter_mut().find(|n| {
                            n.requirement.name == name && n.requirement.line == lines[i].line
                        }) {
                            n.used = None;
                        }
                    }
                }
            }
            Err(_) if !excluded.is_empty() => {
                constraints.retain(|c| !excluded.contains(c));
                for n in &mut layering.no_wheel {
                    if excluded
                        .iter()
                        .any(|c| c.starts_with(&format!("{}==", n.requirement.name)))
                    {
                        n.used = None;
                    }
                }
                excluded.clear();
            }
            // A URL or repository skyhop cannot reach from here: not the project's fault; the
            // tests go on without it.
            Err(stderr) if unreachable_line(&lines, &stderr).is_some() => {
                let i = unreachable_line(&lines, &stderr).unwrap_or_default();
                lines[i].active = false;
                let first = explain::why_lines(&stderr)
                    .into_iter()
                    .find(|l| !l.is_empty())
                    .unwrap_or_default();
                layering.unreachable.push(requirement_of(
                    &lines[i],
                    vec![format!("skyhop could not fetch it here: {first}")],
                    format!(
                        "the image build fetches it ({}:{}); skyhop ran the tests without it, so code that needs it is not tested. Run skyhop where it can be fetched (or pass --index-url for a mirror)",
                        lines[i].file, lines[i].line
                    ),
                ));
            }
            Err(stderr) => {
                let at_fault = at_fault(spec, uv, tmp.path(), base, &lines, &stderr)?;
                if at_fault.is_empty() {
                    return Err(explain::resolution_error(
                        spec,
                        Layer::Requirements,
                        &stderr,
                        &spec.base_pins,
                        requirements,
                    )
                    .into());
                }
                for i in at_fault {
                    let err = explain::resolution_error(
                        spec,
                        Layer::Requirements,
                        &stderr,
                        &spec.base_pins,
                        Some((Path::new(&lines[i].file), &lines[i].original)),
                    );
                    lines[i].active = false;
                    let why = if err.why.is_empty() {
                        vec![format!(
                            "cannot be installed together with Airflow {} and the other requirements",
                            spec.airflow
                        )]
                    } else {
                        err.why
                    };
                    layering
                        .left_out
                        .push(requirement_of(&lines[i], why, err.what_to_do));
                }
            }
        }
    }
    Err(EnvError::NotFound(format!(
        "gave up resolving the requirements for Airflow {} after {ROUNDS} rounds",
        spec.airflow
    )))
}

fn offline() -> bool {
    skyhop_core::settings::get().offline
        || std::env::var("SKYHOP_OFFLINE").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `uv pip compile` of `input` with `constraints`, the base as preferences: the resolved
/// closure, or uv's stderr when there is no solution. From uv's cache alone when what it adds
/// or changes was fetched recently (see [`index_cache`]).
fn compile(
    spec: &EnvSpec,
    uv: &Path,
    dir: &Path,
    base: &Lock,
    input: &Path,
    constraints: &Path,
) -> Result<Result<Lock, String>, EnvError> {
    let run = |offline: bool| -> Result<(std::process::Output, PathBuf), EnvError> {
        let out = dir.join(if offline {
            "layer-offline.txt"
        } else {
            "layer.txt"
        });
        write_atomic(&out, base.to_freeze().as_bytes())?;
        let mut c: Command = compile_command_annotated(spec, uv, dir, &out);
        c.arg(input).arg("-c").arg(constraints);
        if offline {
            c.arg("--offline");
        }
        Ok((cmd::output(&mut c, "")?, out))
    };
    let custom_index = spec.index_url.is_some() || !spec.extra_index_urls.is_empty();
    if !custom_index && let Some(uv_cache) = index_cache::uv_cache_dir(uv) {
        let (output, out) = run(true)?;
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        if output.status.success() {
            let lock = read_compiled(&out, spec)?;
            let changed: Vec<&str> = lock
                .packages
                .iter()
                .filter(|p| base.version_of(&p.name) != Some(p.version.as_str()))
                .map(|p| p.name.as_str())
                .collect();
            if index_cache::pages_recent(&uv_cache, &changed) {
                return Ok(Ok(lock));
            }
        } else {
            let why = explain::why_lines(&stderr).join("\n");
            if stderr.contains("No solution found")
                && !stderr.contains("network was disabled")
                && !stderr.contains("not found in the cache")
                && index_cache::mentioned_pages_recent(&uv_cache, &why)
            {
                return Ok(Err(stderr));
            }
        }
    }
    let (output, out) = run(false)?;
    if output.status.success() {
        Ok(Ok(read_compiled(&out, spec)?))
    } else {
        Ok(Err(String::from_utf8_lossy(&output.stderr).to_string()))
    }
}

/// The active lines at fault for a failed resolution: those uv's explanation names; else each
/// line that fails alone; else, adding lines one by one, each whose addition fails.
fn at_fault(
    spec: &EnvSpec,
    uv: &Path,
    dir: &Path,
    base: &Lock,
    lines: &[Line],
    stderr: &str,
) -> Result<Vec<usize>, EnvError> {
    let why = explain::why_lines(stderr).join("\n");
    let named: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.active)
        .filter(|(_, l)| {
            l.name
                .as_deref()
                .is_some_and(|n| explain::mentions(&why, n))
        })
        .map(|(i, _)| i)
        .collect();
    // uv names both sides of a conflict between two lines: leave out one, the later
    if let Some(&i) = named.last() {
        return Ok(vec![i]);
    }
    let active: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].active && lines[i].name.is_some())
        .collect();
    if active.len() > 40 {
        return Ok(Vec::new());
    }
    let cons = dir.join("constraints.txt");
    let input = dir.join("probe.in");
    let resolves = |set: &[usize]| -> Result<bool, EnvError> {
        let text: Vec<&str> = set.iter().map(|&i| lines[i].text.as_str()).collect();
        let text = format!("{}\n{}\n", spec.airflow_pin(), text.join("\n"));
        write_atomic(&input, text.as_bytes())?;
        Ok(compile(spec, uv, dir, base, &input, &cons)?.is_ok())
    };
    let mut alone = Vec::new();
    for &i in &active {
        if !resolves(&[i])? {
            alone.push(i);
        }
    }
    if !alone.is_empty() {
        return Ok(alone);
    }
    let mut kept: Vec<usize> = Vec::new();
    let mut fault = Vec::new();
    for &i in &active {
        kept.push(i);
        if !resolves(&kept)? {
            kept.pop();
            fault.push(i);
        }
    }
    Ok(fault)
}

/// Checks every package the requirements add or move for a wheel on the image's Python; moves
/// the first ones without to the nearest version with one. Returns whether anything moved (the
/// requirements must then be resolved again).
fn no_wheels(
    spec: &EnvSpec,
    cache: &Cache,
    base: &Lock,
    resolved: &Lock,
    lines: &mut [Line],
    constraints: &mut Vec<String>,
    layering: &mut Layering,
) -> Result<bool, EnvError> {
    let candidates: Vec<&Package> = resolved
        .packages
        .iter()
        .filter(|p| p.url.is_none() && !p.version.is_empty())
        .filter(|p| base.version_of(&p.name) != Some(p.version.as_str()))
        .filter(|p| {
            !layering
                .no_wheel
                .iter()
                .any(|n| n.requirement.name == p.name && n.version == p.version)
        })
        .collect();
    // the image's Python too, when skyhop tests with another one: a version moved to must
    // have a wheel there as well, or the advice would not hold in the image
    let mut pythons = vec![spec.python.as_str()];
    if let Some(image) = spec.image_python.as_deref().filter(|p| *p != spec.python) {
        pythons.insert(0, image);
    }
    let pythons = &pythons;
    let supports: Vec<Option<wheels::WheelSupport>> = std::thread::scope(|s| {
        let handles: Vec<_> = candidates
            .chunks(candidates.len().div_ceil(8).max(1))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|p| wheels::wheel_support_all(&p.name, pythons, cache).ok())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut moved = false;
    for (p, support) in candidates.iter().zip(supports) {
        let Some(support) = support else { continue };
        // a version with a wheel is fine, and so is pure Python, which pip builds in seconds
        if !support.needs_compiler(&p.version) {
            continue;
        }
        let used = support.nearest(&p.version).map(ToString::to_string);
        let direct = lines
            .iter()
            .position(|l| l.active && l.name.as_deref() == Some(p.name.as_str()));
        let via = match direct {
            Some(_) => Vec::new(),
            None => brought_in_by(&p.name, resolved, lines),
        };
        let requirement = match direct {
            Some(i) => requirement_of(&lines[i], Vec::new(), String::new()),
            None => {
                // on the line of the requirement that brings it in, when uv says which
                let at = via.first().and_then(|top| {
                    lines
                        .iter()
                        .find(|l| l.active && l.name.as_deref() == Some(top.as_str()))
                });
                Requirement {
                    requirement: format!("{}=={}", p.name, p.version),
                    name: p.name.clone(),
                    file: at.map(|l| l.file.clone()).unwrap_or_default(),
                    line: at.map_or(0, |l| l.line),
                    ..Requirement::default()
                }
            }
        };
        if let Some(v) = &used {
            match direct.filter(|&i| lines[i].text.contains("==")) {
                // an exact pin moves to the nearest version with a wheel; the next nearest
                // ones are kept in case it does not install with the rest
                Some(i) => {
                    lines[i].text = with_version(&lines[i].text, v);
                    lines[i].moved = Some(
                        support
                            .candidates(&p.version)
                            .into_iter()
                            .skip(1)
                            .take(MOVES - 1)
                            .map(ToString::to_string)
                            .collect(),
                    );
                }
                // a package the requirements bring in goes to the nearest version with a
                // wheel too (one step: "not this version" could walk through every old one)
                None => constraints.push(format!("{}=={v}", p.name)),
            }
            moved = true;
        }
        layering.no_wheel.push(NoWheel {
            requirement,
            version: p.version.clone(),
            python: python_without_wheel(p, pythons, cache),
            tested_with: tested_with(p, pythons, cache),
            via,
            used,
            oldest: support.with_wheel.first().map(ToString::to_string),
            newest: support.with_wheel.last().map(ToString::to_string),
            conflicting: Vec::new(),
        });
    }
    Ok(moved)
}

/// The chain from a requirement line of the project down to `name` (`["astro-sdk-python",
/// "pandas", "numpy"]`), through uv's `# via` annotations of `resolved`; empty when none leads
/// to a line (the image's own packages, or no annotations).
fn brought_in_by(name: &str, resolved: &Lock, lines: &[Line]) -> Vec<String> {
    let via = &resolved.provenance.via;
    let is_line = |n: &str| {
        lines
            .iter()
            .any(|l| l.active && l.name.as_deref() == Some(n))
    };
    let mut parent: std::collections::BTreeMap<String, String> = Default::default();
    let mut queue = std::collections::VecDeque::from([name.to_string()]);
    while let Some(n) = queue.pop_front() {
        if n != name && is_line(&n) {
            let mut chain = vec![n.clone()];
            let mut at = n;
            while let Some(child) = parent.get(&at) {
                chain.push(child.clone());
                at = child.clone();
            }
            return chain;
        }
        for up in via.get(&n).into_iter().flatten() {
            if up != name && !parent.contains_key(up) {
                parent.insert(up.clone(), n.clone());
                queue.push_back(up.clone());
            }
        }
    }
    Vec::new()
}

/// The Python skyhop tests with, when it is not the image's and has a wheel of `p`'s very
/// version (the tests then install it as it is).
fn tested_with(p: &Package, pythons: &[&str], cache: &Cache) -> Option<String> {
    let tested = pythons.get(1)?;
    wheels::wheel_support(&p.name, tested, cache)
        .is_ok_and(|s| s.has(&p.version))
        .then(|| tested.to_string())
}

/// The Python a finding about `p` names: the image's, unless only the Python skyhop tests with
/// lacks a wheel (then the image would install it; skyhop could not).
fn python_without_wheel(p: &Package, pythons: &[&str], cache: &Cache) -> String {
    let image_has = pythons.len() > 1
        && wheels::wheel_support(&p.name, pythons[0], cache).is_ok_and(|s| s.has(&p.version));
    let i = usize::from(image_has);
    pythons[i.min(pythons.len() - 1)].to_string()
}

/// The base with `resolved` laid over it. No-wheel findings of packages a later round no
/// longer installs (left out with the requirement that brought them) are dropped.
fn overlay(base: &Lock, resolved: Lock, mut layering: Layering) -> Lock {
    layering
        .no_wheel
        .retain(|n| resolved.version_of(&n.requirement.name).is_some());
    // one finding per package: the version asked for first
    let mut seen = std::collections::HashSet::new();
    layering
        .no_wheel
        .retain(|n| seen.insert(n.requirement.name.clone()));
    for n in &mut layering.no_wheel {
        // what the tests really used after every round
        if n.used.is_some() {
            n.used = resolved.version_of(&n.requirement.name).map(str::to_string);
        }
    }
    let mut packages = base.packages.clone();
    for p in resolved.packages {
        match packages.iter_mut().find(|b| b.name == p.name) {
            Some(b) => {
                if b.version != p.version || b.url != p.url {
                    layering
                        .changed
                        .push((p.name.clone(), b.version.clone(), p.version.clone()));
                }
                *b = p;
            }
            None => packages.push(p),
        }
    }
    let mut provenance = resolved.provenance;
    provenance.via.clear();
    provenance.exclude_newer = base.provenance.exclude_newer.clone();
    provenance.notes = base.provenance.notes.clone();
    provenance.layering = layering;
    Lock::new(packages, provenance)
}

fn requirement_of(l: &Line, why: Vec<String>, what_to_do: String) -> Requirement {
    Requirement {
        requirement: l
            .original
            .split(" #")
            .next()
            .unwrap_or("")
            .trim()
            .to_string(),
        name: l.name.clone().unwrap_or_default(),
        file: l.file.clone(),
        line: l.line,
        why,
        what_to_do,
    }
}

/// The normalized package name a requirement line names (`pandas[sql]>=2 ; python_version>"3"`
/// → `pandas`), or the distribution name of a wheel path.
fn name_of(raw: &str) -> Option<String> {
    let line = raw.split('#').next().unwrap_or("").trim();
    if line.is_empty() || line.starts_with('-') {
        return None;
    }
    if let Some((name, _)) = line.split_once(" @ ") {
        return Some(normalize_name(name.trim()));
    }
    if line.ends_with(".whl") {
        let file = line.rsplit('/').next()?;
        return file.split('-').next().map(normalize_name);
    }
    let name: String = line
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    (!name.is_empty() && !line.starts_with('.') && !line.starts_with('/'))
        .then(|| normalize_name(&name))
}

/// An unnamed local path (`/project/libs/x`) as a `file://` URL, which uv resolves to
/// `name @ file:///...` (a bare path comes back unnamed, not as a lock line).
fn as_file_url(text: &str) -> String {
    let t = text.trim();
    let (editable, path) = match t.strip_prefix("-e ") {
        Some(p) => ("-e ", p.trim()),
        None => ("", t),
    };
    if path.starts_with('/') && !path.contains('[') {
        format!("{editable}file://{path}")
    } else {
        text.to_string()
    }
}

/// A requirement line naming a path in the image (`/tmp/x-1-py3-none-any.whl`) names the project
/// file the Dockerfile copies there instead.
fn from_image_path(text: &str, image_paths: &[(String, PathBuf)]) -> String {
    let t = text.trim();
    if !t.starts_with('/') {
        return text.to_string();
    }
    let end = t.find([' ', ';', '[']).unwrap_or(t.len());
    let (path, rest) = t.split_at(end);
    for (image, project) in image_paths.iter().rev() {
        let image = image.trim_end_matches('/');
        if path == image {
            return format!("{}{rest}", project.display());
        }
        if let Some(sub) = path.strip_prefix(&format!("{image}/")) {
            return format!("{}{rest}", project.join(sub).display());
        }
    }
    text.to_string()
}

/// `-r x.txt` / `-c x.txt` / `./pkg` relative to the requirements file, made absolute so the
/// line works from a copy elsewhere.
fn absolute_refs(raw: &str, dir: &Path) -> String {
    let t = raw.trim();
    for opt in ["-r ", "-c ", "--requirement ", "--constraint ", "-e "] {
        if let Some(rest) = t.strip_prefix(opt) {
            let p = rest.trim();
            if !p.contains("://") && !Path::new(p).is_absolute() {
                return format!("{opt}{}", dir.join(p).display());
            }
        }
    }
    if t.starts_with("./") || t.starts_with("../") {
        return dir.join(t).display().to_string();
    }
    raw.to_string()
}

/// The local file a requirement line installs from, when it is not there.
fn missing_file(text: &str) -> Option<PathBuf> {
    let t = text.split(" #").next().unwrap_or("").trim();
    let t = t.strip_prefix("-e ").unwrap_or(t);
    let path = match t.split_once(" @ ") {
        Some((_, url)) => url.strip_prefix("file://")?.to_string(),
        None if t.starts_with('/') => t.split(';').next().unwrap_or(t).trim().to_string(),
        None => t.strip_prefix("file://")?.to_string(),
    };
    let p = PathBuf::from(path);
    (!p.exists()).then_some(p)
}

/// The active line that names a URL or repository uv could not fetch, when that is why the
/// resolution failed.
fn unreachable_line(lines: &[Line], stderr: &str) -> Option<usize> {
    const FETCH: &[&str] = &[
        "Failed to fetch",
        "Git operation failed",
        "failed to clone",
        "Could not resolve host",
        "Failed to download",
        "dns error",
        "error sending request",
        "Failed to connect",
        // a project folder or file that does not build here (a file the copy lacks, a build
        // step of the image): the image has it built
        "Failed to build",
    ];
    if !FETCH.iter().any(|m| stderr.contains(m)) {
        return None;
    }
    lines.iter().position(|l| {
        l.active && {
            let url = l
                .text
                .split_once(" @ ")
                .map_or(l.text.as_str(), |(_, u)| u)
                .trim();
            let url = url.strip_prefix("git+").unwrap_or(url);
            let url = url.split(['@', '#']).next().unwrap_or(url);
            (url.contains("://") && stderr.contains(url.trim_end_matches(".git")))
                || l.text.contains("://")
                    && l.name
                        .as_deref()
                        .is_some_and(|n| explain::mentions(stderr, n))
        }
    })
}

/// The line whose pin skyhop moved to a version with a wheel that uv's explanation of a failed
/// resolution names, if any.
fn moved_at_fault(lines: &[Line], stderr: &str) -> Option<usize> {
    let why = explain::why_lines(stderr).join("\n");
    lines.iter().rposition(|l| {
        l.active
            && l.moved.is_some()
            && l.name
                .as_deref()
                .is_some_and(|n| explain::mentions(&why, n))
    })
}

/// The version of an exact pin line (`pandas[sql]==2.1.1 ; ...` → `2.1.1`).
fn version_of_pin(text: &str) -> Option<String> {
    let (_, rest) = text.split_once("==")?;
    let v: String = rest
        .trim()
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ';' && *c != ',')
        .collect();
    (!v.is_empty()).then_some(v)
}

/// `pandas[sql]==2.1.0 ; python_version >= "3"` with its version specifier replaced by
/// `==version`, extras and markers kept.
fn with_version(text: &str, version: &str) -> String {
    let (req, marker) = match text.split_once(';') {
        Some((r, m)) => (r, Some(m)),
        None => (text, None),
    };
    let req = req.split(" #").next().unwrap_or(req).trim();
    let end = req
        .find(['=', '<', '>', '!', '~', ' ', '('])
        .unwrap_or(req.len());
    let mut out = format!("{}=={version}", &req[..end]);
    if let Some(m) = marker {
        out.push_str(" ;");
        out.push_str(m);
    }
    out
}

#[cfg(test)]
mod tests;
