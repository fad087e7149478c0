//! What the real-Airflow tests share: importing DAG files for real in a target environment.

// Each test binary uses only some of these.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// Imports each file in a forked child of one interpreter (Airflow imported once), the DAG
/// folder on `sys.path` as Airflow puts it; prints `file<TAB>OK` or `file<TAB>FAIL<TAB>error`.
pub const IMPORT_EACH: &str = r#"
import importlib, importlib.util, os, sys, warnings
folder = sys.argv[1]
sys.path.insert(0, folder)
warnings.simplefilter("ignore")
import airflow  # noqa: F401
# Pre-import what most DAG files import so each forked child is fast.
for heavy in ("airflow.sdk", "airflow.models", "airflow.decorators", "airflow.operators",
              "airflow.providers.standard.operators.python", "airflow.providers.standard.operators.bash",
              "airflow.providers.standard.operators.empty", "airflow.providers.standard.sensors.time_delta",
              "airflow.models.dag", "airflow.models.baseoperator"):
    try:
        importlib.import_module(heavy)
    except BaseException:
        pass
try:  # first DAG / operator creation initialises lazily-loaded machinery: do it once here
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.python import PythonOperator
    with DAG("warm_up", schedule=None):
        BashOperator(task_id="b", bash_command="echo") >> PythonOperator(task_id="p", python_callable=print)
except BaseException:
    pass
for name in sys.argv[2:]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            spec = importlib.util.spec_from_file_location("dag_" + name[:-3], os.path.join(folder, name))
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            msg = "OK"
        except BaseException as e:
            msg = "FAIL\t%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
        os.write(w, msg.encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.waitpid(pid, 0)
    print(name + "\t" + (data.decode() or "FAIL\tcrashed"), flush=True)
"#;

pub fn real_import(
    python: &Path,
    folder: &Path,
    files: &[String],
) -> BTreeMap<String, Option<String>> {
    real_import_with_path(python, folder, files, "")
}

/// [`real_import`] with more directories on `sys.path` (`PYTHONPATH`), as Airflow and the
/// Astro image put the project root and `plugins/` there.
pub fn real_import_with_path(
    python: &Path,
    folder: &Path,
    files: &[String],
    pythonpath: &str,
) -> BTreeMap<String, Option<String>> {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(python)
        .arg("-c")
        .arg(IMPORT_EACH)
        .arg(folder)
        .args(files)
        .env("PYTHONPATH", pythonpath)
        .env("AIRFLOW_HOME", home.path())
        .env("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run the target python");
    assert!(
        out.status.success(),
        "import harness failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, '\t');
            let file = parts.next()?.to_string();
            let status = parts.next()?;
            Some((
                file,
                (status != "OK").then(|| parts.next().unwrap_or("").to_string()),
            ))
        })
        .collect()
}

/// The DAG files `names` (relative to `root/dags`) imported for real with the project root and
/// `plugins/` on `sys.path`, as Airflow and the Astro image put them: each file's error (if
/// any), and the files that fail.
pub fn import_project_dags(
    python: &Path,
    root: &Path,
    names: &[String],
) -> (BTreeMap<String, Option<String>>, BTreeSet<String>) {
    let pythonpath = format!("{}:{}", root.display(), root.join("plugins").display());
    let real = real_import_with_path(python, &root.join("dags"), names, &pythonpath);
    let failing = real
        .iter()
        .filter(|(_, e)| e.is_some())
        .map(|(f, _)| f.clone())
        .collect();
    (real, failing)
}
