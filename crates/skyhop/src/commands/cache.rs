//! `skyhop cache dir | info | prune | clean`: the cache made visible and bounded
//! ([`skyhop_env::usage`], [`skyhop_env::prune`]).

use std::time::{Duration, SystemTime};

use skyhop_env::{Cache, CacheUsage, PruneOptions, PruneReport, human_bytes};

use crate::cli::{CacheCommand, CachePruneArgs};
use crate::{CmdResult, Failure, exit};

pub fn cache(cmd: CacheCommand) -> CmdResult {
    let cache = Cache::default();
    match cmd {
        CacheCommand::Dir => {
            println!("{}", cache.root.display());
            Ok(exit::OK)
        }
        CacheCommand::Info { json } => info(&cache, json),
        CacheCommand::Prune(args) => prune(&cache, args),
        CacheCommand::Clean { dry_run } => {
            let report = skyhop_env::prune(
                &cache,
                &PruneOptions {
                    everything: true,
                    dry_run,
                    ..PruneOptions::default()
                },
            )
            .map_err(|e| Failure::usage(e.to_string()))?;
            print_prune(&report, dry_run);
            Ok(exit::OK)
        }
    }
}

fn info(cache: &Cache, json: bool) -> CmdResult {
    let usage = skyhop_env::usage(cache).map_err(|e| Failure::usage(e.to_string()))?;
    let uv = skyhop_env::find_uv(cache);
    if json {
        let mut value = serde_json::to_value(&usage).unwrap_or_default();
        value["uv"] = match &uv {
            Some((path, source)) => serde_json::json!({
                "path": path,
                "version": skyhop_env::UV_VERSION,
                "source": source.describe(),
            }),
            None => serde_json::Value::Null,
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return Ok(exit::OK);
    }
    print!("{}", render_info(&usage, SystemTime::now()));
    match uv {
        Some((path, source)) => println!(
            "uv {}: {} ({})",
            skyhop_env::UV_VERSION,
            path.display(),
            source.describe()
        ),
        None => println!(
            "uv {}: not installed yet (skyhop installs it into the cache with `python3 -m pip` when first needed)",
            skyhop_env::UV_VERSION
        ),
    }
    println!(
        "uv's own cache (its downloads, shared with every uv on this machine) is not counted: `uv cache dir`, `uv cache prune`"
    );
    Ok(exit::OK)
}

fn render_info(u: &CacheUsage, now: SystemTime) -> String {
    let mut out = format!("{}: {}", u.root.display(), human_bytes(u.bytes));
    match u.max_size {
        Some(max) => out.push_str(&format!(
            " of {} ({}={})\n",
            human_bytes(max),
            skyhop_env::MAX_SIZE_VAR,
            human_bytes(max)
        )),
        None => out.push_str(&format!(
            " ({} not set: no bound)\n",
            skyhop_env::MAX_SIZE_VAR
        )),
    }
    for k in &u.kinds {
        out.push_str(&format!(
            "  {:<10} {:>10}  {} {}\n",
            k.kind.as_str(),
            human_bytes(k.bytes),
            k.entries,
            if k.entries == 1 { "entry" } else { "entries" }
        ));
    }
    if u.environments.is_empty() {
        out.push_str("No environments.\n");
        return out;
    }
    out.push_str(&format!(
        "\n{} environments, least recently used first (FREES: what removing it frees; the rest is shared by hard links):\n",
        u.environments.len()
    ));
    out.push_str(&format!(
        "  {:<16}  {:>9}  {:>9}  {:<20}  {:<6}  {:<8}  {}\n",
        "LOCK", "SIZE", "FREES", "LAST USED", "PYTHON", "AIRFLOW", "IN USE BY"
    ));
    for e in &u.environments {
        let used = SystemTime::UNIX_EPOCH + Duration::from_secs(e.last_used);
        out.push_str(&format!(
            "  {:<16}  {:>9}  {:>9}  {:<20}  {:<6}  {:<8}  {}\n",
            e.hash,
            human_bytes(e.bytes),
            human_bytes(e.frees),
            ago(used, now),
            e.python.as_deref().unwrap_or("?"),
            e.airflow.as_deref().unwrap_or("-"),
            e.in_use.as_deref().unwrap_or("")
        ));
    }
    out
}

/// `2026-12-01 (6 days ago)`, `today`.
fn ago(t: SystemTime, now: SystemTime) -> String {
    let days = now.duration_since(t).unwrap_or_default().as_secs() / 86_400;
    let date = jiff::Timestamp::try_from(t)
        .map(|ts| ts.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default();
    match days {
        0 => format!("{date} (today)"),
        1 => format!("{date} (1 day ago)"),
        n => format!("{date} ({n} days ago)"),
    }
}

fn prune(cache: &Cache, args: CachePruneArgs) -> CmdResult {
    let max_size = match &args.max_size {
        Some(text) if !text.trim().is_empty() => Some(skyhop_env::parse_size(text).ok_or_else(|| {
            Failure::usage(format!(
                "--max-size / {}: `{text}` is not a size: use e.g. 20G, 500M or a number of bytes",
                skyhop_env::MAX_SIZE_VAR
            ))
        })?),
        _ => None,
    };
    let report = skyhop_env::prune(
        cache,
        &PruneOptions {
            older_than: Some(Duration::from_secs(args.older_than * 86_400)),
            max_size,
            everything: false,
            dry_run: args.dry_run,
        },
    )
    .map_err(|e| Failure::usage(e.to_string()))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print_prune(&report, args.dry_run);
    }
    Ok(exit::OK)
}

fn print_prune(r: &PruneReport, dry: bool) {
    let verb = if dry { "would remove" } else { "removed" };
    for x in &r.removed {
        println!(
            "{verb} {} {} ({}, {})",
            x.kind.as_str(),
            x.path.display(),
            human_bytes(x.bytes),
            x.why
        );
    }
    for (path, who) in &r.kept_in_use {
        println!("kept {} (in use: {who})", path.display());
    }
    println!(
        "{verb} {} entries, {}: the cache {} {} -> {}",
        r.removed.len(),
        human_bytes(r.freed),
        if dry { "would go from" } else { "went from" },
        human_bytes(r.before),
        human_bytes(r.after)
    );
}
