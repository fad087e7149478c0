//! `skyhop upgrade --fix`: the base image upgraded, then the project fixed for the target round
//! after round (check and parse test under the target, every fix the findings carry, again)
//! until a round fixes nothing. All of it happens in a scratch copy of the project; only at
//! the end ([`write`]) are the changed files written to the project, each atomically.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use skyhop_core::{Finding, Severity, Source};
use skyhop_project::{Project, write_atomic};

use crate::base::{Prepare, Prepared, prepare};
use crate::envs;
use crate::settings;
use crate::steps as lint;
use crate::target::{self, Ctx, Pinned};
use crate::{Backend, Failure, TargetArgs, exit};

/// Rounds of fix → test before giving up on converging.
const MAX_ROUNDS: usize = 6;

/// One evaluation of the project under the target: every finding and the parse test.
pub struct Eval {
    findings: Vec<Finding>,
    report: Option<skyhop_parse::ParseReport>,
    lock: Option<skyhop_core::Lock>,
    index: Option<skyhop_check::ApiIndex>,
}

impl Eval {
    /// DAG files that import, of all parsed.
    pub fn importing(&self) -> (usize, usize) {
        self.report.as_ref().map_or((0, 0), |r| {
            (r.files.iter().filter(|f| f.ok).count(), r.files.len())
        })
    }

    /// DAG files that fail to import.
    pub fn failing(&self) -> BTreeSet<String> {
        self.report.as_ref().map_or_else(BTreeSet::new, |r| {
            r.files
                .iter()
                .filter(|f| !f.ok)
                .map(|f| f.path.clone())
                .collect()
        })
    }

    /// Findings (not infos) by rule.
    pub fn by_rule(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for f in &self.findings {
            if f.severity != Severity::Info {
                *m.entry(f.rule.clone()).or_default() += 1;
            }
        }
        m
    }
}

/// One change made to a file of the project, for the finding of `rule`.
#[derive(Debug, Clone)]
pub struct Change {
    pub path: String,
    pub line: u32,
    pub rule: String,
    pub safe: bool,
    pub what: String,
}

/// The outcome of fixing one hop.
pub struct HopResult {
    pub before: Eval,
    pub after: Eval,
    pub changes: Vec<Change>,
    /// Original text of each changed file (relative path) and its new text.
    pub files: BTreeMap<String, (Option<String>, String)>,
    pub rounds: usize,
    pub notes: Vec<String>,
    /// Edits taken back because a file that imported failed with them: the changes of the
    /// edit, and the error it caused (left for a person).
    pub taken_back: Vec<TakenBack>,
}

/// A fix the loop made, tested and took back: with it, a file that imported failed.
#[derive(Debug, Clone)]
pub struct TakenBack {
    /// The file the edit changed.
    pub path: String,
    /// What the edit did.
    pub changes: Vec<Change>,
    /// The file that failed with it, and its error.
    pub broke: String,
    pub error: String,
}

/// How to fix.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Also make the unsafe fixes.
    pub unsafe_fixes: bool,
    /// Allow a deprecated / end-of-maintenance target.
    pub allow_deprecated: bool,
}

/// One hop fixed: from `current` to `new`.
pub struct Hop {
    pub current: Pinned,
    pub new: Pinned,
    pub result: HopResult,
}

/// What [`fix_hops`] says while it works.
pub enum HopEvent<'a> {
    /// A hop starts: the catalog's plan for it (what `skyhop upgrade` shows: considerations,
    /// Python changes) and what is said besides (notes of the base-image rewrite, the
    /// versions the hop goes between).
    Started { plan: String, said: String },
    /// A hop is fixed and tested ([`render_hop`] is its text).
    Finished(&'a Hop),
    /// The next hop is not made: files that imported fail now.
    Stopped(String),
}

/// A file of the project the fixes change: its bytes now (`None`: new file) and after.
pub struct ChangedFile {
    pub path: String,
    pub old: Option<Vec<u8>>,
    pub new: Vec<u8>,
}

/// Every hop fixed, and what that changes in the project (nothing is written yet).
pub struct Fixed {
    pub hops: Vec<Hop>,
    pub changed: Vec<ChangedFile>,
}

impl Fixed {
    /// The unified diff of every changed file, paths relative to the project.
    pub fn diff(&self) -> String {
        self.changed
            .iter()
            .map(|c| {
                skyhop_project::unified_diff(
                    &String::from_utf8_lossy(c.old.as_deref().unwrap_or_default()),
                    &String::from_utf8_lossy(&c.new),
                    &c.path,
                )
            })
            .collect()
    }

    /// 0 when every DAG file imports under the last target, else 1.
    pub fn verdict(&self) -> u8 {
        match self.hops.last() {
            Some(h) if h.result.after.failing().is_empty() => exit::OK,
            _ => exit::FINDINGS,
        }
    }
}

/// Fixes the project hop by hop (one hop without a plan), in one scratch copy; each hop is
/// tested before the next, and a hop after which files that imported fail is the last.
/// Nothing is written to the project: [`write`] does that with [`Fixed::changed`].
pub fn fix_hops(
    ctx: &Ctx,
    project: &Project,
    hops: &[TargetArgs],
    opts: &Options,
    on_event: &mut dyn FnMut(HopEvent<'_>),
) -> Result<Fixed, Failure> {
    let scratch = tempfile::Builder::new()
        .prefix("skyhop-fix-")
        .tempdir()
        .map_err(|e| Failure::usage(format!("cannot make a scratch directory: {e}")))?;
    let work = scratch.path().join("project");
    copy_project(&project.root, &work)
        .map_err(|e| Failure::usage(format!("cannot copy the project to fix it: {e}")))?;
    let mut done: Vec<Hop> = Vec::new();
    for hop in hops {
        let here = Project::load(&work).map_err(|e| Failure::usage(e.to_string()))?;
        let current = target::current(ctx, &here)?;
        let new = target::from_args(ctx, hop)?
            .ok_or_else(|| Failure::usage("say which version to upgrade to"))?;
        // 1. The base image, as `skyhop upgrade` does.
        let before_docker = here.dockerfile.as_ref().map(|d| d.text().to_string());
        let mut said = String::new();
        let mut shown_plan = String::new();
        match prepare(hop, opts.allow_deprecated, &here)? {
            Prepare::Ready(p) => {
                let Prepared { plan, rewrite } = *p;
                shown_plan = plan.render();
                for note in &rewrite.notes {
                    said.push_str(&format!("note: {note}\n"));
                }
                write_atomic(&here.dockerfile_path(), rewrite.text.as_bytes())
                    .map_err(|e| Failure::usage(format!("Dockerfile: {e}")))?;
            }
            Prepare::NothingToDo(why) => said.push_str(&format!("{why}\n")),
        }
        said.push_str(&format!(
            "skyhop upgrade --fix: {} -> {}\n",
            current.describe(),
            new.describe()
        ));
        on_event(HopEvent::Started {
            plan: shown_plan,
            said,
        });
        let mut result = fix_loop(ctx, &work, &current, &new, opts.unsafe_fixes)?;
        let after_docker = std::fs::read_to_string(work.join("Dockerfile")).ok();
        if before_docker != after_docker
            && let Some(after) = after_docker
        {
            result
                .files
                .entry("Dockerfile".into())
                .or_insert((before_docker, String::new()))
                .1 = after;
        }
        let regressions: Vec<String> = result
            .after
            .failing()
            .difference(&result.before.failing())
            .cloned()
            .collect();
        let hop_done = Hop {
            current,
            new,
            result,
        };
        on_event(HopEvent::Finished(&hop_done));
        done.push(hop_done);
        if !regressions.is_empty() && hops.len() > 1 {
            on_event(HopEvent::Stopped(format!(
                "stopping before the next hop: files that imported fail now: {}",
                regressions.join(", ")
            )));
            break;
        }
    }

    // What changed, relative to the project as it is now.
    let mut changed = Vec::new();
    let mut paths: BTreeSet<String> = BTreeSet::new();
    for h in &done {
        paths.extend(h.result.files.keys().cloned());
    }
    for rel in paths {
        let new = std::fs::read(work.join(&rel)).unwrap_or_default();
        let old = std::fs::read(project.root.join(&rel)).ok();
        if old.as_deref() != Some(&new[..]) {
            changed.push(ChangedFile {
                path: rel,
                old,
                new,
            });
        }
    }
    Ok(Fixed {
        hops: done,
        changed,
    })
}

/// Writes the changed files into the project, each atomically; refuses (writing nothing) when
/// a file changed since skyhop read it.
pub fn write(project: &Project, changed: &[ChangedFile]) -> Result<(), Failure> {
    for c in changed {
        let now = std::fs::read(project.root.join(&c.path)).ok();
        if now != c.old {
            return Err(Failure::usage(format!(
                "{}: changed while skyhop was fixing it; nothing written, run it again",
                c.path
            )));
        }
    }
    for c in changed {
        let path = project.root.join(&c.path);
        write_atomic(&path, &c.new)
            .map_err(|e| Failure::usage(format!("{}: cannot write: {e}", path.display())))?;
    }
    Ok(())
}

/// Checks and parse-tests `work` under `new`, fixes, and again, while a round changes files.
fn fix_loop(
    ctx: &Ctx,
    work: &Path,
    current: &Pinned,
    new: &Pinned,
    unsafe_fixes: bool,
) -> Result<HopResult, Failure> {
    let mut before: Option<Eval> = None;
    let mut changes = Vec::new();
    let mut files: BTreeMap<String, (Option<String>, String)> = BTreeMap::new();
    let mut notes = Vec::new();
    let mut rounds = 0;
    let mut taken_back: Vec<TakenBack> = Vec::new();
    // files whose edit was taken back: never edited again in this hop
    let mut untouchable: BTreeSet<String> = BTreeSet::new();
    // the edits of the last round, with the text each file had before it
    let mut last_round: Vec<(FileEdit, String)> = Vec::new();
    // What the project has today: a package other than a provider is added to
    // requirements.txt only when the current environment has it (the image dropped it), never
    // on a guess from a module name.
    let today: BTreeSet<String> = Project::load(work)
        .ok()
        .and_then(|p| envs::lock(ctx, current, Some(&p), Backend::Uv, None).ok())
        .map(|l| {
            l.packages
                .iter()
                .map(|p| skyhop_core::normalize_name(&p.name))
                .collect()
        })
        .unwrap_or_default();
    let mut previous: Option<Eval> = None;
    loop {
        let project = Project::load(work).map_err(|e| Failure::usage(e.to_string()))?;
        let mut eval = evaluate(ctx, &project, current, new, &mut notes)?;
        // A fix is a claim too: a file that imported before the last round and fails now
        // has the round's edits taken back one by one until it imports again.
        if let Some(prev) = &previous {
            let reverted = take_back(
                ctx,
                work,
                current,
                new,
                prev,
                &mut eval,
                &mut last_round,
                &mut notes,
            )?;
            for t in reverted {
                untouchable.insert(t.path.clone());
                changes.retain(|c| !t.changes.iter().any(|r| same_change(c, r)));
                restore_record(&mut files, &t.path, work);
                taken_back.push(t);
            }
        }
        if rounds >= MAX_ROUNDS {
            notes.push(format!(
                "stopped after {MAX_ROUNDS} rounds of fixes: what is left may need another run"
            ));
            return Ok(finish(
                before, eval, changes, files, rounds, notes, taken_back,
            ));
        }
        let edits = plan_edits(ctx, &project, &eval, new, &today, unsafe_fixes, &mut notes);
        let fresh: Vec<FileEdit> = edits
            .into_iter()
            .filter(|e| e.new != e.old && !untouchable.contains(&e.path))
            .collect();
        if fresh.is_empty() {
            return Ok(finish(
                before, eval, changes, files, rounds, notes, taken_back,
            ));
        }
        last_round.clear();
        for e in fresh {
            let path = work.join(&e.path);
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let had = std::fs::read_to_string(&path).unwrap_or_default();
            write_atomic(&path, e.new.as_bytes())
                .map_err(|err| Failure::usage(format!("{}: {err}", e.path)))?;
            files
                .entry(e.path.clone())
                .or_insert((e.old_file.clone(), String::new()))
                .1 = e.new.clone();
            changes.extend(e.changes.iter().cloned());
            last_round.push((e, had));
        }
        if before.is_none() {
            before = Some(Eval {
                findings: eval.findings.clone(),
                report: eval.report.clone(),
                lock: eval.lock.clone(),
                index: None,
            });
        }
        previous = Some(eval);
        rounds += 1;
    }
}

/// The files that imported in `prev` and fail in `now`.
fn regressed(prev: &Eval, now: &Eval) -> BTreeSet<String> {
    now.failing().difference(&prev.failing()).cloned().collect()
}

/// Takes back the edits of the last round (`round`, each with the text its file had before)
/// one at a time, the most likely culprit of each regressed file first (its own edit, then
/// the project modules, then requirements and settings), re-evaluating after each, and keeps
/// a take-back only when it makes a regressed file import again. Returns what was taken back;
/// `eval` is the evaluation of the project as left.
#[allow(clippy::too_many_arguments)]
fn take_back(
    ctx: &Ctx,
    work: &Path,
    current: &Pinned,
    new: &Pinned,
    prev: &Eval,
    eval: &mut Eval,
    round: &mut Vec<(FileEdit, String)>,
    notes: &mut Vec<String>,
) -> Result<Vec<TakenBack>, Failure> {
    let mut out = Vec::new();
    let mut broken = regressed(prev, eval);
    while !broken.is_empty() && !round.is_empty() {
        let target = broken.iter().next().cloned().unwrap_or_default();
        let error = eval
            .report
            .iter()
            .flat_map(|r| &r.files)
            .find(|f| f.path == target)
            .map(|f| f.summary())
            .unwrap_or_default();
        // the suspects, most likely first
        let rank = |e: &FileEdit| -> u8 {
            if e.path == target {
                0
            } else if e.path.ends_with(".py") {
                1
            } else {
                2
            }
        };
        round.sort_by_key(|(e, _)| rank(e));
        let mut fixed = false;
        for i in 0..round.len() {
            let (e, had) = &round[i];
            let path = work.join(&e.path);
            write_atomic(&path, had.as_bytes())
                .map_err(|err| Failure::usage(format!("{}: {err}", e.path)))?;
            let project = Project::load(work).map_err(|err| Failure::usage(err.to_string()))?;
            let trial = evaluate(ctx, &project, current, new, notes)?;
            let now = regressed(prev, &trial);
            if now.len() < broken.len() && !now.contains(&target) {
                let (e, _) = round.remove(i);
                out.push(TakenBack {
                    path: e.path.clone(),
                    changes: e.changes.clone(),
                    broke: target.clone(),
                    error: error.clone(),
                });
                *eval = trial;
                broken = now;
                fixed = true;
                break;
            }
            // not this one: the edit goes back in
            write_atomic(&path, e.new.as_bytes())
                .map_err(|err| Failure::usage(format!("{}: {err}", e.path)))?;
        }
        if !fixed {
            // no single edit explains it: take back the whole round
            for (e, had) in round.drain(..) {
                write_atomic(&work.join(&e.path), had.as_bytes())
                    .map_err(|err| Failure::usage(format!("{}: {err}", e.path)))?;
                out.push(TakenBack {
                    path: e.path.clone(),
                    changes: e.changes.clone(),
                    broke: target.clone(),
                    error: error.clone(),
                });
            }
            let project = Project::load(work).map_err(|err| Failure::usage(err.to_string()))?;
            *eval = evaluate(ctx, &project, current, new, notes)?;
            broken = regressed(prev, eval);
        }
    }
    Ok(out)
}

fn same_change(a: &Change, b: &Change) -> bool {
    a.path == b.path && a.line == b.line && a.rule == b.rule && a.what == b.what
}

/// After a take-back, the record of what a file will be written as follows the scratch copy
/// (and the file drops out when it is back to what it was).
fn restore_record(files: &mut BTreeMap<String, (Option<String>, String)>, rel: &str, work: &Path) {
    let now = std::fs::read_to_string(work.join(rel)).ok();
    if let Some(entry) = files.get_mut(rel) {
        match now {
            Some(t) if Some(&t) != entry.0.as_ref() => entry.1 = t,
            _ => {
                files.remove(rel);
            }
        }
    }
}

fn finish(
    before: Option<Eval>,
    after: Eval,
    changes: Vec<Change>,
    files: BTreeMap<String, (Option<String>, String)>,
    rounds: usize,
    notes: Vec<String>,
    taken_back: Vec<TakenBack>,
) -> HopResult {
    let before = before.unwrap_or_else(|| Eval {
        findings: after.findings.clone(),
        report: after.report.clone(),
        lock: after.lock.clone(),
        index: None,
    });
    HopResult {
        before,
        after,
        changes,
        files,
        rounds,
        notes,
        taken_back,
    }
}

/// The target environment of the project as it is in `project`, the static check (with the
/// environment's and the discovery's findings) and the parse test.
pub(crate) fn evaluate(
    ctx: &Ctx,
    project: &Project,
    current: &Pinned,
    new: &Pinned,
    notes: &mut Vec<String>,
) -> Result<Eval, Failure> {
    let mut findings = Vec::new();
    let lock = match envs::lock(ctx, new, Some(project), Backend::Uv, None) {
        Ok(lock) => lock,
        Err(f) => {
            // the image without the requirements: the check and parse still run
            let lock = envs::lock(ctx, new, None, Backend::Uv, None)?;
            findings.push(lint::requirements_unresolvable(new, &f.message));
            lock
        }
    };
    let env = lint::installed(ctx, project, new.clone(), lock.clone(), None)?;
    let index = lint::build_index(ctx, &env)?;
    let (files, problems) = lint::check_files(project, &[], &new.airflow);
    findings.extend(problems);
    findings.extend(settings::config_problems(project));
    findings.extend(settings::discovery_changes(
        project,
        &current.airflow,
        &new.airflow,
    ));
    findings.extend(lint::layering_findings(&env.lock, new));
    findings.extend(lint::broken_findings(&env, project));
    let opts = lint::check_options(project, &new.airflow, Some(current));
    findings.extend(skyhop_check::check(
        &files,
        &project.root,
        Some(&index),
        &opts,
    ));
    let report = match lint::run_parse(ctx, project, &env, None, None, &[]) {
        Ok(r) => {
            findings.extend(skyhop_parse::to_findings(&r));
            Some(r)
        }
        Err(f) => {
            notes.push(format!("the parse test did not run: {}", f.message));
            None
        }
    };
    Ok(Eval {
        findings,
        report,
        lock: Some(lock),
        index: Some(index),
    })
}

/// The new text of one file and the changes that make it.
struct FileEdit {
    /// Relative to the project.
    path: String,
    /// The file's text before, `None` when it did not exist.
    old_file: Option<String>,
    old: String,
    new: String,
    changes: Vec<Change>,
}

/// Every fix the findings of `eval` carry, as whole-file edits.
fn plan_edits(
    ctx: &Ctx,
    project: &Project,
    eval: &Eval,
    new: &Pinned,
    today: &BTreeSet<String>,
    unsafe_fixes: bool,
    notes: &mut Vec<String>,
) -> Vec<FileEdit> {
    let root = &project.root;
    let mut out: Vec<FileEdit> = Vec::new();
    // Python files: the check crate's fix engine, on the files Airflow loads under both
    // readings of `.airflowignore` (a file the current version ignores stays untouched, as the
    // SKY310 fix keeps it ignored).
    let (files, _) = lint::check_files(project, &[], &new.airflow);
    let (regexp_reading, _) = lint::check_files(project, &[], "2");
    let files: Vec<std::path::PathBuf> = files
        .into_iter()
        .filter(|f| regexp_reading.contains(f))
        .collect();
    let mut findings = eval.findings.clone();
    findings.extend(import_failures(project, eval));
    findings.extend(deprecation_warnings(project, eval));
    findings.extend(moved_elsewhere(project, eval));
    let fixes =
        skyhop_check::fix_with(&files, &findings, skyhop_check::FixOptions { unsafe_fixes });
    // Text files: Python, requirements, Dockerfile, .env.
    let mut texts: BTreeMap<String, (Option<String>, String, Vec<Change>)> = BTreeMap::new();
    // package -> (why, rule)
    let mut providers: BTreeMap<String, (String, String)> = BTreeMap::new();
    for f in fixes {
        let rel = f
            .path
            .strip_prefix(root)
            .unwrap_or(&f.path)
            .to_string_lossy()
            .to_string();
        let import_rule = f
            .applied
            .iter()
            .map(|a| a.rule.as_str())
            .find(|r| matches!(*r, "SKY101" | "SKY102" | "SKY103" | "SKY201"))
            .unwrap_or("SKY103")
            .to_string();
        for module in new_provider_modules(&f.old, &f.new) {
            if let Some((package, _)) = skyhop_check::index::provider_package(&module) {
                providers.entry(package).or_insert_with(|| {
                    (format!("{rel} now imports `{module}`"), import_rule.clone())
                });
            }
        }
        let changes = f
            .applied
            .iter()
            .map(|a| Change {
                path: rel.clone(),
                line: a.line,
                rule: a.rule.clone(),
                safe: a.safe,
                what: describe(&findings, &rel, a.line, &a.rule),
            })
            .collect();
        texts.insert(rel, (Some(f.old), f.new, changes));
    }
    // Third-party modules a DAG file (or a provider it imports) cannot import: their
    // package, unless the project has a module of that name.
    for f in eval
        .report
        .iter()
        .flat_map(|r| r.files.iter())
        .filter(|f| !f.ok)
    {
        let Some(error) = f.error.as_deref() else {
            continue;
        };
        let Some((_, rest)) = error.split_once("No module named ") else {
            continue;
        };
        let module = rest.trim_start_matches(['\'', '"']);
        let top: String = module
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let local = [
            root.clone(),
            root.join("dags"),
            root.join("include"),
            root.join("plugins"),
        ]
        .iter()
        .any(|d| d.join(&top).exists() || d.join(format!("{top}.py")).exists());
        if top.is_empty() || top == "airflow" || local {
            continue;
        }
        let package = skyhop_core::normalize_name(&skyhop_check::rules::package_for_module(&top));
        providers.entry(package).or_insert_with(|| {
            (
                format!("{} fails: No module named '{top}'", f.path),
                "SKY900".into(),
            )
        });
    }
    // Packages the target lacks (SKY104).
    for f in eval.findings.iter().filter(|f| f.rule == "SKY104") {
        if let Some(package) = needed_package(&f.message) {
            providers
                .entry(package)
                .or_insert_with(|| (format!("{}:{}", f.path, f.line), "SKY104".into()));
        }
    }
    let edit_text = |texts: &mut BTreeMap<String, (Option<String>, String, Vec<Change>)>,
                     rel: &str,
                     change: Change,
                     f: &dyn Fn(&str) -> Option<String>| {
        let entry = texts.entry(rel.to_string()).or_insert_with(|| {
            let old = std::fs::read_to_string(root.join(rel)).ok();
            (old.clone(), old.unwrap_or_default(), Vec::new())
        });
        if let Some(t) = f(&entry.1)
            && t != entry.1
        {
            entry.1 = t;
            entry.2.push(change);
        }
    };
    // A pinned requirement whose package breaks while a DAG file imports it (it reaches into
    // what the target removed, e.g. `airflow.compat`) is pinned to the newest version that
    // resolves with the target (`==1.0.0` -> `==1.3.0`): safe, as the pinned version cannot
    // work there and the next round parse-tests the new one. When no newer version resolves,
    // the unsafe fix lets the pin up (`==1.4.2` -> `>=1.4.2`).
    let mut bumped: BTreeSet<String> = BTreeSet::new();
    for f in eval
        .report
        .iter()
        .flat_map(|r| r.files.iter())
        .filter(|f| !f.ok)
    {
        let (Some(error), Some(line)) = (f.error.as_deref(), f.line) else {
            continue;
        };
        let Some(src) = source_line(root, &f.path, line) else {
            continue;
        };
        let src = src.as_str();
        let src = src.trim_start();
        let Some(rest) = src
            .strip_prefix("from ")
            .or_else(|| src.strip_prefix("import "))
        else {
            continue;
        };
        let top: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if top.is_empty() || top == "airflow" {
            continue;
        }
        // the package itself missing is another fix (the requirement added)
        if let Some(missing) = needed_module(error)
            && missing.split('.').next() == Some(top.as_str())
        {
            continue;
        }
        // the distribution that installs the module, as the target environment says
        let package = skyhop_core::normalize_name(
            &eval
                .index
                .as_ref()
                .and_then(|i| i.distribution_of(&top))
                .map(str::to_string)
                .unwrap_or_else(|| skyhop_check::rules::package_for_module(&top)),
        );
        let Some(req) = project
            .requirements
            .iter()
            .flat_map(|r| r.requirements().iter())
            .find(|r| r.normalized == package)
        else {
            continue;
        };
        let Some(version) = req.pinned_version() else {
            continue;
        };
        if !bumped.insert(package.clone()) {
            continue;
        }
        let (file, line) = (req.file.clone(), req.line as u32);
        let why = format!(
            "{} fails inside it under {}: {}",
            f.path,
            new.label,
            one_line(error).chars().take(80).collect::<String>()
        );
        match newest_resolving(ctx, project, new, req, &version) {
            Some(newer) => {
                let new_req = format!("{}=={newer}", req.name);
                let c = Change {
                    path: file.clone(),
                    line,
                    rule: "SKY900".into(),
                    safe: true,
                    what: format!(
                        "`{}` -> `{new_req}` (the newest that resolves with {}): {why}",
                        req.text.trim(),
                        new.label
                    ),
                };
                edit_text(&mut texts, &file, c, &|t| {
                    replace_requirement(t, line, &new_req)
                });
            }
            None if unsafe_fixes => {
                let new_req = format!("{}>={version}", req.name);
                let c = Change {
                    path: file.clone(),
                    line,
                    rule: "SKY900".into(),
                    safe: false,
                    what: format!("`{}` -> `{new_req}`: {why}", req.text.trim()),
                };
                edit_text(&mut texts, &file, c, &|t| {
                    replace_requirement(t, line, &new_req)
                });
            }
            None => notes.push(format!(
                "{}:{line}: no version of {} newer than {version} resolves with {}; {why}",
                file, req.name, new.label
            )),
        }
    }
    for f in &eval.findings {
        let change = |what: &str| Change {
            path: f.path.clone(),
            line: f.line,
            rule: f.rule.clone(),
            safe: true,
            what: what.into(),
        };
        match f.rule.as_str() {
            "SKY900" | "SKY910"
                if f.message.contains("trigger_rule") || f.message.contains("Trigger Rule") =>
            {
                let line = f.line;
                let c = Change {
                    what: "removed trigger rule renamed".into(),
                    ..change("code")
                };
                edit_text(&mut texts, &f.path, c, &|t| {
                    trigger_rule_fix(t, line).map(|(t, _)| t)
                });
            }
            "SKY402" => {
                let Some((ns, nk)) = f.replacement.as_deref().and_then(|r| r.split_once('.'))
                else {
                    continue;
                };
                let (line, column) = (f.line, f.column);
                let c = Change {
                    what: format!("config read as [{ns}] {nk}"),
                    ..change("config")
                };
                edit_text(&mut texts, &f.path, c, &|t| {
                    rename_config_read(t, line, column, ns, nk)
                });
            }
            "SKY502" | "SKY503" => {
                let Some(new_req) = f.replacement.as_deref() else {
                    continue;
                };
                if f.line == 0 || f.path == "Dockerfile" {
                    continue;
                }
                let line = f.line;
                edit_text(&mut texts, &f.path, change("requirement"), &|t| {
                    replace_requirement(t, line, new_req)
                });
            }
            "SKY310" => {
                let Some(setting) = f.replacement.as_deref() else {
                    continue;
                };
                let Some((key, _)) = setting.split_once('=') else {
                    continue;
                };
                let Ok(located) = project.current_image() else {
                    notes.push(format!(
                        "{}: {} (set `{setting}` where Airflow runs)",
                        f.path, f.message
                    ));
                    continue;
                };
                let at = located.line as u32;
                let key = key.to_string();
                let c = Change {
                    path: "Dockerfile".into(),
                    ..change("config")
                };
                edit_text(&mut texts, "Dockerfile", c, &|t| {
                    if t.lines()
                        .any(|l| l.trim_start().starts_with("ENV") && l.contains(&key))
                    {
                        return None;
                    }
                    insert_after_line(t, at, &format!("ENV {setting}"))
                });
            }
            _ => {}
        }
    }
    // Configuration settings (SKY401), wherever the project sets them.
    for (c, fix) in config_edits(project, eval, new, unsafe_fixes) {
        edit_text(&mut texts, &c.path.clone(), c, &|t| {
            skyhop_project::edit_config(t, &fix.setting, &fix.edit)
        });
    }
    // Providers the fixed code needs, added to requirements.txt at a version the target
    // resolves.
    let named: BTreeSet<String> = project
        .requirements
        .iter()
        .flat_map(|r| r.requirements().iter().map(|r| r.normalized.clone()))
        .chain(
            project
                .dockerfile
                .iter()
                .flat_map(|d| d.pip_installs().requirements)
                .map(|(_, r)| skyhop_core::normalize_name(requirement_name(&r))),
        )
        .collect();
    let mut wanted: Vec<(String, (String, String))> = Vec::new();
    for (p, why) in providers {
        if named.contains(&p) {
            continue;
        }
        if p.starts_with("apache-airflow-providers-") || today.contains(&p) {
            wanted.push((p, why));
        } else {
            let note = format!(
                "{}: needs a package for it; `{p}` is a guess from the module name and the current environment has no such package, so nothing was added",
                why.0
            );
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
    }
    if !wanted.is_empty() {
        let versions = provider_versions(ctx, project, new, eval, &wanted, notes);
        let rel = "requirements.txt";
        for (package, (why, rule)) in &wanted {
            let Some(version) = versions.get(package) else {
                continue;
            };
            let line = format!("{package}>={version}");
            let change = Change {
                path: rel.into(),
                line: 0,
                rule: rule.clone(),
                safe: true,
                what: format!("requirement `{line}` ({why})"),
            };
            edit_text(&mut texts, rel, change, &|t| Some(append_line(t, &line)));
        }
    }
    for (path, (old_file, new, changes)) in texts {
        let old = old_file.clone().unwrap_or_default();
        if new != old {
            out.push(FileEdit {
                path,
                old_file,
                old,
                new,
                changes,
            });
        }
    }
    out
}

/// Imports that fail in the parse test and that the check did not report (a module its index
/// could not load), as the check's findings on the import: SKY102 on a name the module lacks
/// (`cannot import name 'X' from 'M'`), SKY101 on a module that is not there. The fix engine
/// moves them where the curated tables say.
fn import_failures(project: &Project, eval: &Eval) -> Vec<Finding> {
    let Some(report) = &eval.report else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in report.files.iter().filter(|f| !f.ok) {
        let (Some(error), Some(line)) = (f.error.as_deref(), f.line) else {
            continue;
        };
        let reported = eval.findings.iter().any(|x| {
            x.path == f.path
                && x.line == line
                && matches!(x.rule.as_str(), "SKY101" | "SKY102" | "SKY103" | "SKY201")
        });
        if reported {
            continue;
        }
        let Some(src) = source_line(&project.root, &f.path, line) else {
            continue;
        };
        let src = src.as_str();
        let trimmed = src.trim_start();
        if !trimmed.starts_with("from ") {
            continue;
        }
        let indent = src.len() - trimmed.len();
        let col = |byte: usize| src[..byte].chars().count() as u32 + 1;
        let ticked = |after: &str| quoted_after(error, after);
        let (rule, at) = if let Some(name) = ticked("cannot import name ") {
            let Some(imp) = src.find(" import ") else {
                continue;
            };
            let Some(i) = src[imp..].find(name.as_str()) else {
                continue;
            };
            ("SKY102", col(imp + i))
        } else if ticked("No module named ").is_some() {
            ("SKY101", col(indent + 5))
        } else {
            continue;
        };
        out.push(Finding {
            path: f.path.clone(),
            line,
            column: at,
            rule: rule.into(),
            severity: Severity::Error,
            message: one_line(error),
            replacement: None,
            source: Source::Parse,
            related: Vec::new(),
        });
    }
    out
}

/// What the finding of `rule` at `path:line` asked for, in a few words.
fn describe(findings: &[Finding], path: &str, line: u32, rule: &str) -> String {
    findings
        .iter()
        .find(|f| f.path == path && f.line == line && f.rule == rule)
        .map(|f| match &f.replacement {
            Some(r) => format!("-> `{r}`"),
            None => one_line(&f.message).chars().take(100).collect(),
        })
        .unwrap_or_default()
}

/// Deprecated imports Airflow itself warns about while the DAG file is imported
/// (`Import 'airflow.datasets.Dataset' is deprecated ... Please import it from
/// 'airflow.sdk.Asset'`), as the check's SKY103 finding on the imported name, when the check
/// did not report it.
fn deprecation_warnings(project: &Project, eval: &Eval) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in eval.findings.iter().filter(|f| f.rule == "SKY910") {
        let quoted = |after: &str| -> Option<String> {
            let (_, rest) = w.message.split_once(after)?;
            let v = rest.split('\'').next()?;
            (!v.is_empty() && !v.contains(' ')).then(|| v.to_string())
        };
        let ticked = |after: &str| -> Option<String> {
            let (_, rest) = w.message.split_once(after)?;
            let v = rest
                .trim_start_matches(['\'', '`'])
                .split(['\'', '`'])
                .next()?;
            (!v.is_empty() && !v.contains(' ')).then(|| v.to_string())
        };
        let pair = match (quoted("Import '"), quoted("import it from '")) {
            (Some(o), Some(n)) => Some((o, n)),
            _ => ticked("The `").zip(ticked("Please use `")),
        };
        let Some((old, new)) = pair else {
            continue;
        };
        if !new.contains('.') || new.contains("..") {
            continue;
        }
        let Some((module, name)) = old.rsplit_once('.') else {
            continue;
        };
        let reported = eval.findings.iter().any(|x| {
            x.path == w.path && x.line == w.line && matches!(x.rule.as_str(), "SKY103" | "SKY201")
        });
        if reported {
            continue;
        }
        let Some(src) = source_line(&project.root, &w.path, w.line) else {
            continue;
        };
        let src = src.as_str();
        let Some(rest) = src.trim_start().strip_prefix("from ") else {
            continue;
        };
        let Some((m, names)) = rest.split_once(" import ") else {
            continue;
        };
        if m.trim() != module {
            continue;
        }
        let Some(imp) = src.find(" import ") else {
            continue;
        };
        let Some(i) = names.match_indices(name).map(|(i, _)| i).find(|&i| {
            let before = names[..i].chars().next_back();
            let after = names[i + name.len()..].chars().next();
            before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
                && after.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
        }) else {
            continue;
        };
        let byte = imp + " import ".len() + i;
        out.push(Finding {
            path: w.path.clone(),
            line: w.line,
            column: src[..byte].chars().count() as u32 + 1,
            rule: "SKY103".into(),
            severity: Severity::Warning,
            message: one_line(&w.message),
            replacement: Some(new),
            source: Source::Parse,
            related: Vec::new(),
        });
    }
    out
}

/// Names imported from a module the target lacks (SKY101 without a replacement, the tables
/// knowing no new home), moved where the target defines the same name: its standard provider
/// or task SDK, or the only module that defines it.
fn moved_elsewhere(project: &Project, eval: &Eval) -> Vec<Finding> {
    let Some(index) = &eval.index else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in eval
        .findings
        .iter()
        .filter(|f| f.rule == "SKY101" && f.replacement.is_none())
    {
        let Some(src) = source_line(&project.root, &f.path, f.line) else {
            continue;
        };
        let src = src.as_str();
        let Some(rest) = src.trim_start().strip_prefix("from ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once(" import ") else {
            continue;
        };
        let module = module.trim();
        if names.contains('(') || names.trim_end().ends_with('\\') {
            continue;
        }
        let Some(imp) = src.find(" import ") else {
            continue;
        };
        let mut offset = imp + " import ".len();
        for part in names.split(',') {
            let lead = part.len() - part.trim_start().len();
            let name = part.split_whitespace().next().unwrap_or("");
            let start = offset + lead;
            offset += part.len() + 1;
            if name.is_empty() || name.starts_with('#') {
                continue;
            }
            let qual = format!("{module}.{name}");
            if skyhop_check::rules::rules()
                .name_rule(&qual)
                .is_some_and(|r| r.new.is_some())
            {
                continue; // the fix engine knows it from the tables
            }
            let found = index.find_elsewhere(name, module);
            let Some(best) = found.first() else {
                continue;
            };
            let official =
                best.starts_with("airflow.providers.standard.") || best.starts_with("airflow.sdk.");
            if !(official || found.len() == 1) {
                continue;
            }
            out.push(Finding {
                path: f.path.clone(),
                line: f.line,
                column: src[..start].chars().count() as u32 + 1,
                rule: "SKY101".into(),
                severity: Severity::Error,
                message: format!("{}; the target has `{best}`", f.message),
                replacement: Some(best.clone()),
                source: Source::Check,
                related: Vec::new(),
            });
        }
    }
    out
}

/// Trigger rules Airflow removed, and what it says to use instead.
const TRIGGER_RULES: &[(&str, &str)] = &[
    ("none_failed_or_skipped", "none_failed_min_one_success"),
    ("dummy", "always"),
];

/// A removed trigger rule (`trigger_rule="none_failed_or_skipped"`) in the lines from `line`
/// on (a call starts there), renamed to the one Airflow names: `(new text, old value)`.
fn trigger_rule_fix(text: &str, line: u32) -> Option<(String, &'static str)> {
    let mut start = 0usize;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        let n = i as u32 + 1;
        if (line == 0 || (n >= line && n < line + 30)) && l.contains("trigger_rule") {
            for (old, new) in TRIGGER_RULES {
                for q in ['"', '\''] {
                    let lit = format!("{q}{old}{q}");
                    if let Some(k) = l.find(&lit) {
                        let at = start + k;
                        let mut out = text.to_string();
                        out.replace_range(at..at + lit.len(), &format!("{q}{new}{q}"));
                        return Some((out, old));
                    }
                }
            }
        }
        start += l.len();
    }
    None
}

/// Versions of `wanted` packages the target resolves: the installed one, else the one uv
/// picks with the package added to the project's requirements.
fn provider_versions(
    ctx: &Ctx,
    project: &Project,
    new: &Pinned,
    eval: &Eval,
    wanted: &[(String, (String, String))],
    notes: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut missing = Vec::new();
    for (p, _) in wanted {
        match eval.lock.as_ref().and_then(|l| l.version_of(p)) {
            Some(v) => {
                out.insert(p.clone(), v.to_string());
            }
            None => missing.push(p.clone()),
        }
    }
    if missing.is_empty() {
        return out;
    }
    let mut spec = envs::spec(ctx, new, Some(project), None);
    for p in &missing {
        spec.extra_requirements.push(skyhop_core::Requirement {
            requirement: p.clone(),
            name: p.clone(),
            file: "requirements.txt".into(),
            line: 0,
            ..Default::default()
        });
    }
    match skyhop_env::resolve(&spec, &ctx.cache, &ctx.progress) {
        Ok(lock) => {
            for p in &missing {
                match lock.version_of(p) {
                    Some(v) => {
                        out.insert(p.clone(), v.to_string());
                    }
                    None => notes.push(format!(
                        "{p} is needed but does not resolve on {}: add it yourself",
                        new.describe()
                    )),
                }
            }
        }
        Err(e) => notes.push(format!(
            "{} needed but they do not resolve on {}: {e}",
            missing.join(", "),
            new.describe()
        )),
    }
    out
}

/// `airflow.providers.*` modules imported in `new` and not in `old`.
fn new_provider_modules(old: &str, new: &str) -> Vec<String> {
    let modules = |t: &str| -> BTreeSet<String> {
        t.lines()
            .filter_map(|l| {
                let l = l.trim_start();
                let rest = l
                    .strip_prefix("from ")
                    .or_else(|| l.strip_prefix("import "))?;
                let m: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '.'))
                    .collect();
                m.starts_with("airflow.providers.").then_some(m)
            })
            .collect()
    };
    let before = modules(old);
    modules(new).difference(&before).cloned().collect()
}

/// `... needs package `apache-airflow-providers-http`, ...` → the package.
fn needed_package(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("needs package `")?;
    let name = rest.split('`').next()?;
    (!name.is_empty()).then(|| skyhop_core::normalize_name(name))
}

/// Line `line` (1-based) of the project file `rel`, when it can be read.
fn source_line(root: &Path, rel: &str, line: u32) -> Option<String> {
    let text = std::fs::read_to_string(root.join(rel)).ok()?;
    text.lines()
        .nth((line as usize).saturating_sub(1))
        .map(str::to_string)
}

/// The quoted name after `after` in an error (`No module named 'x.y'` → `x.y`).
fn quoted_after(error: &str, after: &str) -> Option<String> {
    let (_, rest) = error.split_once(after)?;
    let rest = rest.trim_start_matches(['\'', '"']);
    Some(rest.split(['\'', '"']).next()?.to_string())
}

/// The module of a `No module named 'x.y'` error.
fn needed_module(error: &str) -> Option<String> {
    quoted_after(error, "No module named ")
}

/// The newest version of the pinned requirement `req` (now `==version`) that resolves with
/// the target `new` and the project's other requirements, when newer than `version`.
fn newest_resolving(
    ctx: &Ctx,
    project: &Project,
    new: &Pinned,
    req: &skyhop_project::Requirement,
    version: &str,
) -> Option<String> {
    // the spec reads the top-level requirements.txt; an included file is not opened up
    if req.file != "requirements.txt" {
        return None;
    }
    let path = project.root.join(&req.file);
    let text = std::fs::read_to_string(&path).ok()?;
    // `>` the pin, so the image's own version (which the resolver prefers) does not hold it
    let opened = replace_requirement(&text, req.line as u32, &format!("{}>{version}", req.name))?;
    let scratch = tempfile::tempdir().ok()?;
    let file = scratch.path().join("requirements.txt");
    std::fs::write(&file, opened).ok()?;
    let mut spec = envs::spec(ctx, new, Some(project), None);
    spec.requirements = Some(file);
    let lock = skyhop_env::resolve(&spec, &ctx.cache, &ctx.progress).ok()?;
    let got = lock.version_of(&req.normalized)?.to_string();
    is_newer(&got, version).then_some(got)
}

/// Whether version `a` is newer than `b` (both PEP 440; `false` when either does not parse).
pub(crate) fn is_newer(a: &str, b: &str) -> bool {
    match (
        a.parse::<pep440_rs::Version>(),
        b.parse::<pep440_rs::Version>(),
    ) {
        (Ok(a), Ok(b)) => a > b,
        _ => false,
    }
}

/// `conf.get('kubernetes', 'NAMESPACE')` read as `conf.get('kubernetes_executor', 'namespace')`:
/// the two string literals from `column` (1-based, where the section literal starts) on
/// `line`, quotes kept. `None` when they are not plain literals.
fn rename_config_read(text: &str, line: u32, column: u32, ns: &str, nk: &str) -> Option<String> {
    let (s, e) = line_span(text, line)?;
    let l = &text[s..e];
    let start = l
        .char_indices()
        .nth((column as usize).saturating_sub(1))
        .map(|(i, _)| i)?;
    let literal = |from: usize| -> Option<(usize, usize)> {
        let rest = &l[from..];
        let off = rest.find(['\'', '"'])?;
        // only blanks and one comma may come before it
        if !rest[..off].chars().all(|c| c.is_whitespace() || c == ',') {
            return None;
        }
        let q = rest[off..].chars().next()?;
        let body = &rest[off + 1..];
        let end = body.find(q)?;
        if body[..end].contains('\\') {
            return None;
        }
        Some((from + off, from + off + 1 + end + 1))
    };
    let (a0, a1) = literal(start)?;
    let (b0, b1) = literal(a1)?;
    let q = |r: (usize, usize)| &l[r.0..r.0 + 1];
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..s]);
    out.push_str(&l[..a0]);
    out.push_str(&format!("{}{ns}{}", q((a0, a1)), q((a0, a1))));
    out.push_str(&l[a1..b0]);
    out.push_str(&format!("{}{nk}{}", q((b0, b1)), q((b0, b1))));
    out.push_str(&l[b1..]);
    out.push_str(&text[e..]);
    Some(out)
}

fn requirement_name(req: &str) -> &str {
    req.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .next()
        .unwrap_or("")
}

/// The byte range of 1-based line `line` (without its line ending).
fn line_span(text: &str, line: u32) -> Option<(usize, usize)> {
    if line == 0 {
        return None;
    }
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            let body = l.trim_end_matches('\n').trim_end_matches('\r');
            return Some((start, start + body.len()));
        }
        start += l.len();
    }
    None
}

/// The requirement on line `line` replaced by `new` (its marker and comment kept).
pub(crate) fn replace_requirement(text: &str, line: u32, new: &str) -> Option<String> {
    let (s, e) = line_span(text, line)?;
    let l = &text[s..e];
    let lead = l.len() - l.trim_start().len();
    let body_end = l.find([';', '#']).unwrap_or(l.len());
    let body = l[lead..body_end].trim_end();
    if body.is_empty() || requirement_name(body).is_empty() {
        return None;
    }
    if !skyhop_core::normalize_name(requirement_name(body))
        .eq(&skyhop_core::normalize_name(requirement_name(new)))
    {
        return None;
    }
    let start = s + lead;
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    out.push_str(new);
    out.push_str(&text[start + body.len()..]);
    Some(out)
}

/// `line` appended, after a line ending when the text lacks its last one.
pub(crate) fn append_line(text: &str, line: &str) -> String {
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push_str(if text.contains("\r\n") { "\r\n" } else { "\n" });
    }
    out.push_str(line);
    out.push_str(if text.contains("\r\n") { "\r\n" } else { "\n" });
    out
}

/// `new` inserted as a line after 1-based line `line`.
pub(crate) fn insert_after_line(text: &str, line: u32, new: &str) -> Option<String> {
    let (_, e) = line_span(text, line)?;
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let rest = &text[e..];
    let after = if rest.starts_with("\r\n") {
        e + 2
    } else if rest.starts_with('\n') {
        e + 1
    } else {
        // last line without a line ending
        return Some(format!("{text}{eol}{new}{eol}"));
    };
    Some(format!("{}{new}{eol}{}", &text[..after], &text[after..]))
}

/// Copies the project for fixing, without what is not the project's code (version control,
/// skyhop's own state, reports, caches).
/// The fixes of the SKY401 findings of `eval` on the project's settings: each setting renamed
/// in place, or moved to its new section (`airflow.cfg`, Helm `config:`), safely; removed
/// only with `unsafe_fixes`. The fixes are the check's own for those findings.
fn config_edits(
    project: &Project,
    eval: &Eval,
    new: &Pinned,
    unsafe_fixes: bool,
) -> Vec<(Change, skyhop_check::ConfigFix)> {
    let opts = lint::check_options(project, &new.airflow, None);
    let reported = |f: &Finding| {
        eval.findings.iter().any(|e| {
            e.rule == f.rule && e.path == f.path && e.line == f.line && e.column == f.column
        })
    };
    skyhop_check::config_fixes(&opts, eval.index.as_ref())
        .into_iter()
        .filter(|(f, fix)| (fix.safe || unsafe_fixes) && reported(f))
        .map(|(f, fix)| {
            let s = &fix.setting;
            let what = match &fix.edit {
                skyhop_project::ConfigEdit::Rename { section, key } => {
                    format!("`{}` -> `{}`", s.name, s.source.spelling(section, key))
                }
                skyhop_project::ConfigEdit::Remove => format!("`{}` removed", s.name),
            };
            let change = Change {
                path: f.path.clone(),
                line: f.line,
                rule: f.rule.clone(),
                safe: fix.safe,
                what,
            };
            (change, fix)
        })
        .collect()
}

pub(crate) fn copy_project(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let name_s = name.to_string_lossy();
        if matches!(
            name_s.as_ref(),
            ".git" | ".skyhop" | "__pycache__" | ".venv" | "venv" | "node_modules" | "logs"
        ) || name_s.starts_with("upgrade-test-")
        {
            continue;
        }
        let ft = entry.file_type()?;
        let target = to.join(&name);
        if ft.is_dir() {
            copy_project(&entry.path(), &target)?;
        } else if ft.is_file() {
            std::fs::copy(entry.path(), &target)?;
        } else if ft.is_symlink()
            && let Ok(dest) = std::fs::read_link(entry.path())
        {
            #[cfg(unix)]
            std::os::unix::fs::symlink(dest, &target)?;
        }
    }
    Ok(())
}

/// The hops the catalog requires, and their text.
pub struct Plan {
    /// Each hop's target, in order (empty: nothing to do).
    pub hops: Vec<TargetArgs>,
    /// `plan: 11.3.0 -> 13.11.0 -> 3.1-12` and each hop's upgrade considerations, or why
    /// there is nothing to do.
    pub text: String,
}

/// The hops the catalog requires from the project's version to the target, with the upgrade
/// considerations of each.
pub fn plan_hops(
    version: &TargetArgs,
    allow_deprecated: bool,
    project: &Project,
) -> Result<Plan, Failure> {
    let located = project.current_image().map_err(Failure::usage)?;
    let current = crate::base::current_target(&located.base).map_err(Failure::usage)?;
    let target = crate::base::parse_target(version)?;
    let (catalog, _) =
        skyhop_catalog::Catalog::load(&skyhop_core::cache_dir(), skyhop_catalog::Refresh::Auto);
    let opts = skyhop_catalog::UpgradeOptions::new(allow_deprecated);
    let mut hops: Vec<skyhop_catalog::Target> = Vec::new();
    let mut from = current.clone();
    loop {
        match catalog.check_upgrade(&from, &target, opts) {
            Ok(_) => {
                hops.push(target.clone());
                break;
            }
            Err(skyhop_catalog::UpgradeRefusal::Airflow3TooEarly { bridge, .. }) => {
                let b = bridge_target(&bridge).ok_or_else(|| {
                    Failure::usage(format!(
                        "the catalog asks for {bridge} first, which names no single version: upgrade to it yourself, then run this again"
                    ))
                })?;
                if hops.contains(&b) || b == from {
                    return Err(Failure::usage(format!(
                        "the catalog's plan does not converge at {bridge}"
                    )));
                }
                hops.push(b.clone());
                from = b;
            }
            Err(r) if r.is_nothing_to_do() => {
                return Ok(Plan {
                    hops: Vec::new(),
                    text: format!("{r}\n"),
                });
            }
            Err(r) => return Err(Failure::usage(format!("upgrade refused: {r}"))),
        }
    }
    let label = |t: &skyhop_catalog::Target| match t {
        skyhop_catalog::Target::Runtime(r) => r.to_string(),
        skyhop_catalog::Target::Airflow(a) => format!("Airflow {a}"),
    };
    let mut chain = vec![label(&current)];
    chain.extend(hops.iter().map(label));
    let mut text = format!("plan: {}\n", chain.join(" -> "));
    let mut from = current;
    for (i, hop) in hops.iter().enumerate() {
        text.push_str(&format!(
            "\nhop {}: {} -> {}\n",
            i + 1,
            label(&from),
            label(hop)
        ));
        match catalog.check_upgrade(&from, hop, skyhop_catalog::UpgradeOptions::new(true)) {
            Ok(plan) => text.push_str(&plan.render()),
            Err(r) => text.push_str(&format!("  {r}\n")),
        }
        from = hop.clone();
    }
    Ok(Plan {
        hops: hops.iter().map(TargetArgs::from).collect(),
        text,
    })
}

impl From<&skyhop_catalog::Target> for TargetArgs {
    fn from(t: &skyhop_catalog::Target) -> Self {
        match t {
            skyhop_catalog::Target::Runtime(r) => TargetArgs {
                runtime_version: Some(r.to_string()),
                airflow_version: None,
            },
            skyhop_catalog::Target::Airflow(a) => TargetArgs {
                runtime_version: None,
                airflow_version: Some(a.to_string()),
            },
        }
    }
}

/// The version a bridge names: `the latest 12.x/13.x (Runtime 13.11.0)` → Runtime 13.11.0,
/// `Airflow 2.10.5` → Airflow 2.10.5.
fn bridge_target(bridge: &str) -> Option<skyhop_catalog::Target> {
    let word = |after: &str| -> Option<String> {
        let (_, rest) = bridge.rsplit_once(after)?;
        let v: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
            .collect();
        (!v.is_empty()).then_some(v)
    };
    if let Some(v) = word("Runtime ")
        && let Ok(r) = skyhop_catalog::RuntimeVersion::parse(&v)
    {
        return Some(skyhop_catalog::Target::Runtime(r));
    }
    word("Airflow ").and_then(|v| skyhop_catalog::Target::parse_airflow(&v).ok())
}

/// What is left for a person after fixing: every finding that still breaks or warns, with its
/// rule (its doc: `skyhop rule CODE`) and location.
fn left_for_person(eval: &Eval) -> Vec<&Finding> {
    let mut v: Vec<&Finding> = eval
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .collect();
    v.sort_by(|a, b| (&a.path, a.line, &a.rule).cmp(&(&b.path, b.line, &b.rule)));
    v
}

/// The before/after table of a hop, its changes and what is left for a person.
pub fn render_hop(hop: &Hop) -> String {
    use std::fmt::Write as _;
    let (current, new, r) = (&hop.current, &hop.new, &hop.result);
    let mut out = String::new();
    let (ok0, n0) = r.before.importing();
    let (ok1, n1) = r.after.importing();
    out.push('\n');
    let _ = writeln!(
        out,
        "{} -> {}: {} change(s) in {} file(s), {} round(s)",
        current.label,
        new.label,
        r.changes.len(),
        r.files.len(),
        r.rounds
    );
    for c in &r.changes {
        let at = if c.line > 0 {
            format!("{}:{}", c.path, c.line)
        } else {
            c.path.clone()
        };
        let _ = writeln!(
            out,
            "  fixed {at}: {} {}{}",
            c.rule,
            c.what,
            if c.safe { "" } else { " (unsafe fix)" }
        );
    }
    for t in &r.taken_back {
        let _ = writeln!(
            out,
            "  taken back {}: {} (with it, {} failed: {})",
            t.path,
            t.changes
                .iter()
                .map(|c| format!("{} {}", c.rule, c.what))
                .collect::<Vec<_>>()
                .join("; "),
            t.broke,
            one_line(&t.error)
        );
    }
    let _ = writeln!(out, "  DAG files importing   {ok0}/{n0} -> {ok1}/{n1}");
    let (b, a) = (r.before.by_rule(), r.after.by_rule());
    let rules: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    if !rules.is_empty() {
        let _ = writeln!(out, "  findings by rule      before -> after");
        for rule in rules {
            let _ = writeln!(
                out,
                "    {:<8}            {:>6} -> {}",
                rule,
                b.get(rule).copied().unwrap_or(0),
                a.get(rule).copied().unwrap_or(0)
            );
        }
    }
    let regressions: Vec<String> = r
        .after
        .failing()
        .difference(&r.before.failing())
        .cloned()
        .collect();
    if !regressions.is_empty() {
        let _ = writeln!(
            out,
            "  files that imported before and fail now: {}",
            regressions.join(", ")
        );
    }
    let left = left_for_person(&r.after);
    if !left.is_empty() {
        let _ = writeln!(out, "Left for a person ({}):", left.len());
        for f in left {
            let at = if f.line > 0 {
                format!("{}:{}", f.path, f.line)
            } else {
                f.path.clone()
            };
            let _ = writeln!(
                out,
                "  {at}: {} {} (skyhop rule {})",
                f.rule,
                one_line(&f.message),
                f.rule
            );
        }
    }
    for n in &r.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

fn one_line(s: &str) -> String {
    let first = s.lines().next().unwrap_or("");
    if first.chars().count() > 160 {
        format!("{}…", first.chars().take(160).collect::<String>())
    } else {
        first.to_string()
    }
}

/// A pull-request description: versions, changes by rule, what is left, verification.
pub fn summary_markdown(results: &[Hop]) -> String {
    let mut md = String::new();
    let (Some(first), Some(last)) = (results.first(), results.last()) else {
        return md;
    };
    md.push_str(&format!(
        "# Upgrade {} → {}\n\nMade by `skyhop upgrade --fix`; every change is tied to the check rule that found it (`skyhop rule CODE`).\n\n",
        first.current.describe(),
        last.new.describe()
    ));
    md.push_str("| | version | Airflow | Python |\n|---|---|---|---|\n");
    md.push_str(&format!(
        "| before | {} | {} | {} |\n",
        first.current.label, first.current.airflow, first.current.python
    ));
    for Hop { new: n, .. } in results {
        md.push_str(&format!(
            "| after | {} | {} | {} |\n",
            n.label, n.airflow, n.python
        ));
    }
    for Hop {
        current: c,
        new: n,
        result: r,
    } in results
    {
        let (ok0, n0) = r.before.importing();
        let (ok1, n1) = r.after.importing();
        md.push_str(&format!("\n## {} → {}\n\n", c.label, n.label));
        md.push_str(&format!(
            "DAG files importing under {}: **{ok0}/{n0} → {ok1}/{n1}**\n\n",
            n.label
        ));
        let mut by_rule: BTreeMap<(&str, bool), Vec<&Change>> = BTreeMap::new();
        for ch in &r.changes {
            by_rule.entry((&ch.rule, ch.safe)).or_default().push(ch);
        }
        if !by_rule.is_empty() {
            md.push_str(
                "### Changes by rule\n\n| rule | fix | changes | files |\n|---|---|---|---|\n",
            );
            for ((rule, safe), chs) in &by_rule {
                let files: BTreeSet<&str> = chs.iter().map(|c| c.path.as_str()).collect();
                md.push_str(&format!(
                    "| {rule} | {} | {} | {} |\n",
                    if *safe { "safe" } else { "unsafe" },
                    chs.len(),
                    files.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        let before_failing = r.before.failing();
        let after_failing = r.after.failing();
        let new_failures: Vec<&String> = after_failing.difference(&before_failing).collect();
        md.push_str("\n### Verification\n\n");
        md.push_str(&format!(
            "Parse test under {} after the fixes: {} still failing ({} new failures, {} failing before the fixes too).\n",
            n.describe(),
            after_failing.len(),
            new_failures.len(),
            after_failing.intersection(&before_failing).count()
        ));
        if !r.taken_back.is_empty() {
            md.push_str("\n### Fixes taken back\n\nEach of these was made, tested, and broke a file that imported: left for a person.\n\n| file | fix | broke | error |\n|---|---|---|---|\n");
            for t in &r.taken_back {
                md.push_str(&format!(
                    "| `{}` | {} | `{}` | {} |\n",
                    t.path,
                    t.changes
                        .iter()
                        .map(|c| format!("{} {}", c.rule, c.what))
                        .collect::<Vec<_>>()
                        .join("; ")
                        .replace('|', "\\|"),
                    t.broke,
                    one_line(&t.error).replace('|', "\\|")
                ));
            }
        }
        let left = left_for_person(&r.after);
        if !left.is_empty() {
            md.push_str("\n### Left for a person\n\n| where | rule | what |\n|---|---|---|\n");
            for f in left {
                md.push_str(&format!(
                    "| `{}:{}` | {} | {} |\n",
                    f.path,
                    f.line,
                    f.rule,
                    one_line(&f.message).replace('|', "\\|")
                ));
            }
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_renamed_in_place() {
        let src = "x = 1\nnamespace = conf.get('kubernetes', \"NAMESPACE\")  # ns\n";
        assert_eq!(
            rename_config_read(src, 2, 22, "kubernetes_executor", "namespace").unwrap(),
            "x = 1\nnamespace = conf.get('kubernetes_executor', \"namespace\")  # ns\n"
        );
        // not the literal the finding points at: nothing
        assert_eq!(rename_config_read(src, 2, 1, "a", "b"), None);
        assert_eq!(
            needed_module("No module named 'airflow.compat'").as_deref(),
            Some("airflow.compat")
        );
    }

    #[test]
    fn text_edits_keep_every_other_byte() {
        let req = "# pins\r\npandas==2.1 ; python_version>'3'  # x\r\nrequests==2.32.3";
        assert_eq!(
            replace_requirement(req, 2, "pandas==2.2.3").unwrap(),
            "# pins\r\npandas==2.2.3 ; python_version>'3'  # x\r\nrequests==2.32.3"
        );
        assert_eq!(replace_requirement(req, 2, "numpy==1"), None);
        assert_eq!(
            append_line(req, "apache-airflow-providers-http>=5.3.0"),
            "# pins\r\npandas==2.1 ; python_version>'3'  # x\r\nrequests==2.32.3\r\napache-airflow-providers-http>=5.3.0\r\n"
        );
        let df = "FROM x:1\nENV A=1";
        assert_eq!(
            insert_after_line(df, 1, "ENV B=2").unwrap(),
            "FROM x:1\nENV B=2\nENV A=1"
        );
        assert_eq!(
            insert_after_line(df, 2, "ENV B=2").unwrap(),
            "FROM x:1\nENV A=1\nENV B=2\n"
        );
    }

    #[test]
    fn provider_modules_and_packages() {
        assert_eq!(
            new_provider_modules(
                "from airflow.operators.bash import BashOperator\n",
                "from airflow.providers.standard.operators.bash import BashOperator\n"
            ),
            ["airflow.providers.standard.operators.bash"]
        );
        assert_eq!(
            needed_package("`airflow.providers.http.operators.http` needs package `apache-airflow-providers-http`, which is not installed").as_deref(),
            Some("apache-airflow-providers-http")
        );
    }

    #[test]
    fn trigger_rules_and_bridges() {
        let src =
            "t = EmptyOperator(\n    task_id='e',\n    trigger_rule='none_failed_or_skipped',\n)\n";
        let (new, old) = trigger_rule_fix(src, 1).unwrap();
        assert_eq!(old, "none_failed_or_skipped");
        assert_eq!(
            new,
            src.replace("'none_failed_or_skipped'", "'none_failed_min_one_success'")
        );
        assert_eq!(trigger_rule_fix(&new, 1), None);
        assert_eq!(
            bridge_target("the latest 12.x/13.x (Runtime 13.11.0)").map(|t| t.to_string()),
            skyhop_catalog::RuntimeVersion::parse("13.11.0")
                .ok()
                .map(|r| skyhop_catalog::Target::Runtime(r).to_string())
        );
        assert!(bridge_target("Airflow 2.7.0 or later").is_some());
        assert!(bridge_target("a later version").is_none());
    }
}
