//! What a rollback will do, shown before it happens.

use serde::Serialize;

/// The consequences of rolling back to a past deploy, for the CLI to show (and, when
/// `downgrade` is set, to ask confirmation for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollbackPlan {
    /// The deploy whose code and version come back.
    pub deploy_id: i64,
    pub from_airflow: String,
    pub to_airflow: String,
    pub from_runtime: Option<String>,
    pub to_runtime: Option<String>,
    /// The code bundle that comes back.
    pub code_hash: String,
    /// Airflow goes down a version: the metadata DB is downgraded (needs confirmation).
    pub downgrade: bool,
    /// One line per consequence, in the order they happen.
    pub consequences: Vec<String>,
}

impl RollbackPlan {
    /// The question that must be answered yes before a rollback that lowers Airflow.
    pub const DOWNGRADE_QUESTION: &'static str = "This lowers the Airflow version. Continue?";

    /// The line that introduces the consequences.
    pub fn heading(&self) -> String {
        format!("Rolling back to deploy {}:", self.deploy_id)
    }

    /// The heading and one `  - ` line per consequence: what the CLI prints and the web UI
    /// shows before asking for confirmation.
    pub fn text(&self) -> String {
        bullet_text(&self.heading(), &self.consequences)
    }

    pub(crate) fn new(
        deploy_id: i64,
        (from_airflow, from_runtime): (&str, Option<&str>),
        (to_airflow, to_runtime): (&str, Option<&str>),
        code_hash: &str,
        downgrade: bool,
    ) -> RollbackPlan {
        let mut consequences = vec![format!(
            "the code of deploy {deploy_id} (bundle {code_hash}) replaces the running code"
        )];
        consequences.extend(version_change(
            (from_airflow, from_runtime),
            (to_airflow, to_runtime),
            downgrade,
        ));
        if downgrade {
            consequences.extend([
                "running tasks fail immediately when the processes restart".to_string(),
                format!(
                    "the metadata DB is backed up, then downgraded to the Airflow {to_airflow} schema: data of features Airflow {to_airflow} does not have is erased"
                ),
            ]);
        }
        consequences
            .push("environment variables and deployment settings stay as they are now".to_string());
        RollbackPlan {
            deploy_id,
            from_airflow: from_airflow.to_string(),
            to_airflow: to_airflow.to_string(),
            from_runtime: from_runtime.map(str::to_string),
            to_runtime: to_runtime.map(str::to_string),
            code_hash: code_hash.to_string(),
            downgrade,
            consequences,
        }
    }
}

/// `<from> goes back to <to>` for a downgrade, `<from> becomes <to>` for another change of
/// version, nothing when the version stays: the version line of every rollback plan (local
/// and Astro).
pub(crate) fn version_change(
    (from_airflow, from_runtime): (&str, Option<&str>),
    (to_airflow, to_runtime): (&str, Option<&str>),
    downgrade: bool,
) -> Option<String> {
    let version = crate::versions::version_label;
    let (from, to) = (
        version(from_airflow, from_runtime),
        version(to_airflow, to_runtime),
    );
    if downgrade {
        Some(format!("{from} goes back to {to}"))
    } else if from != to {
        Some(format!("{from} becomes {to}"))
    } else {
        None
    }
}

/// A heading and one `  - ` line per item.
pub(crate) fn bullet_text(heading: &str, lines: &[String]) -> String {
    let mut out = heading.to_string();
    for c in lines {
        out.push_str("\n  - ");
        out.push_str(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downgrade_plan_text() {
        let plan = RollbackPlan::new(
            1,
            ("3.1.3", Some("3.1-5")),
            ("2.10.5", Some("12.7.1")),
            "0123abcd",
            true,
        );
        insta::assert_snapshot!(plan.consequences.join("\n"));
        // What the CLI prints and the web UI shows: the heading, then one line each.
        let text = plan.text();
        assert!(text.starts_with("Rolling back to deploy 1:\n  - the code of deploy 1"));
        assert_eq!(text.lines().count(), plan.consequences.len() + 1);
    }
}
