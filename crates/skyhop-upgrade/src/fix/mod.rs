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

mod edits;
mod findings;
#[cfg(test)]
mod offline_tests;
mod plan;
mod primitives;
mod render;
#[cfg(test)]
mod tests;

use edits::*;
use findings::*;
pub use plan::{Plan, plan_hops};
pub(crate) use primitives::*;
use render::one_line;
pub use render::{render_hop, summary_markdown};
