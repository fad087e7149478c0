//! Imports and attribute chains, checked against the index and the curated name table.

use super::*;

impl<'a> Analyzer<'a> {
    pub(super) fn is_local(&self, module: &str) -> bool {
        let top = match module.bytes().position(|b| b == b'.') {
            Some(at) => &module[..at],
            None => module,
        };
        top != "airflow" && self.ctx.local_tops.contains(top)
    }

    /// Checks `import module` / the module part of `from module import ...`.
    /// `names` are the names imported from it (empty for `import module`). Returns false when
    /// the module is missing (names from it need no further check).
    pub(super) fn check_module(&mut self, module: &str, range: TextRange, names: &[&str]) -> bool {
        if self.type_checking > 0 || self.isolated > 0 || self.is_local(module) {
            return true;
        }
        if let Some(rule) = rules().name_rule_under(module)
            && (rule.old.ends_with(".**") || rule.old == module)
        {
            let fired = self.name_rule_finding(rule, module, range);
            if fired && self.ctx.index.is_none() {
                return false;
            }
        }
        let Some(index) = self.ctx.index else {
            return true;
        };
        match &*self.ctx.resolve(index, module) {
            Resolved::MissingName { .. } => {
                self.reported.insert(module.to_string());
                let (message, replacement) = self.missing_module_message(module, names);
                let rule = specific_rule(module).unwrap_or("SKY101");
                self.push(range.start(), rule, Severity::Error, message, replacement);
                false
            }
            Resolved::NotInstalled {
                module: root,
                package,
            } => {
                self.reported.insert(root.clone());
                self.reported.insert(module.to_string());
                let message = self.not_installed_message(module, root, package.as_deref());
                let facts = not_installed_facts(package.as_deref());
                self.push_with(
                    range.start(),
                    "SKY104",
                    Severity::Error,
                    message,
                    None,
                    facts,
                );
                false
            }
            Resolved::ModuleBroken { module: m, error } => {
                self.push(
                    range.start(),
                    "SKY101",
                    Severity::Error,
                    format!(
                        "`{m}` fails to import in the target (Airflow {}): {}",
                        self.target(),
                        first_line(error)
                    ),
                    None,
                );
                false
            }
            Resolved::Deprecated { message, target } => {
                self.deprecated(range, module, message, target.clone());
                true
            }
            Resolved::Unknown
                if module.starts_with("airflow.")
                    && !index.modules.contains_key(module)
                    && !index.timed_out =>
            {
                // Inside a package the index lists but did not import: every module file
                // of `airflow` is listed, so this one does not exist.
                self.reported.insert(module.to_string());
                let (message, replacement) = self.missing_module_message(module, names);
                self.push(
                    range.start(),
                    "SKY101",
                    Severity::Error,
                    message,
                    replacement,
                );
                false
            }
            // The index cannot see the module (its budget ran out, or it was not imported):
            // a curated rule for it still speaks.
            Resolved::Unknown => match rules().name_rule_under(module) {
                Some(rule)
                    if (rule.old.ends_with(".**") || rule.old == module)
                        && !rule.semantic
                        && rule.range.severity(&self.ctx.target) == Some(Severity::Error) =>
                {
                    let code = if rule.rule == "SKY201" {
                        "SKY101"
                    } else {
                        rule.rule.as_str()
                    };
                    self.reported.insert(module.to_string());
                    self.fire_name_rule(rule, module, range, code);
                    false
                }
                _ => true,
            },
            _ => true,
        }
    }

    /// The SKY104 message for `what`, whose module `root` no installed distribution provides;
    /// names the distribution only when it is a known fact.
    fn not_installed_message(&self, what: &str, root: &str, package: Option<&str>) -> String {
        match package {
            Some(p) => format!(
                "`{what}` needs package `{p}`, which is not installed in the target (Airflow {}); add `{p}` to requirements.txt",
                self.target()
            ),
            None => format!(
                "`{what}` is not installed in the target (Airflow {}): no distribution there provides the module `{root}`; add the package that provides it to requirements.txt",
                self.target()
            ),
        }
    }

    /// Message and replacement module for a missing `module` from which `names` are imported.
    pub(super) fn missing_module_message(
        &self,
        module: &str,
        names: &[&str],
    ) -> (String, Option<String>) {
        let key = format!("{module}:{}", names.join(","));
        cached(&self.ctx.missing_modules, key, || {
            self.missing_module_message_uncached(module, names)
        })
    }

    pub(super) fn missing_module_message_uncached(
        &self,
        module: &str,
        names: &[&str],
    ) -> (String, Option<String>) {
        let mut message = format!(
            "No module named `{module}` in the target (Airflow {})",
            self.target()
        );
        let mut replacement = None;
        if let Some(rule) = rules().name_rule_under(module) {
            if let Some(new) = rule.new.as_ref().filter(|n| self.exists_in_target(n)) {
                let new_module = if rule.old.ends_with(".**") {
                    new.clone()
                } else {
                    new.rsplit_once('.')
                        .map(|(m, _)| m.to_string())
                        .unwrap_or(new.clone())
                };
                message.push_str(&format!("; it moved to `{new_module}`"));
                message.push_str(&self.package_note(&new_module, rule.package.as_deref()));
                replacement = Some(new_module);
            } else if let Some(text) = &rule.message {
                message.push_str(&format!("; {text}"));
            }
        } else if let Some(index) = self.ctx.index {
            // Same module name elsewhere, e.g. airflow.utils.weekday → ...standard.utils.weekday.
            // Best first: the module that defines the names imported (not one that imports
            // them in turn: `aws.hooks.s3`, not `aws.fs.s3`, for `S3Hook`), then the one
            // sharing most of the old path, the standard provider, the shortest.
            let last = module.rsplit('.').next().unwrap_or(module);
            let old_segments: Vec<&str> = module
                .split('.')
                .filter(|s| !matches!(*s, "airflow" | "providers"))
                .collect();
            let rank = |m: &str| {
                let info = &index.modules[m];
                let defines_all = !names.is_empty()
                    && names.iter().all(|n| {
                        info.names.get(*n).is_some_and(|kind| {
                            kind.split_once(':')
                                .is_some_and(|(_, canon)| canon == format!("{m}.{n}"))
                        })
                    });
                let shared = m.split('.').filter(|s| old_segments.contains(s)).count();
                (
                    !defines_all,
                    !m.starts_with("airflow.providers.standard"),
                    usize::MAX - shared,
                    m.len(),
                )
            };
            let best = index
                .modules
                .keys()
                .filter(|m| {
                    m.rsplit('.').next() == Some(last)
                        && m.as_str() != module
                        && m.starts_with("airflow.")
                        && !m.contains(".tests")
                        && !m.contains("._")
                })
                // Only a module that serves every imported name is a replacement.
                .filter(|m| {
                    names.iter().all(|n| {
                        matches!(
                            index.resolve(&format!("{m}.{n}")),
                            Resolved::Class(_)
                                | Resolved::Function(_)
                                | Resolved::Value
                                | Resolved::Module
                                | Resolved::Deprecated { .. }
                        )
                    })
                })
                .min_by_key(|m| (rank(m), m.as_str()));
            if let Some(b) = best {
                message.push_str(&format!("; a module with that name is `{b}`"));
                message.push_str(&self.package_note(b, None));
                replacement = Some(b.clone());
            }
        }
        (message, replacement)
    }

    /// Whether `qualname` may be suggested as a replacement: the target does not say it is
    /// missing (a curated move the target's index contradicts is not printed; a provider that
    /// is not installed cannot contradict it, and its package note says to add it).
    pub(super) fn exists_in_target(&self, qualname: &str) -> bool {
        let Some(index) = self.ctx.index else {
            return true;
        };
        !matches!(
            &*self.ctx.resolve(index, qualname),
            Resolved::MissingName { .. }
                | Resolved::MissingAttr { .. }
                | Resolved::MissingModule { .. }
                | Resolved::ModuleBroken { .. }
        )
    }

    /// ` (from X)` / ` (package X, not installed in the target: add it to requirements.txt)`.
    pub(super) fn package_note(&self, qualname: &str, package: Option<&str>) -> String {
        let key = format!("{qualname}\0{}", package.unwrap_or(""));
        cached(&self.ctx.package_notes, key, || {
            self.package_note_uncached(qualname, package)
        })
    }

    fn package_note_uncached(&self, qualname: &str, package: Option<&str>) -> String {
        let package = package
            .map(|p| p.to_string())
            .or_else(|| provider_package(qualname).map(|(p, _)| p))
            .or_else(|| {
                self.ctx
                    .index
                    .and_then(|i| i.distribution_of(qualname))
                    .map(str::to_string)
            });
        let Some(package) = package else {
            return String::new();
        };
        let installed = match self.ctx.index {
            Some(index) => index.installed(&package).is_some(),
            None => return format!(" (package `{package}`)"),
        };
        if installed {
            format!(" (package `{package}`)")
        } else {
            format!(
                " (package `{package}`, not installed in the target: add it to requirements.txt)"
            )
        }
    }

    pub(super) fn deprecated(
        &mut self,
        range: TextRange,
        what: &str,
        message: &str,
        target: Option<String>,
    ) {
        // Most files use the same few deprecated names: the text is made once per name.
        let hit = self.ctx.deprecations.read().ok().and_then(|m| {
            m.get(what)
                .filter(|d| d.message == message && d.target == target)
                .map(|d| (d.text.clone(), d.replacement.clone()))
        });
        let (text, replacement) = match hit {
            Some(hit) => hit,
            None => {
                let made = self.deprecated_text(what, message, target.clone());
                if let Ok(mut m) = self.ctx.deprecations.write() {
                    m.insert(
                        what.to_string(),
                        Deprecation {
                            message: message.to_string(),
                            target,
                            text: made.0.clone(),
                            replacement: made.1.clone(),
                        },
                    );
                }
                made
            }
        };
        self.push(
            range.start(),
            "SKY103",
            Severity::Warning,
            text,
            replacement,
        );
    }

    fn deprecated_text(
        &self,
        what: &str,
        message: &str,
        target: Option<String>,
    ) -> (String, Option<String>) {
        let target = target.filter(|t| t != what && self.exists_in_target(t));
        let mut text = format!(
            "`{what}` is deprecated in the target (Airflow {})",
            self.target()
        );
        if let Some(t) = &target {
            text.push_str(&format!("; use `{t}`"));
            text.push_str(&self.package_note(t, None));
        } else {
            text.push_str(&format!(": {}", first_line(message)));
        }
        (text, target)
    }

    /// Reports a curated name rule if it applies to the target; returns whether it fired.
    pub(super) fn name_rule_finding(
        &mut self,
        rule: &NameRule,
        qualname: &str,
        range: TextRange,
    ) -> bool {
        if self.ctx.index.is_some() && !rule.semantic {
            return false;
        }
        self.fire_name_rule(rule, qualname, range, &rule.rule)
    }

    /// With an index, a curated name rule still speaks where the index cannot see (a module
    /// whose `__getattr__` answers names the script could not list) and for deprecations the
    /// target does not announce (names that still work but are expected to go: ruff's AIR311).
    fn name_rule_with_index(
        &mut self,
        rule: &NameRule,
        qualname: &str,
        resolved: &Resolved,
        range: TextRange,
        import: bool,
    ) {
        if rule.old.ends_with(".**") || rule.semantic {
            return;
        }
        let unseen = matches!(resolved, Resolved::Unknown);
        let still_works = matches!(
            resolved,
            Resolved::Class(_) | Resolved::Function(_) | Resolved::Value | Resolved::Module
        );
        let code = match rule.range.severity(&self.ctx.target) {
            Some(Severity::Error) if unseen && import => "SKY102",
            Some(Severity::Error) if unseen => "SKY105",
            Some(Severity::Warning) if unseen || still_works => "SKY103",
            _ => return,
        };
        self.reported.insert(qualname.to_string());
        self.fire_name_rule(rule, qualname, range, code);
    }

    fn fire_name_rule(
        &mut self,
        rule: &NameRule,
        qualname: &str,
        range: TextRange,
        code: &str,
    ) -> bool {
        if rule.semantic && self.type_checking > 0 {
            return false;
        }
        let Some(severity) = rule.range.severity(&self.ctx.target) else {
            return false;
        };
        // Most files use the same few names: the text is made once per name and rule.
        let key = format!("{qualname}\0{}", rule.old);
        let (message, new) = cached(&self.ctx.name_rule_texts, key, || {
            let verb = match severity {
                Severity::Error if rule.semantic => "does not work from",
                Severity::Error => "was removed in",
                _ => "is deprecated since",
            };
            let mut message = format!("`{qualname}` {verb} Airflow {}", rule.range.when(severity));
            if let Some(text) = &rule.message {
                message.push_str(&format!(": {text}"));
            }
            let new = rule.new.as_ref().filter(|n| self.exists_in_target(n));
            if let Some(new) = new {
                message.push_str(&format!("; use `{new}`"));
                message.push_str(&self.package_note(new, rule.package.as_deref()));
            }
            (message, new.cloned())
        });
        self.push(range.start(), code, severity, message, new);
        if rule.semantic
            && let Some(p) = self.pending.last_mut()
        {
            // It imports fine and breaks only when the code runs (a task, a callback): never
            // the reason a module fails to load.
            p.checked.at_import = false;
        }
        true
    }

    /// Checks a use of `qualname` (an imported name or an attribute chain). `attrs_only`:
    /// the chain starts at an imported class or function, whose import was checked already.
    pub(super) fn check_name(
        &mut self,
        qualname: &str,
        range: TextRange,
        attrs_only: bool,
        import: bool,
    ) {
        if self.type_checking > 0 || self.isolated > 0 || self.is_local(qualname) {
            return;
        }
        // Already reported: the name itself or a module / class it lies in.
        if !self.reported.is_empty()
            && (self.reported.contains(qualname)
                || qualname
                    .match_indices('.')
                    .any(|(i, _)| self.reported.contains(&qualname[..i])))
        {
            return;
        }
        let rule = if attrs_only {
            None
        } else {
            rules().name_rule(qualname)
        };
        if let Some(rule) = rule
            && (!rule.old.ends_with(".**") || self.ctx.index.is_some() || rule.semantic)
        {
            self.name_rule_finding(rule, qualname, range);
        }
        let Some(index) = self.ctx.index else {
            return;
        };
        let resolved = self.ctx.resolve(index, qualname);
        if attrs_only && !matches!(*resolved, Resolved::MissingAttr { .. }) {
            return;
        }
        if let Some(rule) = rule {
            self.name_rule_with_index(rule, qualname, &resolved, range, import);
        }
        match &*resolved {
            Resolved::MissingName {
                module,
                name,
                reason,
            } => {
                let mut message = format!(
                    "`{name}` does not exist in `{module}` in the target (Airflow {})",
                    self.target()
                );
                if let Some(reason) = reason {
                    message.push_str(&format!(": {}", first_line(reason)));
                }
                self.reported.insert(format!("{module}.{name}"));
                let replacement = self.replacement_for(qualname, module, name, &mut message);
                let rule =
                    specific_rule(qualname).unwrap_or(if import { "SKY102" } else { "SKY105" });
                self.push(range.start(), rule, Severity::Error, message, replacement);
            }
            Resolved::MissingAttr { class, attr } => {
                let message = format!(
                    "`{qualname}`: class `{class}` has no attribute `{attr}` in the target (Airflow {})",
                    self.target()
                );
                self.push(range.start(), "SKY105", Severity::Error, message, None);
            }
            Resolved::NotInstalled { module, package } => {
                let message = self.not_installed_message(qualname, module, package.as_deref());
                let facts = not_installed_facts(package.as_deref());
                self.push_with(
                    range.start(),
                    "SKY104",
                    Severity::Error,
                    message,
                    None,
                    facts,
                );
            }
            Resolved::Deprecated { message, target } => {
                self.deprecated(range, qualname, message, target.clone());
            }
            _ => {}
        }
    }

    pub(super) fn replacement_for(
        &self,
        qualname: &str,
        module: &str,
        name: &str,
        message: &mut String,
    ) -> Option<String> {
        let index = self.ctx.index?;
        if let Some(rule) = rules().name_rule(qualname) {
            if let Some(new) = rule.new.as_ref().filter(|n| self.exists_in_target(n)) {
                message.push_str(&format!("; use `{new}`"));
                message.push_str(&self.package_note(new, rule.package.as_deref()));
                return Some(new.clone());
            }
            if let Some(text) = &rule.message {
                message.push_str(&format!("; {text}"));
                return None;
            }
        }
        let found = index.find_elsewhere(name, module);
        let best = found.first()?;
        message.push_str(&format!("; the target has `{best}`"));
        message.push_str(&self.package_note(best, None));
        Some(best.clone())
    }
}

/// The value cached under `key` in `map`, computed by `make` the first time (shared by the
/// threads checking files: most files name the same few things).
fn cached<V: Clone>(map: &RwLock<HashMap<String, V>>, key: String, make: impl FnOnce() -> V) -> V {
    if let Some(hit) = map.read().ok().and_then(|m| m.get(&key).cloned()) {
        return hit;
    }
    let value = make();
    if let Ok(mut m) = map.write() {
        m.insert(key, value.clone());
    }
    value
}

/// The curated rule code for a missing name when it is more specific than "not found"
/// (SubDAGs, Smart Sensors, ...).
fn specific_rule(qualname: &str) -> Option<&'static str> {
    rules()
        .name_rule_under(qualname)
        .map(|r| r.rule.as_str())
        .filter(|r| *r != "SKY201")
}

/// The facts of a SKY104 finding: the distribution to add, when it is a known fact (the message
/// then names it too).
fn not_installed_facts(package: Option<&str>) -> Facts {
    match package {
        Some(p) if !p.is_empty() => Facts {
            missing_package: Some(p.to_string()),
            ..Facts::default()
        },
        _ => Facts::default(),
    }
}
