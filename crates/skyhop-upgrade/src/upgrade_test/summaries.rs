//! Small pieces of the report `upgrade-test` fills: timings, the environments' metadata,
//! counts and each test's summary.

use super::*;

pub(super) fn timed<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed().as_millis() as u64)
}

/// Why the target was tested with another Python than its image's, when it was.
pub(super) fn python_note_of(ctx: &Ctx, env: &Env, new: &Pinned) -> Option<String> {
    let got = &env.venv.python_version;
    if got.starts_with(new.python.as_str()) {
        return None;
    }
    ctx.python_for(new).1.or_else(|| {
        Some(format!(
            "Python {} is not available here; the target was installed and tested with Python {got}: results may differ",
            new.python
        ))
    })
}

pub(super) fn meta(
    p: &Pinned,
    lock: Option<&Lock>,
    python_note: Option<String>,
    backend: &Backend,
    freeze: bool,
) -> EnvMeta {
    EnvMeta {
        label: p.label.clone(),
        runtime: p.runtime.as_ref().map(|r| r.version.to_string()),
        airflow: lock
            .and_then(|l| l.version_of("apache-airflow"))
            .unwrap_or(&p.airflow)
            .to_string(),
        python: p.python.clone(),
        python_note,
        backend: if freeze {
            "freeze".into()
        } else {
            match backend {
                Backend::Uv => "uv".into(),
                Backend::Docker => "docker".into(),
            }
        },
        image: p.image.clone(),
    }
}

/// The project's Dockerfile with the target's base image, every other byte kept.
pub(super) fn upgraded_dockerfile(project: &Project, new: &Pinned) -> Result<String, String> {
    let Some(dockerfile) = &project.dockerfile else {
        return Err("the project has no Dockerfile".into());
    };
    let version = match &new.runtime {
        Some(r) => r.version.to_string(),
        None => new.airflow.clone(),
    };
    let repo = new
        .runtime
        .as_ref()
        .map(|r| r.image_repository().to_string());
    dockerfile
        .rewrite_base(&NewBase { repo, version })
        .map(|r| r.text)
        .map_err(|e| e.to_string())
}

pub(super) fn count(fs: &[Finding], s: Severity) -> usize {
    fs.iter().filter(|f| f.severity == s).count()
}

pub(super) fn files_of(fs: &[Finding]) -> usize {
    let mut paths: Vec<&str> = fs.iter().map(|f| f.path.as_str()).collect();
    paths.sort();
    paths.dedup();
    paths.len()
}

pub(super) fn status_of(errors: usize, warnings: usize) -> TestStatus {
    if errors > 0 {
        TestStatus::Failed
    } else if warnings > 0 {
        TestStatus::Warnings
    } else {
        TestStatus::Passed
    }
}

pub(super) fn skipped(name: &str, why: &str) -> TestSummary {
    TestSummary {
        name: name.into(),
        status: TestStatus::Skipped,
        summary: why.into(),
        duration_ms: 0,
    }
}

pub(super) fn failed(name: &str, why: &str) -> TestSummary {
    TestSummary {
        name: name.into(),
        status: TestStatus::Failed,
        summary: why.into(),
        duration_ms: 0,
    }
}

pub(super) fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|s| seen.insert(s.clone()));
    v
}
