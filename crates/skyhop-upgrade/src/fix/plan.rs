//! Multi-hop plans: the hops the catalog requires from the project's version to the target.

use super::*;

/// The hops the catalog requires, and their text.
pub struct Plan {
    /// Each hop's target, in order (empty: nothing to do).
    pub hops: Vec<TargetArgs>,
    /// `plan: 11.3.0 -> 13.11.0 -> 3.1-12` and each hop's upgrade considerations, or why
    /// there is nothing to do.
    pub text: String,
}

/// The hops the catalog requires from the project's version to the target, with the upgrade
/// considerations of each.
pub fn plan_hops(
    version: &TargetArgs,
    allow_deprecated: bool,
    project: &Project,
) -> Result<Plan, Failure> {
    let located = project.current_image().map_err(Failure::usage)?;
    let current = crate::base::current_target(&located.base).map_err(Failure::usage)?;
    let target = crate::base::parse_target(version)?;
    let (catalog, _) =
        skyhop_catalog::Catalog::load(&skyhop_core::cache_dir(), skyhop_catalog::Refresh::Auto);
    let opts = skyhop_catalog::UpgradeOptions::new(allow_deprecated);
    let mut hops: Vec<skyhop_catalog::Target> = Vec::new();
    let mut from = current.clone();
    loop {
        match catalog.check_upgrade(&from, &target, opts) {
            Ok(_) => {
                hops.push(target.clone());
                break;
            }
            Err(skyhop_catalog::UpgradeRefusal::Airflow3TooEarly { bridge, .. }) => {
                let b = bridge_target(&bridge).ok_or_else(|| {
                    Failure::usage(format!(
                        "the catalog asks for {bridge} first, which names no single version: upgrade to it yourself, then run this again"
                    ))
                })?;
                if hops.contains(&b) || b == from {
                    return Err(Failure::usage(format!(
                        "the catalog's plan does not converge at {bridge}"
                    )));
                }
                hops.push(b.clone());
                from = b;
            }
            Err(r) if r.is_nothing_to_do() => {
                return Ok(Plan {
                    hops: Vec::new(),
                    text: format!("{r}\n"),
                });
            }
            Err(r) => return Err(Failure::usage(format!("upgrade refused: {r}"))),
        }
    }
    let label = |t: &skyhop_catalog::Target| match t {
        skyhop_catalog::Target::Runtime(r) => r.to_string(),
        skyhop_catalog::Target::Airflow(a) => format!("Airflow {a}"),
    };
    let mut chain = vec![label(&current)];
    chain.extend(hops.iter().map(label));
    let mut text = format!("plan: {}\n", chain.join(" -> "));
    let mut from = current;
    for (i, hop) in hops.iter().enumerate() {
        text.push_str(&format!(
            "\nhop {}: {} -> {}\n",
            i + 1,
            label(&from),
            label(hop)
        ));
        match catalog.check_upgrade(&from, hop, skyhop_catalog::UpgradeOptions::new(true)) {
            Ok(plan) => text.push_str(&plan.render()),
            Err(r) => text.push_str(&format!("  {r}\n")),
        }
        from = hop.clone();
    }
    Ok(Plan {
        hops: hops.iter().map(TargetArgs::from).collect(),
        text,
    })
}

impl From<&skyhop_catalog::Target> for TargetArgs {
    fn from(t: &skyhop_catalog::Target) -> Self {
        match t {
            skyhop_catalog::Target::Runtime(r) => TargetArgs {
                runtime_version: Some(r.to_string()),
                airflow_version: None,
            },
            skyhop_catalog::Target::Airflow(a) => TargetArgs {
                runtime_version: None,
                airflow_version: Some(a.to_string()),
            },
        }
    }
}

/// The version a bridge names: `the latest 12.x/13.x (Runtime 13.11.0)` → Runtime 13.11.0,
/// `Airflow 2.10.5` → Airflow 2.10.5.
pub(super) fn bridge_target(bridge: &str) -> Option<skyhop_catalog::Target> {
    let word = |after: &str| -> Option<String> {
        let (_, rest) = bridge.rsplit_once(after)?;
        let v: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
            .collect();
        (!v.is_empty()).then_some(v)
    };
    if let Some(v) = word("Runtime ")
        && let Ok(r) = skyhop_catalog::RuntimeVersion::parse(&v)
    {
        return Some(skyhop_catalog::Target::Runtime(r));
    }
    word("Airflow ").and_then(|v| skyhop_catalog::Target::parse_airflow(&v).ok())
}
