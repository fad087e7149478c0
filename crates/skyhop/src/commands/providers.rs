//! `skyhop upgrade --providers`: the pinned providers bumped alone, the runtime kept; the
//! work is [`skyhop_upgrade::providers`].

use skyhop_upgrade::{exit, fix, providers};

use super::{Consent, load_project};
use crate::cli::UpgradeArgs;
use crate::progress::ctx;
use crate::{CmdResult, Failure};

pub fn upgrade_providers(args: UpgradeArgs) -> CmdResult {
    let project = load_project(&args.project)?;
    let ctx = ctx(false)?;
    let out = providers::bump(&ctx, &project)?;
    println!(
        "skyhop upgrade --providers: {} kept",
        out.current.describe()
    );
    for b in &out.bumps {
        println!(
            "  requirements.txt:{}: {} {} -> {}",
            b.line, b.name, b.from, b.to
        );
    }
    for (name, why) in &out.kept {
        println!("  {name}: kept ({why})");
    }
    if out.bumps.is_empty() {
        eprintln!("nothing to change");
        return Ok(exit::OK);
    }
    if let (Some(b), Some(a)) = (&out.before, &out.after) {
        let ((ok0, n0), (ok1, n1)) = (b.importing(), a.importing());
        println!(
            "  DAG files importing under {} with the new providers: {ok0}/{n0} -> {ok1}/{n1}",
            out.current.label
        );
    }
    for n in &out.notes {
        println!("note: {n}");
    }
    let regressions = out.regressions();
    if !regressions.is_empty() {
        return Err(Failure::findings(format!(
            "nothing written: with the new providers these DAG files fail that imported before: {}",
            regressions.join(", ")
        )));
    }
    let fixed = fix::Fixed {
        hops: Vec::new(),
        changed: out.changed,
    };
    let consent = Consent {
        dry: args.dry_run,
        yes: args.yes,
        dry_flag: "--dry-run",
    };
    if !consent.ask(&fixed.diff(), "Write requirements.txt?")? {
        return Ok(exit::OK);
    }
    fix::write(&project, &fixed.changed)?;
    eprintln!("wrote requirements.txt");
    Ok(exit::OK)
}
