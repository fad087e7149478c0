//! Wiring between the catalog, the project and environments: which version a command works
//! against ([`Pinned`]), and its lock and venv. Plain glue; the rules live in the crates.

use std::collections::BTreeMap;
use std::path::Path;

use skyhop_catalog::{Catalog, RuntimeInfo, RuntimeVersion, Target};
use skyhop_core::Lock;
use skyhop_env::Cache;
use skyhop_project::{BaseImage, Project};

use skyhop_core::Progress;

use crate::{Failure, TargetArgs};

/// Python used when neither the image tag nor the catalog names one.
const FALLBACK_PYTHON: &str = "3.11";

/// Shared state of one run.
pub struct Ctx {
    pub catalog: Catalog,
    pub cache: Cache,
    pub progress: Box<dyn Progress>,
    /// Notes from loading the catalog (offline, feed age), shown once when relevant.
    pub catalog_notes: Vec<String>,
    /// `--python X.Y`: test with this Python whatever the image has.
    pub python: Option<String>,
    /// The Python chosen for each image Python (and line), once per run.
    pythons: std::sync::Mutex<Vec<(String, String, Option<String>)>>,
}

impl Ctx {
    /// Loads the catalog (the live feed when reachable) and opens the cache; progress and
    /// notes go to `progress`.
    pub fn new(progress: Box<dyn Progress>) -> Result<Ctx, Failure> {
        let cache = Cache::default();
        let (catalog, catalog_notes) =
            Catalog::load(&skyhop_core::cache_dir(), skyhop_catalog::Refresh::Auto);
        Ok(Ctx {
            catalog,
            cache,
            progress,
            catalog_notes,
            python: skyhop_core::settings::get().python.clone(),
            pythons: Default::default(),
        })
    }

    /// The Python to resolve and test `pinned` with: its image's, when it can be had here;
    /// else `--python`, or the nearest one its image line is built for (with the note that
    /// says so and names the image variant that has it).
    pub fn python_for(&self, pinned: &Pinned) -> (String, Option<String>) {
        let wanted = pinned.python.clone();
        if let Some(forced) = &self.python {
            let note = (forced != &wanted).then(|| {
                format!(
                    "--python {forced}: {} was tested with Python {forced} (its image has Python {wanted}){}",
                    pinned.label,
                    pinned.variant_note(forced)
                )
            });
            return (forced.clone(), note);
        }
        let allowed: Vec<String> = match &pinned.runtime {
            Some(info) => info.pythons.clone(),
            None => self
                .catalog
                .airflow(&pinned.airflow)
                .map(|a| a.pythons.clone())
                .unwrap_or_default(),
        };
        let mut memo = self.pythons.lock().unwrap_or_else(|e| e.into_inner());
        let key = format!("{wanted}|{}", allowed.join(","));
        if let Some((_, used, note)) = memo.iter().find(|(k, _, _)| *k == key) {
            return (used.clone(), note.clone());
        }
        let (used, note) =
            match skyhop_env::choose_python(&self.cache, &wanted, &allowed, &self.progress) {
                Ok((used, note)) => (used, note),
                // no Python at all: the install says so, in its own words
                Err(_) => (wanted.clone(), None),
            };
        let note = note.map(|n| format!("{}: {n}{}", pinned.label, pinned.variant_note(&used)));
        memo.push((key, used.clone(), note.clone()));
        (used, note)
    }
}

/// One version pinned down: what a command resolves, installs and reports.
#[derive(Debug, Clone)]
pub struct Pinned {
    /// As shown and used in folder names: the Runtime version (`11.3.0`, `3.1-12`) or the
    /// Airflow version (`2.10.5`).
    pub label: String,
    pub target: Target,
    pub runtime: Option<RuntimeInfo>,
    /// Airflow version (`2.9.1`, no local part).
    pub airflow: String,
    /// Python `X.Y` of the image.
    pub python: String,
    /// The image reference, when known.
    pub image: Option<String>,
    /// Suffix of the Runtime tag (`-slim`, `-python-3.11-base`), empty otherwise.
    pub suffix: String,
    /// What was inferred about this version, to show with its results.
    pub notes: Vec<String>,
    /// Packages an `apache/airflow` image installs besides Airflow (its default extras'
    /// providers): at their constraints' versions when Airflow's constraints file is embedded,
    /// else unpinned (resolved as of the release date).
    pub image_packages: BTreeMap<String, String>,
    /// Airflow's constraints file the `apache/airflow` image installs with, when embedded and
    /// for the Python the environment uses: every package it names is resolved at its pin.
    pub image_constraints: Option<skyhop_catalog::ImageConstraints>,
}

impl Pinned {
    /// Runtime default provider pins (slim image: the slim list when known), and `setuptools`:
    /// Apache Airflow's image installs it at a pinned version (its Dockerfile's
    /// `AIRFLOW_SETUPTOOLS_VERSION`), so `pkg_resources` imports there even on Python 3.12+,
    /// whose own bundle lacks it. Runtime images are modelled the same way (not verified
    /// against a Runtime image's `pip freeze`; the other way round, a missing `pkg_resources`
    /// would be reported as a break the image may not have). Resolved as of the release date.
    pub fn base_pins(&self) -> BTreeMap<String, String> {
        let mut pins = match &self.runtime {
            None => self.image_packages.clone(),
            Some(info) => match (&info.slim_providers, self.suffix.contains("slim")) {
                (Some(slim), true) => slim.clone(),
                _ => info.providers.clone(),
            },
        };
        pins.entry("setuptools".into()).or_default();
        pins
    }

    /// `, as in the image variant `3.3-8-python-3.13``: the tag of the image that has Python
    /// `python`, when the image family names its Python in the tag.
    pub fn variant_note(&self, python: &str) -> String {
        match &self.runtime {
            Some(info) if info.pythons.is_empty() || info.pythons.iter().any(|p| p == python) => {
                format!(", as in the image variant `{}-python-{python}`", self.label)
            }
            Some(_) => String::new(),
            None => format!(
                ", as in the image variant `apache/airflow:{}-python{python}`",
                self.airflow
            ),
        }
    }

    /// `Runtime 11.3.0 (Airflow 2.9.1, Python 3.11)`.
    pub fn describe(&self) -> String {
        match &self.runtime {
            Some(_) => format!(
                "Runtime {} (Airflow {}, Python {})",
                self.label, self.airflow, self.python
            ),
            None => format!("Airflow {} (Python {})", self.airflow, self.python),
        }
    }
}

/// The project's current version, from its Dockerfile's base image.
pub fn current(ctx: &Ctx, project: &Project) -> Result<Pinned, Failure> {
    // Without a Dockerfile: the version the caller declares, else the one a Helm values or
    // compose file runs (`apache/airflow` with its default extras), else an MWAA project's
    // `--constraint` URL, else the requirements' pin.
    if project.declared_airflow.is_none()
        && let Some(pinned) = crate::platform::current(ctx, project)?
    {
        return Ok(pinned);
    }
    if project.declared_airflow.is_none()
        && let Some(pinned) = crate::mwaa::current(ctx, project)?
    {
        return Ok(pinned);
    }
    if project.dockerfile.is_none() || project.declared_airflow.is_some() {
        let declared = project
            .declared_airflow
            .clone()
            .or_else(|| project.pinned_airflow());
        if let Some(v) = declared {
            let mut pinned = airflow(ctx, &v)?;
            pinned.image = None;
            if project.declared_airflow.is_none() {
                pinned
                    .notes
                    .push(format!("the project has no Dockerfile: it runs Airflow {v}, as requirements.txt pins it"));
            }
            return Ok(pinned);
        }
    }
    let located = project.current_image().map_err(Failure::usage)?;
    let mut pinned = from_base(
        ctx,
        &located.base,
        "skyhop cannot tell which Airflow it runs. Pass --airflow-version (the Airflow version inside the image).",
    )
    .map_err(|f| Failure {
        code: f.code,
        message: format!("Dockerfile:{}: {}", located.line, f.message),
    })?;
    pinned.image = Some(located.image.clone());
    Ok(pinned)
}

/// The version a classified base image runs; `custom_hint` says what to do for an image
/// skyhop does not know.
fn from_base(ctx: &Ctx, base: &BaseImage, custom_hint: &str) -> Result<Pinned, Failure> {
    match base {
        BaseImage::AstroRuntime {
            repo,
            version,
            suffix,
            python,
        } => {
            let v = RuntimeVersion::parse(version).map_err(Failure::usage)?;
            let mut pinned = runtime(ctx, &v)?;
            if let Some(py) = python {
                pinned.python = py.clone();
            }
            // `astro-runtime-slim:12.8.0` is the slim image, like the `-slim` tag suffix
            pinned.suffix = if repo.ends_with("-slim") && !suffix.contains("slim") {
                format!("-slim{suffix}")
            } else {
                suffix.clone()
            };
            Ok(pinned)
        }
        BaseImage::ApacheAirflow {
            version,
            python,
            slim,
            ..
        } => {
            let mut pinned = airflow(ctx, version)?;
            if let Some(py) = python {
                pinned.python = py.clone();
            }
            apache_image(ctx, &mut pinned, *slim);
            Ok(pinned)
        }
        BaseImage::LegacyApAirflow { airflow: af, .. } => airflow(ctx, af),
        BaseImage::Custom { image } => Err(Failure::usage(format!(
            "unknown base image `{image}`: {custom_hint}"
        ))),
    }
}

/// A Runtime version from the catalog.
pub fn runtime(ctx: &Ctx, v: &RuntimeVersion) -> Result<Pinned, Failure> {
    // A version the catalog does not list but whose line it knows is inferred, never refused.
    let mut info = match ctx.catalog.runtime(v) {
        Some(info) => info.clone(),
        None => ctx
            .catalog
            .infer_runtime(v)
            .ok_or_else(|| Failure::usage(ctx.catalog.unknown_runtime(v)))?,
    };
    let airflow = info
        .airflow_version()
        .map(|v| v.to_string())
        .unwrap_or_else(|| info.airflow.clone());
    let mut notes: Vec<String> = info.uncertainty_note().into_iter().collect();
    if info.providers.is_empty()
        && let Some(donor) = provider_donor(ctx, v)
    {
        // The catalog does not list this image's providers: take the set of the nearest
        // earlier runtime of the same Airflow major, unpinned (resolved as of the release date).
        info.providers = donor
            .providers
            .keys()
            .map(|name| (name.clone(), String::new()))
            .collect();
        notes.push(format!(
            "the catalog does not list the default providers of Runtime {v}: assuming those of Runtime {} (versions resolved as of the release date); pass a pip freeze of the real image (--target-freeze) for exact results",
            donor.version
        ));
    }
    Ok(Pinned {
        label: v.to_string(),
        target: Target::Runtime(*v),
        airflow,
        python: info
            .default_python
            .clone()
            .unwrap_or_else(|| FALLBACK_PYTHON.to_string()),
        image: Some(info.image("")),
        suffix: String::new(),
        notes,
        runtime: Some(info),
        image_packages: BTreeMap::new(),
        image_constraints: None,
    })
}

/// The nearest earlier Runtime of the same Airflow major whose default providers are known.
fn provider_donor<'a>(ctx: &'a Ctx, v: &RuntimeVersion) -> Option<&'a RuntimeInfo> {
    ctx.catalog.runtimes().rev().find(|r| {
        r.version < *v && r.version.airflow_major() == v.airflow_major() && !r.providers.is_empty()
    })
}

/// An Apache Airflow version (need not be in the catalog: any release on PyPI works).
pub fn airflow(ctx: &Ctx, version: &str) -> Result<Pinned, Failure> {
    // A Cloud Composer image version or Composer build: its upstream release, with a note.
    if let Some(upstream) = skyhop_catalog::composer_upstream(version) {
        let (upstream, note) = upstream.map_err(|e| Failure::usage(e.to_string()))?;
        let mut pinned = airflow(ctx, &upstream)?;
        pinned.notes.push(note);
        return Ok(pinned);
    }
    let target = Target::parse_airflow(version).map_err(Failure::usage)?;
    let info = ctx.catalog.airflow(version);
    // The newest Python the release supports, capped at what Runtime images of its era use.
    let python = info
        .and_then(|i| {
            i.pythons
                .iter()
                .rev()
                .find(|p| p.as_str() <= "3.12")
                .cloned()
        })
        .unwrap_or_else(|| FALLBACK_PYTHON.to_string());
    Ok(Pinned {
        label: version.to_string(),
        target,
        runtime: None,
        airflow: version.to_string(),
        python,
        image: Some(format!("apache/airflow:{version}")),
        suffix: String::new(),
        notes: Vec::new(),
        image_packages: BTreeMap::new(),
        image_constraints: None,
    })
}

/// The providers the official `apache/airflow` image installs (its default extras, Airflow's
/// `Dockerfile` `AIRFLOW_EXTRAS`), for Airflow `version`.
pub fn apache_image_providers(version: &str) -> BTreeMap<String, String> {
    const PROVIDERS: &[&str] = &[
        "amazon",
        "celery",
        "cncf-kubernetes",
        "common-io",
        "common-sql",
        "docker",
        "elasticsearch",
        "ftp",
        "google",
        "grpc",
        "hashicorp",
        "http",
        "imap",
        "microsoft-azure",
        "mysql",
        "odbc",
        "openlineage",
        "postgres",
        "redis",
        "sendgrid",
        "sftp",
        "slack",
        "smtp",
        "snowflake",
        "sqlite",
        "ssh",
    ];
    let af3 = version.starts_with("3.");
    PROVIDERS
        .iter()
        .copied()
        .chain(af3.then_some(["fab", "standard"]).into_iter().flatten())
        .map(|p| (format!("apache-airflow-providers-{p}"), String::new()))
        .collect()
}

/// Models `pinned` as the official `apache/airflow` image (`slim`: the `slim-` variant, without
/// the default extras): its default extras' providers, and with Airflow's constraints file for
/// its version and Python when a verified copy is embedded (every package it names at its
/// pin, as the image's build installs them); else resolved as of the release date, with a note.
pub fn apache_image(ctx: &Ctx, pinned: &mut Pinned, slim: bool) {
    let image = format!("apache/airflow:{}", pinned.airflow);
    let (providers, constraints) = apache_image_pins(&pinned.airflow, slim);
    pinned.image_packages = providers;
    let Some(constraints) = constraints else {
        pinned.notes.push(format!(
            "{image}: no verified copy of Airflow's constraints file for {} is embedded (there are for {}): the image's packages are resolved as of its release date, so some may differ from the image's",
            pinned.airflow,
            skyhop_catalog::embedded_constraints().join(", ")
        ));
        return;
    };
    let (python, _) = ctx.python_for(pinned);
    if python == constraints.python {
        pinned.notes.push(format!(
            "{image}: modelled as the image is built, its default extras installed with Airflow's constraints-{} for Python {} (generated {}; embedded from {})",
            pinned.airflow, constraints.python, constraints.generated, constraints.copy
        ));
        pinned.image_constraints = Some(constraints);
    } else {
        pinned.notes.push(format!(
            "{image}: the embedded constraints of Airflow {} are for Python {}, the environment uses Python {python}: the image's providers are pinned at their constraints' versions, its other packages resolved as of its release date",
            pinned.airflow, constraints.python
        ));
    }
}

/// The packages the official image of Airflow `airflow` installs besides Airflow (its default
/// extras' providers; none for `slim`), at the versions of Airflow's constraints file when a
/// verified copy is embedded (which is then returned too), else unpinned.
pub fn apache_image_pins(
    airflow: &str,
    slim: bool,
) -> (
    BTreeMap<String, String>,
    Option<skyhop_catalog::ImageConstraints>,
) {
    let providers = if slim {
        BTreeMap::new()
    } else {
        apache_image_providers(airflow)
    };
    let Some(constraints) = skyhop_catalog::image_constraints(airflow) else {
        return (providers, None);
    };
    // at their constraints' versions (one the constraints do not name stays open)
    let pinned = providers
        .into_keys()
        .map(|name| {
            let v = constraints.pin(&name).unwrap_or("").to_string();
            (name, v)
        })
        .collect();
    (pinned, Some(constraints))
}

/// A version from an image reference (`--image-name`).
pub fn image(ctx: &Ctx, image: &str) -> Result<Pinned, Failure> {
    let text = format!("FROM {image}\n");
    let df =
        skyhop_project::Dockerfile::parse_named(&text, "--image-name").map_err(Failure::usage)?;
    let located = df.base_image().map_err(Failure::usage)?;
    let mut pinned = from_base(
        ctx,
        &located.base,
        "pass --airflow-version or --runtime-version instead of --image-name",
    )?;
    pinned.image = Some(image.to_string());
    Ok(pinned)
}

/// `--runtime-version` / `--airflow-version`, or `None` when neither was given.
pub fn from_args(ctx: &Ctx, args: &TargetArgs) -> Result<Option<Pinned>, Failure> {
    if let Some(rv) = &args.runtime_version {
        let v = RuntimeVersion::parse(rv)
            .map_err(|e| Failure::usage(format!("--runtime-version {rv}: {e}")))?;
        return runtime(ctx, &v).map(Some);
    }
    if let Some(av) = &args.airflow_version {
        return airflow(ctx, av).map(Some);
    }
    Ok(None)
}

/// The pinned version from a `pip freeze` file: Airflow read from it.
pub fn from_freeze(lock: &Lock, path: &Path) -> Result<Pinned, Failure> {
    let af = lock.version_of("apache-airflow").ok_or_else(|| {
        Failure::usage(format!(
            "{}: no apache-airflow in this pip freeze file, so its Airflow version is unknown; add the apache-airflow line or pass a version instead",
            path.display()
        ))
    })?;
    let base = af.split('+').next().unwrap_or(af).to_string();
    let target = Target::parse_airflow(&base).map_err(Failure::usage)?;
    let notes = match skyhop_catalog::composer_upstream(af) {
        Some(Ok((_, note))) => vec![format!("{}: {note}", path.display())],
        _ => Vec::new(),
    };
    Ok(Pinned {
        label: base.clone(),
        target,
        runtime: None,
        airflow: base,
        python: lock
            .provenance
            .python
            .clone()
            .unwrap_or_else(|| FALLBACK_PYTHON.to_string()),
        image: None,
        suffix: String::new(),
        notes,
        image_packages: BTreeMap::new(),
        image_constraints: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// For every embedded constraints file, the image's providers are pinned at the versions
    /// the constraints pin (each default extra is named there), and the constraints handed on
    /// are the file's pins; versions without one stay unpinned.
    #[test]
    fn official_image_pins_follow_the_embedded_constraints() {
        for v in skyhop_catalog::embedded_constraints() {
            let (providers, constraints) = apache_image_pins(v, false);
            let c = constraints.unwrap_or_else(|| panic!("{v}: constraints"));
            assert_eq!(providers.len(), apache_image_providers(v).len(), "{v}");
            for (name, version) in &providers {
                assert_eq!(Some(version.as_str()), c.pin(name), "{v}: {name}");
            }
            let (slim, c2) = apache_image_pins(v, true);
            assert!(slim.is_empty(), "{v}");
            assert_eq!(c2.map(|c| c.pins), Some(c.pins), "{v}");
        }
        let (providers, c) = apache_image_pins("2.10.4", false);
        assert!(c.is_none());
        assert!(providers.values().all(String::is_empty));
        let (providers, _) = apache_image_pins("2.10.3", false);
        assert_eq!(providers["apache-airflow-providers-amazon"], "9.0.0");
    }
}
