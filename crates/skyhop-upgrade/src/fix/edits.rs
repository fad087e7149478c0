//! Every fix the findings of a round carry, as whole-file edits ([`plan_edits`]): Python
//! through the check crate's fix engine, requirements and provider pins, configuration, the
//! Dockerfile and `.airflowignore`.

use super::*;

/// The new text of one file and the changes that make it.
pub(super) struct FileEdit {
    /// Relative to the project.
    pub(super) path: String,
    /// The file's text before, `None` when it did not exist.
    pub(super) old_file: Option<String>,
    pub(super) old: String,
    pub(super) new: String,
    pub(super) changes: Vec<Change>,
}

/// What the edits ask of the package index, as functions: the run resolves with the target
/// ([`plan_edits`]); tests answer offline.
pub(super) struct Lookups<'a> {
    /// The target's lock with `packages` added to the project's requirements (the error's
    /// text when they do not resolve).
    pub(super) with_packages: &'a dyn Fn(&[String]) -> Result<skyhop_core::Lock, String>,
    /// The newest version of the pinned requirement (now `==version`) that resolves with the
    /// target, when newer ([`newest_resolving`]).
    pub(super) newest: &'a dyn Fn(&skyhop_project::Requirement, &str) -> Option<String>,
}

/// Every fix the findings of `eval` carry, as whole-file edits.
pub(super) fn plan_edits(
    ctx: &Ctx,
    project: &Project,
    eval: &Eval,
    new: &Pinned,
    today: &BTreeSet<String>,
    unsafe_fixes: bool,
    notes: &mut Vec<String>,
) -> Vec<FileEdit> {
    let with_packages = |packages: &[String]| {
        let mut spec = envs::spec(ctx, new, Some(project), None);
        for p in packages {
            spec.extra_requirements.push(skyhop_core::Requirement {
                requirement: p.clone(),
                name: p.clone(),
                file: "requirements.txt".into(),
                line: 0,
                ..Default::default()
            });
        }
        skyhop_env::resolve(&spec, &ctx.cache, &ctx.progress).map_err(|e| e.to_string())
    };
    let newest = |req: &skyhop_project::Requirement, version: &str| {
        newest_resolving(ctx, project, new, req, version)
    };
    let lookups = Lookups {
        with_packages: &with_packages,
        newest: &newest,
    };
    plan_edits_with(project, eval, new, today, unsafe_fixes, notes, &lookups)
}

/// [`plan_edits`], asking the index through `lookups`.
pub(super) fn plan_edits_with(
    project: &Project,
    eval: &Eval,
    new: &Pinned,
    today: &BTreeSet<String>,
    unsafe_fixes: bool,
    notes: &mut Vec<String>,
    lookups: &Lookups<'_>,
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
            .find(|r| {
                skyhop_check::Rule::from_code(r)
                    .is_some_and(skyhop_check::Rule::fixed_by_import_rewrite)
            })
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
        if let Some(package) = &f.facts.missing_package {
            providers
                .entry(skyhop_core::normalize_name(package))
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
        match (lookups.newest)(req, &version) {
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
        if let Some((c, fix)) = finding_fix(f) {
            let path = c.path.clone();
            edit_text(&mut texts, &path, c, &|t| fix.apply(t));
            continue;
        }
        if f.rule != "SKY310" {
            continue;
        }
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
        let fix = TextFix::EnvAfter {
            line: located.line as u32,
            key: key.to_string(),
            setting: setting.to_string(),
        };
        let c = Change {
            path: "Dockerfile".into(),
            line: f.line,
            rule: f.rule.clone(),
            safe: true,
            what: "config".into(),
        };
        edit_text(&mut texts, "Dockerfile", c, &|t| fix.apply(t));
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
        let versions = provider_versions(new, eval, &wanted, notes, lookups.with_packages);
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

/// A fix one finding carries for its own file's text, needing nothing of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TextFix {
    /// A removed `trigger_rule=` value at or below `line` renamed.
    TriggerRule { line: u32 },
    /// The `conf.get` read at `line:column` made to read `[section] key`.
    ConfigRead {
        line: u32,
        column: u32,
        section: String,
        key: String,
    },
    /// The requirement at `line` replaced by `new`.
    Requirement { line: u32, new: String },
    /// `ENV setting` (`KEY=value`) inserted after the Dockerfile's line `line` (its `FROM`),
    /// unless an `ENV` line sets `key` already.
    EnvAfter {
        line: u32,
        key: String,
        setting: String,
    },
}

impl TextFix {
    /// The file's new text, `None` when the fix does not apply to `text`: its span edits
    /// ([`TextFix::edits`]) made by the one edit engine.
    pub(super) fn apply(&self, text: &str) -> Option<String> {
        self.edits(text).map(|es| applied(text, &es))
    }

    /// The span edits of the fix on `text`, `None` when it does not apply.
    pub(super) fn edits(&self, text: &str) -> Option<Vec<skyhop_core::edit::Edit>> {
        match self {
            TextFix::TriggerRule { line } => trigger_rule_edit(text, *line).map(|(e, _)| vec![e]),
            TextFix::ConfigRead {
                line,
                column,
                section,
                key,
            } => rename_config_read_edits(text, *line, *column, section, key),
            TextFix::Requirement { line, new } => {
                replace_requirement_edit(text, *line, new).map(|e| vec![e])
            }
            TextFix::EnvAfter { line, key, setting } => {
                if text
                    .lines()
                    .any(|l| l.trim_start().starts_with("ENV") && l.contains(key.as_str()))
                {
                    return None;
                }
                insert_after_line_edit(text, *line, &format!("ENV {setting}")).map(|e| vec![e])
            }
        }
    }
}

/// The fix of `f` on its own file, from the finding's facts and `replacement` (never its
/// message): a removed trigger rule (SKY900 / SKY910), a configuration read (SKY402), a
/// requirement (SKY502 / SKY503).
pub(super) fn finding_fix(f: &Finding) -> Option<(Change, TextFix)> {
    let change = |what: String| Change {
        path: f.path.clone(),
        line: f.line,
        rule: f.rule.clone(),
        safe: true,
        what,
    };
    match f.rule.as_str() {
        "SKY900" | "SKY910" if f.facts.trigger_rule => Some((
            change("removed trigger rule renamed".into()),
            TextFix::TriggerRule { line: f.line },
        )),
        "SKY402" => {
            let (ns, nk) = f.replacement.as_deref()?.split_once('.')?;
            Some((
                change(format!("config read as [{ns}] {nk}")),
                TextFix::ConfigRead {
                    line: f.line,
                    column: f.column,
                    section: ns.into(),
                    key: nk.into(),
                },
            ))
        }
        "SKY502" | "SKY503" => {
            let new = f.replacement.as_deref()?;
            if f.line == 0 || f.path == "Dockerfile" {
                return None;
            }
            Some((
                change("requirement".into()),
                TextFix::Requirement {
                    line: f.line,
                    new: new.into(),
                },
            ))
        }
        _ => None,
    }
}
