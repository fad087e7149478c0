//! Calls: keyword arguments of DAG / operator / hook constructors, `default_args`, methods of
//! objects built from known classes, and the DAG defaults that changed.

use super::*;

impl<'a> Analyzer<'a> {
    /// Checks a call; returns whether its callee is a known qualified name.
    pub(super) fn check_call(&mut self, call: &'a ast::ExprCall, decorator: bool) -> bool {
        let callee = self.qualify(&call.func);
        let qualified = callee.is_some();
        // Method call on an object of a known class (or through a user subclass).
        if let Expr::Attribute(attr) = &*call.func {
            if let Some(ty) = self.ty_of(&attr.value) {
                let text = self.text_of(attr.range);
                self.check_member(&ty, text, attr.attr.id.as_str(), attr.attr.range, true);
            }
            // context.get("execution_date")
            if attr.attr.id.as_str() == "get"
                && self.is_context(&attr.value)
                && let Some(Expr::StringLiteral(s)) = call.arguments.args.first()
            {
                self.context_key(s.value.to_str(), s.range);
            }
            // inlet_events.get("s3://..."): a lookup by string.
            if attr.attr.id.as_str() == "get"
                && let Some(Expr::StringLiteral(s)) = call.arguments.args.first()
                && let Some(ty) = self.ty_of(&attr.value)
            {
                let text = self.text_of(call.range());
                self.check_member(&ty, text, "[str]", s.range, false);
            }
        }
        let Some(callee) = callee else {
            return qualified;
        };
        self.check_config_read(&callee, call);
        self.check_values(call);
        self.check_positional(&callee, call);
        let last = callee.rsplit('.').next().unwrap_or("");
        let airflow = callee.starts_with("airflow.");
        let is_dag = airflow && (last == "DAG" || last == "dag");
        let found = self.signature_of(&callee);
        let (signature, class) = (found.signature.as_ref(), &found.class);
        let is_operator = airflow
            && (last.ends_with("Operator")
                || last.ends_with("Sensor")
                || class.as_deref().is_some_and(|c| {
                    self.ctx
                        .index
                        .is_some_and(|i| i.class_derives(c, ".BaseOperator"))
                }));
        if !(is_dag || is_operator || signature.is_some() || rules().has_argument_rules(&callee)) {
            return qualified;
        }
        // Keywords given (for the DAG defaults that changed): only DAG calls need them.
        let mut seen: Vec<String> = Vec::new();
        let mut see = |key: &str| {
            if is_dag {
                seen.push(key.to_string());
            }
        };
        for kw in &call.arguments.keywords {
            match &kw.arg {
                Some(arg) => {
                    see(arg.id.as_str());
                    self.check_keyword(
                        &callee,
                        is_dag,
                        is_operator,
                        signature,
                        arg.id.as_str(),
                        arg.range,
                    );
                    if arg.id.as_str() == "default_args"
                        && let Some(keys) = self.dict_keys(&kw.value)
                    {
                        for (key, range) in keys {
                            see(&key);
                            self.check_default_arg(&key, range);
                        }
                    }
                }
                None => {
                    if let Some(keys) = self.dict_keys(&kw.value) {
                        for (key, range) in keys {
                            see(&key);
                            self.check_keyword(
                                &callee,
                                is_dag,
                                is_operator,
                                signature,
                                &key,
                                range,
                            );
                        }
                    } else {
                        see("**");
                    }
                }
            }
        }
        if is_dag && (decorator || last == "DAG") {
            self.dag_defaults(call.func.range(), &seen);
        }
        qualified
    }

    /// (keywords, canonical class when the callee is a class) of a callee, from the index: a
    /// class's constructor, a function, or a method called through its class
    /// (`BaseHook.get_connection`, a classmethod or staticmethod). Cached per thread like
    /// [`Ctx::resolve`]: most files call the same few dozen callees.
    pub(super) fn signature_of(&self, callee: &str) -> Rc<SignatureOf> {
        SIGNATURES.with(|cell| {
            let mut cache = cell.borrow_mut();
            if cache.0 != self.ctx.id {
                cache.0 = self.ctx.id;
                cache.1.clear();
            }
            if let Some(hit) = cache.1.get(callee) {
                return Rc::clone(hit);
            }
            let made = Rc::new(self.signature_of_uncached(callee));
            cache.1.insert(callee.to_string(), Rc::clone(&made));
            made
        })
    }

    fn signature_of_uncached(&self, callee: &str) -> SignatureOf {
        let none = SignatureOf::default();
        let Some(index) = self.ctx.index else {
            return none;
        };
        let resolved = self.resolve_through_shim(index, callee);
        match &*resolved {
            Resolved::Class(c) => SignatureOf {
                signature: index.class_init(c).cloned(),
                class: Some(c.clone()),
            },
            Resolved::Function(Some(f)) => SignatureOf {
                signature: index.function_signature(f).cloned(),
                class: None,
            },
            // `Class.method`: the method's own parameters, never the constructor's. Only the
            // target's own packages have classes in the index.
            Resolved::Unknown if callee.starts_with("airflow.") => {
                let Some((owner, method)) = callee.rsplit_once('.') else {
                    return none;
                };
                match &*self.resolve_through_shim(index, owner) {
                    Resolved::Class(c) => SignatureOf {
                        signature: index.method_signature(c, method),
                        class: None,
                    },
                    _ => none,
                }
            }
            _ => none,
        }
    }

    /// `index.resolve`, following a deprecation shim to what it serves.
    fn resolve_through_shim(&self, index: &ApiIndex, qualname: &str) -> Rc<Resolved> {
        let resolved = self.ctx.resolve(index, qualname);
        if let Resolved::Deprecated {
            target: Some(t), ..
        } = &*resolved
        {
            return self.ctx.resolve(index, t);
        }
        resolved
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn check_keyword(
        &mut self,
        callee: &str,
        is_dag: bool,
        is_operator: bool,
        signature: Option<&Signature>,
        keyword: &str,
        range: TextRange,
    ) {
        if let Some(rule) = rules().argument_rule(callee, is_dag, is_operator, keyword) {
            let accepted = signature.is_some_and(|s| s.params.iter().any(|p| p == keyword));
            if let Some(mut severity) = rule.range.severity(&self.ctx.target) {
                if severity == Severity::Error
                    && let Some(s) = rule.severity
                {
                    severity = s;
                }
                let mut message = match &rule.message {
                    Some(m) => m.clone(),
                    None => format!(
                        "argument `{keyword}` was {} in Airflow {}",
                        if severity == Severity::Error {
                            "removed"
                        } else {
                            "deprecated"
                        },
                        rule.range.when(severity)
                    ),
                };
                // A new argument name the target's signature does not take is not suggested.
                let new = rule.new.as_ref().filter(|n| {
                    let identifier = n.chars().all(|c| c.is_alphanumeric() || c == '_');
                    !(identifier
                        && signature.is_some_and(|s| s.closed && !s.params.iter().any(|p| p == *n)))
                });
                if let Some(new) = new {
                    message.push_str(&format!("; use `{new}`"));
                }
                if accepted && severity == Severity::Error && rule.severity.is_none() {
                    // The target still accepts it: it only warns there.
                    severity = Severity::Warning;
                }
                self.push(range.start(), &rule.rule, severity, message, new.cloned());
                return;
            }
        }
        if let Some(sig) = signature
            && sig.closed
            && !sig.params.iter().any(|p| p == keyword)
        {
            let close = sig
                .params
                .iter()
                .find(|p| similar_name(p, keyword))
                .cloned();
            let mut message = format!(
                "`{callee}` does not accept argument `{keyword}` in the target (Airflow {})",
                self.target()
            );
            if let Some(c) = &close {
                message.push_str(&format!("; did you mean `{c}`?"));
            }
            self.push(range.start(), "SKY106", Severity::Error, message, None);
        }
    }

    pub(super) fn check_default_arg(&mut self, key: &str, range: TextRange) {
        if let Some(rule) = rules().argument_rule("", false, true, key)
            && let Some(severity) = rule.range.severity(&self.ctx.target)
        {
            let _ = severity;
            let mut message = format!(
                "`default_args` key `{key}` is ignored from Airflow {}",
                rule.range.when(Severity::Error)
            );
            if let Some(m) = &rule.message {
                message = format!("`default_args`: {m}");
            }
            if let Some(new) = &rule.new {
                message.push_str(&format!("; use `{new}`"));
            }
            self.push(
                range.start(),
                &rule.rule,
                Severity::Warning,
                message,
                rule.new.clone(),
            );
            return;
        }
        let Some(index) = self.ctx.index else {
            return;
        };
        let base = [
            "airflow.sdk.bases.operator.BaseOperator",
            "airflow.models.baseoperator.BaseOperator",
        ]
        .iter()
        .find_map(|c| index.class_init(c));
        if let Some(sig) = base {
            let dag_keys = ["dag", "schedule", "catchup", "start_date", "end_date"];
            if sig.closed && !sig.params.iter().any(|p| p == key) && !dag_keys.contains(&key) {
                // Operator-specific keys (e.g. `bash_command`) are fine: they apply to the
                // operators that accept them.
                let accepted_somewhere = index
                    .classes
                    .values()
                    .any(|c| c.init.params.iter().any(|p| p == key));
                if !accepted_somewhere {
                    self.push(
                        range.start(),
                        "SKY106",
                        Severity::Warning,
                        format!(
                            "`default_args` key `{key}` is accepted by no operator in the target (Airflow {}) and is ignored",
                            self.target()
                        ),
                        None,
                    );
                }
            }
        }
    }

    /// Whether the upgrade crosses Airflow 3.0 (the target is 3.0 or later, the current
    /// version, when known, earlier).
    pub(super) fn crosses_3_0(&self) -> bool {
        static V3: OnceLock<Option<Version>> = OnceLock::new();
        let Some(v) = V3.get_or_init(|| Version::parse("3.0")) else {
            return false;
        };
        self.ctx.target >= *v && self.ctx.current.as_ref().is_none_or(|c| c < v)
    }

    pub(super) fn dag_defaults(&mut self, range: TextRange, keywords: &[String]) {
        if keywords.iter().any(|k| k == "**") || !self.crosses_3_0() {
            return;
        }
        let has = |k: &str| keywords.iter().any(|x| x == k);
        if !has("schedule") && !has("schedule_interval") && !has("timetable") {
            self.push(
                range.start(),
                "SKY309",
                Severity::Warning,
                "DAG without `schedule`: the default changed from daily to `None` in Airflow 3.0, so it will only run when triggered; set `schedule=` explicitly".into(),
                None,
            );
        }
        // `[scheduler] catchup_by_default` set by the project keeps its DAGs' behaviour.
        let project_default = self
            .ctx
            .config_set
            .contains(&("scheduler".to_string(), "catchup_by_default".to_string()));
        if !has("catchup") && !project_default {
            self.push(
                range.start(),
                "SKY308",
                Severity::Warning,
                "DAG without `catchup`: the default changed from True to False in Airflow 3.0 (`[scheduler] catchup_by_default`); set `catchup=` explicitly".into(),
                None,
            );
        }
    }
}

/// What [`Analyzer::signature_of`] found for a callee.
#[derive(Debug, Default)]
pub(super) struct SignatureOf {
    /// The keywords it accepts.
    pub signature: Option<Signature>,
    /// The canonical class, when the callee is a class.
    pub class: Option<String>,
}

thread_local! {
    /// `(Ctx id, callee → what it takes)` of the check this thread last worked for.
    static SIGNATURES: std::cell::RefCell<(u64, HashMap<String, Rc<SignatureOf>>)> =
        std::cell::RefCell::new((0, HashMap::default()));
}

fn similar_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    a != b && (a.starts_with(&b) || b.starts_with(&a) || a.replace('_', "") == b.replace('_', ""))
}
