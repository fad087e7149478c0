//! Amazon MWAA: requirements.txt is installed with the `--constraint` URL line MWAA's
//! documentation asks for (`https://raw.githubusercontent.com/apache/airflow/constraints-<V>/constraints-<X.Y>.txt`).
//! `skyhop upgrade --platform mwaa --airflow-version V` rewrites that URL to V and the Python of
//! MWAA's image for V, only the URL's bytes, after the catalog validated the upgrade.

use skyhop_catalog::{Target, UpgradeOptions};
use skyhop_project::{Detected, FileRewrite, Platform, Project};

use crate::constraints::{airflow_constraints, retarget};
use crate::platform::{PlatformPrepare, PlatformPrepared};
use crate::{Failure, TargetArgs};

/// One `--constraint URL` line of requirements.txt: its 1-based line, the URL's bytes and the
/// Airflow version and Python it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintLine {
    pub line: usize,
    pub span: std::ops::Range<usize>,
    pub url: String,
    pub airflow: String,
    pub python: String,
}

/// The Airflow constraints URLs of a requirements text, each with where it is.
pub fn constraint_lines(text: &str) -> Vec<ConstraintLine> {
    let mut out = Vec::new();
    let mut at = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let start = at;
        at += line.len();
        let content = line.split(" #").next().unwrap_or("");
        let Some(url) = skyhop_project::platform::constraint_url(content) else {
            continue;
        };
        let Some((airflow, python)) = airflow_constraints(url) else {
            continue;
        };
        let Some(offset) = line.find(url) else {
            continue;
        };
        out.push(ConstraintLine {
            line: i + 1,
            span: start + offset..start + offset + url.len(),
            url: url.to_string(),
            airflow,
            python,
        });
    }
    out
}

/// Whether the project is modelled as MWAA: `--platform mwaa`, or no Dockerfile and MWAA's
/// layout (see [`skyhop_project::platform::mwaa_layout`]).
pub fn is_mwaa(project: &Project) -> bool {
    match project.platform {
        Some(p) => p == Platform::Mwaa,
        None => {
            project.dockerfile.is_none()
                && skyhop_project::platform::mwaa_layout(&project.root).is_some()
        }
    }
}

/// The upgrade of an MWAA project's `--constraint` line to the version `version` asks for;
/// `None` when the project is not modelled as MWAA.
pub fn prepare(
    version: &TargetArgs,
    allow_deprecated: bool,
    project: &Project,
) -> Result<Option<PlatformPrepare>, Failure> {
    if !is_mwaa(project) {
        return Ok(None);
    }
    let file = "requirements.txt";
    let text = std::fs::read_to_string(project.requirements_path()).map_err(|e| {
        Failure::usage(format!(
            "{file}: cannot read it ({e}): an MWAA project installs requirements.txt with Airflow's constraints"
        ))
    })?;
    let lines = constraint_lines(&text);
    let first = lines.first().ok_or_else(|| {
        Failure::usage(format!(
            "{file}: no `--constraint \"https://raw.githubusercontent.com/apache/airflow/constraints-<V>/constraints-<X.Y>.txt\"` line, so skyhop cannot tell which Airflow the MWAA environment runs; add the line MWAA's documentation asks for"
        ))
    })?;
    let at = format!("{file}:{}", first.line);
    let current =
        Target::parse_airflow(&first.airflow).map_err(|e| Failure::usage(format!("{at}: {e}")))?;
    let target = crate::base::parse_target(version)?;
    let new_version = match &target {
        Target::Airflow(v) => v.to_string(),
        Target::Runtime(_) => {
            return Err(Failure::usage(format!(
                "{at}: MWAA runs Apache Airflow; pass --airflow-version (a Runtime version names an Astro Runtime image)"
            )));
        }
    };
    let (catalog, _) =
        skyhop_catalog::Catalog::load(&skyhop_core::cache_dir(), skyhop_catalog::Refresh::Auto);
    let plan = match catalog.check_upgrade(&current, &target, UpgradeOptions::new(allow_deprecated))
    {
        Ok(plan) => plan,
        Err(refusal) if refusal.is_nothing_to_do() => {
            return Ok(Some(PlatformPrepare::NothingToDo(refusal.to_string())));
        }
        Err(refusal) => return Err(Failure::usage(format!("upgrade refused: {refusal}"))),
    };
    // MWAA's image for the target decides the Python (its constraints name it); else kept.
    let mut notes = Vec::new();
    let new_python = match skyhop_catalog::image_constraints(&new_version) {
        Some(c) => c.python,
        None => {
            notes.push(format!(
                "{at}: Airflow {new_version} has no image in aws/amazon-mwaa-docker-images (it has {}), so skyhop does not know the Python of MWAA's image for it: the constraints URL keeps Python {}; check that MWAA offers Airflow {new_version} and with which Python",
                skyhop_catalog::embedded_constraints().join(", "),
                first.python
            ));
            first.python.clone()
        }
    };
    let mut new_text = String::with_capacity(text.len() + 8);
    let mut pos = 0;
    let mut changes = Vec::new();
    for l in &lines {
        let Some(url) = retarget(&l.url, &new_version, &new_python) else {
            continue;
        };
        if url == l.url {
            continue;
        }
        new_text.push_str(&text[pos..l.span.start]);
        new_text.push_str(&url);
        pos = l.span.end;
        changes.push((l.line, "--constraint".to_string(), l.url.clone(), url));
    }
    new_text.push_str(&text[pos..]);
    notes.push(format!(
        "MWAA: apply Airflow {new_version} to the environment together with this requirements.txt (`aws mwaa update-environment --name ENV --airflow-version {new_version}` with the new requirements file version); the metadata database is migrated by MWAA, and going back means restoring the environment, so rehearse it first: `skyhop db rehearse --db-url URL --from-airflow-version {} --airflow-version {new_version}` on a copy",
        first.airflow
    ));
    let rewrites = if changes.is_empty() {
        Vec::new()
    } else {
        vec![FileRewrite {
            file: file.to_string(),
            before: text.clone(),
            text: new_text,
            changes,
        }]
    };
    Ok(Some(PlatformPrepare::Ready(Box::new(PlatformPrepared {
        plan,
        detected: Detected {
            platform: Platform::Mwaa,
            file: Some(file.to_string()),
            why: format!("{at} `--constraint {}`", first.url),
        },
        rewrites,
        notes,
    }))))
}

/// The current version of an MWAA project from its `--constraint` URL (Airflow and Python),
/// with the note that says so; `None` when the project is not modelled as MWAA or has no such
/// line.
pub fn current(ctx: &crate::Ctx, project: &Project) -> Result<Option<crate::Pinned>, Failure> {
    if !is_mwaa(project) {
        return Ok(None);
    }
    let Some(text) = project
        .requirements
        .as_ref()
        .map(|r| r.root_text().to_string())
    else {
        return Ok(None);
    };
    let Some(first) = constraint_lines(&text).into_iter().next() else {
        return Ok(None);
    };
    let mut pinned = crate::target::airflow(ctx, &first.airflow)
        .map_err(|f| Failure::usage(format!("requirements.txt:{}: {}", first.line, f.message)))?;
    pinned.python = first.python.clone();
    pinned.image = None;
    image(ctx, &mut pinned);
    pinned.notes.push(format!(
        "MWAA: Airflow {} on Python {}, as requirements.txt:{} `--constraint` names them",
        first.airflow, first.python, first.line
    ));
    Ok(Some(pinned))
}

/// Rule code of a requirement MWAA would refuse: it conflicts with the Airflow constraints
/// MWAA installs requirements.txt with.
pub const REFUSED_RULE: &str = "SKY507";

/// Every requirement of an MWAA project that conflicts with the constraints of Airflow
/// `new.airflow` (MWAA installs requirements.txt with them, so pip refuses the install and the
/// environment update fails), each on its line; empty when the project is not modelled as
/// MWAA. The second value is a note when those constraints are not embedded.
pub fn refusals(
    project: &Project,
    new: &crate::Pinned,
) -> (Vec<skyhop_core::Finding>, Option<String>) {
    use std::str::FromStr;
    if !is_mwaa(project) {
        return (Vec::new(), None);
    }
    let Some(reqs) = &project.requirements else {
        return (Vec::new(), None);
    };
    let Some(c) = skyhop_catalog::image_constraints(&new.airflow) else {
        return (
            Vec::new(),
            Some(format!(
                "MWAA: Airflow {}'s constraints file is not embedded (there are for {}), so requirements MWAA would refuse for conflicting with it are not reported",
                new.airflow,
                skyhop_catalog::embedded_constraints().join(", ")
            )),
        );
    };
    let mut out = Vec::new();
    for r in reqs.requirements() {
        let (Some(spec), None) = (&r.specifier, &r.url) else {
            continue;
        };
        let Some(pin) = c.pin(&r.normalized) else {
            continue;
        };
        let (Ok(specs), Ok(version)) = (
            pep440_rs::VersionSpecifiers::from_str(spec),
            pep440_rs::Version::from_str(pin),
        ) else {
            continue;
        };
        if specs.contains(&version) {
            continue;
        }
        out.push(skyhop_core::Finding {
            path: r.file.clone(),
            line: r.line as u32,
            column: 1,
            rule: REFUSED_RULE.into(),
            severity: skyhop_core::Severity::Error,
            message: format!(
                "MWAA installs requirements.txt with Airflow {}'s constraints (constraints-{}/constraints-{}.txt), which pin {}=={pin}: `{}` asks for {spec}, so pip refuses the install and the environment update fails; require {}=={pin} (or leave the version to the constraints)",
                c.airflow, c.airflow, c.python, r.normalized, r.text, r.name
            ),
            replacement: None,
            source: skyhop_core::Source::Deps,
            related: Vec::new(),
            facts: Default::default(),
        });
    }
    (out, None)
}

/// The packages MWAA's image installs besides Airflow (its bootstrap's `REQUIRED_PACKAGES`,
/// `images/airflow/<V>/bootstrap/02-airflow/001-install-required-pip-packages.sh` of
/// aws/amazon-mwaa-docker-images): `apache-airflow[celery,statsd]`, the Amazon provider with
/// `aiobotocore`, Postgres, `celery[sqs]`, psycopg2, pycurl, watchtower, fluent-logger,
/// virtualenv; on Airflow 3 also the FAB and standard providers (and gunicorn from 3.2). The
/// type stubs it adds (`boto3-stubs[logs,sqs]`) are left out.
pub fn image_packages(airflow: &str) -> Vec<&'static str> {
    let mut out = vec![
        "apache-airflow-providers-amazon",
        "aiobotocore",
        "apache-airflow-providers-celery",
        "statsd",
        "apache-airflow-providers-postgres",
        "celery",
        "psycopg2",
        "pycurl",
        "watchtower",
        "fluent-logger",
        "virtualenv",
    ];
    let af3 = airflow.starts_with("3.");
    if af3 {
        out.extend([
            "apache-airflow-providers-fab",
            "apache-airflow-providers-standard",
        ]);
    }
    if af3 && !airflow.starts_with("3.0.") && !airflow.starts_with("3.1.") {
        out.push("gunicorn");
    }
    out
}

/// Models `pinned` as MWAA's image of its Airflow version: MWAA's packages at the versions of
/// Airflow's constraints file (which MWAA installs them, and requirements.txt, with) and the
/// Python that file is for; without an embedded copy, unpinned, with a note.
pub fn image(ctx: &crate::Ctx, pinned: &mut crate::Pinned) {
    let c = skyhop_catalog::image_constraints(&pinned.airflow);
    pinned.image_packages = image_packages(&pinned.airflow)
        .into_iter()
        .map(|n| {
            let v = c.as_ref().and_then(|c| c.pin(n)).unwrap_or("").to_string();
            (n.to_string(), v)
        })
        .collect();
    let Some(c) = c else {
        pinned.notes.push(format!(
            "MWAA's Airflow {} image: Airflow's constraints for it are not embedded (there are for {}): its packages are resolved as of the release date",
            pinned.airflow,
            skyhop_catalog::embedded_constraints().join(", ")
        ));
        return;
    };
    pinned.python = c.python.clone();
    let (python, _) = ctx.python_for(pinned);
    pinned.notes.push(format!(
        "MWAA's Airflow {} image: its packages and requirements.txt installed with Airflow's constraints-{} for Python {} (embedded from {})",
        pinned.airflow, pinned.airflow, c.python, c.copy
    ));
    if python == c.python {
        pinned.image_constraints = Some(c);
    }
}

/// requirements.txt with each Airflow constraints URL replaced by a local copy of the file
/// MWAA would install with (an MWAA project: the environment's own Airflow version, as
/// `skyhop upgrade` writes it; another project: the URL's own version and Python), written in
/// the cache; `None` (use the file as it is) when it has no such URL, refers to other files, or
/// the copy is not embedded.
pub fn offline_requirements(
    cache_root: &std::path::Path,
    project: &Project,
    pinned: &crate::Pinned,
) -> Option<std::path::PathBuf> {
    let text = std::fs::read_to_string(project.requirements_path()).ok()?;
    let lines = constraint_lines(&text);
    if lines.is_empty() {
        return None;
    }
    let others = text.lines().enumerate().any(|(i, l)| {
        let t = l.split(" #").next().unwrap_or("").trim();
        let refers =
            t.starts_with('-') || t.starts_with('.') || t.starts_with('/') || t.contains("file:");
        refers
            && !t.starts_with("--index-url")
            && !t.starts_with("--extra-index-url")
            && !t.starts_with("-i ")
            && !lines.iter().any(|c| c.line == i + 1)
    });
    if others {
        return None;
    }
    let mwaa = is_mwaa(project);
    let mut new = String::with_capacity(text.len());
    let mut pos = 0;
    for l in &lines {
        let c = if mwaa {
            skyhop_catalog::image_constraints(&pinned.airflow)?
        } else {
            skyhop_catalog::image_constraints(&l.airflow).filter(|c| c.python == l.python)?
        };
        let dir = cache_root.join("airflow-constraints");
        std::fs::create_dir_all(&dir).ok()?;
        let file = dir.join(format!("constraints-{}-{}.txt", c.airflow, c.python));
        if !file.is_file() {
            let body: String = c.pins.iter().map(|(n, v)| format!("{n}=={v}\n")).collect();
            let tmp = dir.join(format!(".{}.tmp", std::process::id()));
            std::fs::write(&tmp, body).ok()?;
            std::fs::rename(&tmp, &file).ok()?;
        }
        // the quotes go too: uv reads a quoted path as relative
        let quoted = l.span.start > 0
            && matches!(text.as_bytes()[l.span.start - 1], b'"' | b'\'')
            && text.as_bytes().get(l.span.end) == Some(&text.as_bytes()[l.span.start - 1]);
        let (start, end) = if quoted {
            (l.span.start - 1, l.span.end + 1)
        } else {
            (l.span.start, l.span.end)
        };
        new.push_str(&text[pos..start]);
        new.push_str(&file.display().to_string());
        pos = end;
    }
    new.push_str(&text[pos..]);
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    new.hash(&mut h);
    let dir = cache_root
        .join("offline-requirements")
        .join(format!("{:016x}", h.finish()));
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("requirements.txt");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(new.as_str()) {
        std::fs::write(&path, &new).ok()?;
    }
    Some(path)
}

/// What `startup.sh` sets (`export NAME=...`), which MWAA runs before Airflow starts and the
/// tests do not: a note naming the variables, `AIRFLOW__*` settings first. `None` without one.
pub fn startup_note(project: &Project) -> Option<String> {
    let text = std::fs::read_to_string(project.root.join("startup.sh")).ok()?;
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let t = l.trim().strip_prefix("export ")?.trim_start();
            let name: String = t
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty() && t[name.len()..].starts_with('=')).then_some(name)
        })
        .collect();
    names.sort_by_key(|n| (!n.starts_with("AIRFLOW__"), n.clone()));
    names.dedup();
    Some(match names.is_empty() {
        true => "startup.sh: MWAA runs it before Airflow starts; the tests do not".into(),
        false => format!(
            "startup.sh sets {}: MWAA runs it before Airflow starts, the tests do not (pass those that DAG code reads with the environment)",
            names.join(", ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQS: &str = "# MWAA requirements\n--constraint \"https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/constraints-3.11.txt\"\napache-airflow-providers-snowflake==5.8.0 # pinned\nboto3\n";

    fn pinned(airflow: &str) -> crate::Pinned {
        crate::Pinned {
            label: airflow.into(),
            target: skyhop_catalog::Target::parse_airflow(airflow).unwrap(),
            runtime: None,
            airflow: airflow.into(),
            python: "3.12".into(),
            image: None,
            suffix: String::new(),
            notes: Vec::new(),
            image_packages: Default::default(),
            image_constraints: None,
        }
    }

    #[test]
    fn requirements_mwaa_would_refuse_are_reported_on_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let reqs = format!(
            "{REQS}apache-airflow-providers-amazon==8.28.0\nrequests>=2.0\nsnowflake-connector-python<3\n"
        );
        std::fs::write(dir.path().join("requirements.txt"), &reqs).unwrap();
        std::fs::write(dir.path().join("plugins.zip"), "").unwrap();
        let project = Project::load(dir.path()).unwrap();
        assert!(is_mwaa(&project));
        let (found, note) = refusals(&project, &pinned("3.0.6"));
        assert_eq!(note, None);
        let lines: Vec<(u32, &str)> = found.iter().map(|f| (f.line, f.rule.as_str())).collect();
        assert_eq!(
            lines,
            [(3, REFUSED_RULE), (5, REFUSED_RULE), (7, REFUSED_RULE)],
            "{found:?}"
        );
        assert!(
            found[1]
                .message
                .contains("pin apache-airflow-providers-amazon==9.12.0")
        );
        // another version: its constraints are not embedded, said in a note
        let (found, note) = refusals(&project, &pinned("2.10.5"));
        assert!(found.is_empty());
        assert!(note.unwrap().contains("not embedded"));
        // not an MWAA project: nothing
        std::fs::remove_file(dir.path().join("plugins.zip")).unwrap();
        let project = Project::load(dir.path()).unwrap();
        assert_eq!(refusals(&project, &pinned("3.0.6")), (Vec::new(), None));
    }

    #[test]
    fn constraint_lines_are_found_with_their_bytes() {
        let lines = constraint_lines(REQS);
        assert_eq!(lines.len(), 1);
        let l = &lines[0];
        assert_eq!(l.line, 2);
        assert_eq!((l.airflow.as_str(), l.python.as_str()), ("2.10.3", "3.11"));
        assert_eq!(&REQS[l.span.clone()], l.url);
        let crlf = "-c https://raw.githubusercontent.com/apache/airflow/constraints-2.9.2/constraints-3.11.txt\r\nx\r\n";
        let l = &constraint_lines(crlf)[0];
        assert_eq!(&crlf[l.span.clone()], l.url);
        assert!(constraint_lines("-c constraints.txt\n").is_empty());
    }

    #[test]
    fn startup_sh_exports_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let project = Project::load(dir.path()).unwrap();
        assert_eq!(startup_note(&project), None);
        std::fs::write(
            dir.path().join("startup.sh"),
            "#!/bin/sh\nexport ENVIRONMENT_STAGE=prod\nexport AIRFLOW__CORE__LAZY_LOAD_PLUGINS=False\necho hi\n",
        )
        .unwrap();
        let note = startup_note(&project).unwrap();
        assert!(
            note.starts_with(
                "startup.sh sets AIRFLOW__CORE__LAZY_LOAD_PLUGINS, ENVIRONMENT_STAGE:"
            ),
            "{note}"
        );
    }
}
