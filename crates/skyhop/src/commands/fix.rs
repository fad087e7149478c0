//! `skyhop upgrade --fix` and `--plan`: the arguments in, the plan, each hop's table and the
//! diff out, the prompt before writing; the fixing itself is [`skyhop_upgrade::fix`].

use skyhop_upgrade::fix::{self, HopEvent};
use skyhop_upgrade::{TargetArgs, exit};

use super::{Consent, load_project};
use crate::cli::UpgradeArgs;
use crate::progress::ctx;
use crate::{CmdResult, Failure};

pub fn upgrade_fix(args: UpgradeArgs, target: TargetArgs) -> CmdResult {
    let project = load_project(&args.project)?;
    let hops = if args.plan {
        let plan = fix::plan_hops(&target, args.allow_deprecated, &project)?;
        print!("{}", plan.text);
        if !args.fix || plan.hops.is_empty() {
            return Ok(exit::OK);
        }
        plan.hops
    } else {
        vec![target]
    };
    let ctx = ctx(false)?;
    let opts = fix::Options {
        unsafe_fixes: args.unsafe_fixes,
        allow_deprecated: args.allow_deprecated,
    };
    let fixed = fix::fix_hops(&ctx, &project, &hops, &opts, &mut |event| match event {
        HopEvent::Started { plan, said } => {
            // with --plan, every hop's plan was printed already
            if !args.plan {
                eprint!("{plan}");
            }
            eprint!("{said}");
        }
        HopEvent::Finished(hop) => print!("{}", fix::render_hop(hop)),
        HopEvent::Stopped(why) => eprintln!("{why}"),
    })?;
    if let Some(path) = &args.summary
        && !args.diff
    {
        std::fs::write(path, fix::summary_markdown(&fixed.hops))
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    }
    let verdict = fixed.verdict();
    if fixed.changed.is_empty() {
        eprintln!("nothing to change");
        return Ok(verdict);
    }
    let consent = Consent {
        dry: args.diff || args.dry_run,
        yes: args.yes,
        dry_flag: "--diff",
    };
    let question = format!("Write {} file(s)?", fixed.changed.len());
    if !consent.ask(&fixed.diff(), &question)? {
        return Ok(if args.diff || args.dry_run {
            verdict
        } else {
            exit::OK
        });
    }
    fix::write(&project, &fixed.changed)?;
    eprintln!("wrote {} file(s)", fixed.changed.len());
    Ok(verdict)
}
