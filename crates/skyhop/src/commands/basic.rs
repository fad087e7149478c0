//! `versions`, `freeze`, `compare`, `pin-providers`.

use skyhop_catalog::{ListOptions, Refresh, listing, today};
use skyhop_core::Progress;
use skyhop_project::{unified_diff, write_atomic};

use super::load_project;
use crate::cli::{Backend, CompareArgs, FreezeArgs, PinArgs, VersionsArgs};
use crate::{CmdResult, Failure, exit};
use skyhop_upgrade::envs;
use skyhop_upgrade::target;

pub fn versions(args: VersionsArgs) -> CmdResult {
    let refresh = if args.refresh {
        Refresh::Force
    } else {
        Refresh::Auto
    };
    let (catalog, notes) = skyhop_catalog::Catalog::load(&skyhop_core::cache_dir(), refresh);
    let out = listing::versions_output(
        &catalog,
        ListOptions {
            airflow: args.airflow,
            all: args.all,
            json: args.json,
        },
        today(),
    );
    print!("{out}");
    if !args.json {
        for n in notes {
            eprintln!("note: {n}");
        }
    }
    Ok(exit::OK)
}

pub fn freeze(args: FreezeArgs) -> CmdResult {
    let ctx = crate::progress::ctx(false)?;
    // A directory without a Dockerfile is fine with an explicit version (no requirements);
    // a project whose files do not read is an error, never silently skipped.
    let project = if args.project.project.join("Dockerfile").exists() {
        Some(load_project(&args.project)?)
    } else {
        None
    };
    let pinned = match target::from_args(&ctx, &args.version.target())? {
        Some(p) => p,
        None => {
            let project = load_project(&args.project)?;
            target::current(&ctx, &project)?
        }
    };
    let project_ref = if args.no_requirements {
        None
    } else {
        project.as_ref()
    };
    let lock = envs::lock(&ctx, &pinned, project_ref, args.backend.into(), None)?;
    print!("{}", lock.to_freeze());
    for note in &lock.provenance.notes {
        ctx.progress.note(note);
    }
    // what the project asks for and this environment does not hold
    let layering = &lock.provenance.layering;
    for r in layering.left_out.iter().chain(&layering.unreachable) {
        ctx.progress.note(&format!(
            "{}:{} `{}` left out: {}",
            r.file,
            r.line,
            r.requirement,
            r.why.join("; ")
        ));
    }
    if args.backend == Backend::Uv {
        eprintln!(
            "resolved {} packages for {} with uv{}",
            lock.packages.len(),
            pinned.describe(),
            lock.provenance
                .exclude_newer
                .as_deref()
                .map(|d| format!(", as of {d}"))
                .unwrap_or_default()
        );
    }
    Ok(exit::OK)
}

pub fn compare(args: CompareArgs) -> CmdResult {
    let old = envs::freeze(&args.old)?;
    let new = envs::freeze(&args.new)?;
    let cmp = skyhop_deps::compare(&old, &new);
    if args.json {
        println!("{}", cmp.to_json());
    } else {
        print!("{}", cmp.to_text());
    }
    Ok(exit::OK)
}

pub fn pin_providers(args: PinArgs) -> CmdResult {
    let ctx = crate::progress::ctx(false)?;
    let project = load_project(&args.project)?;
    let pinned = target::current(&ctx, &project)?;
    let lock = envs::lock(
        &ctx,
        &pinned,
        Some(&project),
        skyhop_upgrade::Backend::Uv,
        None,
    )?;
    let pins: Vec<(String, String)> = lock
        .packages
        .iter()
        .filter(|p| skyhop_deps::is_provider(&p.name) && p.url.is_none())
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    let path = project.requirements_path();
    let reqs = match &project.requirements {
        Some(r) => r.clone(),
        None => skyhop_project::Requirements::parse_str("", &path, "requirements.txt")
            .map_err(Failure::usage)?,
    };
    let result = reqs.pin(&pins);
    for a in &result.already_pinned {
        eprintln!(
            "requirements.txt:{}: {} is already pinned ({}), left alone (environment has {})",
            a.line, a.name, a.spec, a.wanted
        );
    }
    for n in &result.not_edited {
        eprintln!("{}:{}: {} not edited: {}", n.file, n.line, n.name, n.reason);
    }
    for p in &result.pinned {
        match p.line {
            Some(line) => eprintln!("requirements.txt:{line}: pin {}=={}", p.name, p.version),
            None => eprintln!("requirements.txt: add {}=={}", p.name, p.version),
        }
    }
    let old = reqs.root_text();
    if result.new_text == old {
        eprintln!("requirements.txt: nothing to change");
        return Ok(exit::OK);
    }
    if args.dry_run {
        print!(
            "{}",
            unified_diff(old, &result.new_text, "requirements.txt")
        );
        return Ok(exit::OK);
    }
    write_atomic(&path, result.new_text.as_bytes())
        .map_err(|e| Failure::usage(format!("{}: cannot write: {e}", path.display())))?;
    eprintln!("wrote {}", path.display());
    Ok(exit::OK)
}
