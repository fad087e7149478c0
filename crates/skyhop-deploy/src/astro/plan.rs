//! What a rollback of an Astro Deployment will do, shown before the API is called: the same
//! kind of consequences `skyhop rollback` prints for a local deployment, and the refusals
//! Astro's own "Rollback to" button does not make.

use serde::Serialize;

use super::error::AstroError;
use super::model::{Deploy, Deployment};
use crate::rollback::{bullet_text, version_change};
use crate::versions::{airflow_major, compare_airflow};

/// Astro's limit on a rollback's description (`DeployRollbackRequest.description`).
pub const MAX_DESCRIPTION: usize = 500;
/// Astro keeps the image and DAGs of the deploys of the last 90 days.
const KEPT_DAYS: i64 = 90;

/// The consequences of rolling an Astro Deployment back to one of its deploys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AstroRollbackPlan {
    pub deployment_id: String,
    pub deployment_name: String,
    /// The deploy whose image and DAGs come back.
    pub deploy_id: String,
    pub from_airflow: String,
    pub to_airflow: String,
    pub from_runtime: Option<String>,
    pub to_runtime: Option<String>,
    /// Airflow goes down a version (needs confirmation).
    pub downgrade: bool,
    /// Airflow 3 goes back to Airflow 2 (refused without `--force`).
    pub crosses_major: bool,
    /// One line per consequence, in the order they happen.
    pub consequences: Vec<String>,
}

impl AstroRollbackPlan {
    /// The question asked before every Astro rollback.
    pub fn question(&self) -> &'static str {
        if self.downgrade {
            "This lowers the Airflow version of the Astro Deployment. Roll back?"
        } else {
            "Roll the Astro Deployment back?"
        }
    }

    pub fn heading(&self) -> String {
        format!(
            "Rolling Astro Deployment {} ({}) back to deploy {}:",
            self.deployment_name, self.deployment_id, self.deploy_id
        )
    }

    /// The heading and one `  - ` line per consequence.
    pub fn text(&self) -> String {
        bullet_text(&self.heading(), &self.consequences)
    }

    /// Plans the rollback of `deployment` (as it runs now) to `deploy_id` of its `history`;
    /// refuses (before any change) a deploy that is not in the history, did not succeed or is
    /// what runs now, and, unless `force`, Airflow 3 → 2.
    pub fn new(
        deployment: &Deployment,
        history: &[Deploy],
        deploy_id: &str,
        force: bool,
    ) -> Result<AstroRollbackPlan, AstroError> {
        let history_hint = format!(
            "`skyhop deploy history --astro {}` lists its deploys",
            deployment.id
        );
        let to = history.iter().find(|d| d.id == deploy_id).ok_or_else(|| {
            AstroError::Refused(format!(
                "deploy {deploy_id} is not in the deploy history of Deployment {} ({}); {history_hint}",
                deployment.name, deployment.id
            ))
        })?;
        if to.status != "DEPLOYED" {
            return Err(AstroError::Refused(format!(
                "deploy {deploy_id} is {}, not DEPLOYED: only a deploy that succeeded can be \
                 restored; {history_hint}",
                if to.status.is_empty() {
                    "of no status"
                } else {
                    &to.status
                }
            )));
        }
        if history
            .iter()
            .rev()
            .find(|d| d.status == "DEPLOYED")
            .is_some_and(|d| d.id == deploy_id)
        {
            return Err(AstroError::Refused(format!(
                "deploy {deploy_id} is the newest deploy of Deployment {}: it is what runs now, \
                 there is nothing to roll back to; pick an earlier one ({history_hint})",
                deployment.id
            )));
        }
        let from_airflow = deployment.airflow_version.clone();
        let from_runtime = Some(deployment.astro_runtime_version.clone()).filter(|r| !r.is_empty());
        let to_airflow = to.airflow_version.clone().unwrap_or_default();
        let to_runtime = to.astro_runtime_version.clone().filter(|r| !r.is_empty());
        let known = !from_airflow.is_empty() && !to_airflow.is_empty();
        let downgrade = known
            && compare_airflow(&to_airflow, &from_airflow)
                .map(|o| o.is_lt())
                .unwrap_or(false);
        let crosses_major = downgrade
            && matches!(
                (airflow_major(&from_airflow), airflow_major(&to_airflow)),
                (Ok(3), Ok(2))
            );
        if crosses_major && !force {
            return Err(AstroError::Refused(format!(
                "rolling Deployment {} back to deploy {deploy_id} takes Airflow {from_airflow} \
                 back to Airflow {to_airflow}, across Airflow 3 → 2: refused without --force. \
                 DAGs written for Airflow 3 do not run on Airflow 2, the metadata DB goes back \
                 down across a major version, and Astro reverts only some Airflow 3 versions to \
                 some Airflow 2 versions (see Astronomer's \"Airflow 3 to Airflow 2 rollback \
                 requirements\"). Prefer fixing forward on Airflow 3; pass --force only when \
                 you have checked those requirements",
                deployment.id
            )));
        }
        let mut what = vec![format!("the image {}", image_of(to))];
        if let Some(v) = to.dag_tarball_version.as_deref().filter(|v| !v.is_empty()) {
            what.push(format!("the DAGs (bundle version {v})"));
        } else {
            what.push("the DAGs".to_string());
        }
        let mut consequences = vec![format!(
            "{} of deploy {deploy_id} ({}) replace what the Deployment runs now",
            what.join(" and "),
            to.created_at
        )];
        if known {
            consequences.extend(version_change(
                (&from_airflow, from_runtime.as_deref()),
                (&to_airflow, to_runtime.as_deref()),
                downgrade,
            ));
        } else {
            consequences.push(format!(
                "the Runtime of deploy {deploy_id} is not in its history: {} runs after the \
                 rollback, which may differ from now",
                to.version_label()
            ));
        }
        if downgrade {
            consequences.extend([
                "running tasks may fail while Astro replaces the Deployment's Airflow components"
                    .to_string(),
                format!(
                    "Astro migrates the metadata DB down to the Airflow {to_airflow} schema: data \
                     of features Airflow {to_airflow} does not have is erased, and skyhop keeps \
                     no backup of an Astro Deployment's database"
                ),
            ]);
            if crosses_major {
                consequences.push(
                    "Airflow 3 → 2 (--force): DAGs written for Airflow 3 fail to import on \
                     Airflow 2, and Astro refuses the pairs of versions it cannot revert"
                        .to_string(),
                );
            }
        }
        if let Some(age) = age_days(&to.created_at)
            && age > KEPT_DAYS
        {
            consequences.push(format!(
                "deploy {deploy_id} is {age} days old: Astro keeps the image and DAGs of the \
                 last {KEPT_DAYS} days (and the most recent deploy), so it may refuse this one"
            ));
        }
        consequences.push(
            "environment variables and Deployment settings are not part of a deploy: they stay \
             as they are now"
                .to_string(),
        );
        Ok(AstroRollbackPlan {
            deployment_id: deployment.id.clone(),
            deployment_name: deployment.name.clone(),
            deploy_id: deploy_id.to_string(),
            from_airflow,
            to_airflow,
            from_runtime,
            to_runtime,
            downgrade,
            crosses_major,
            consequences,
        })
    }
}

/// Checks a rollback or deploy description against Astro's limit.
pub fn check_description(description: &str) -> Result<(), AstroError> {
    let n = description.chars().count();
    if n > MAX_DESCRIPTION {
        return Err(AstroError::Refused(format!(
            "--description has {n} characters; Astro takes at most {MAX_DESCRIPTION}"
        )));
    }
    Ok(())
}

fn image_of(d: &Deploy) -> String {
    match (d.image_repository.as_str(), d.image_tag.as_str()) {
        (_, "") => "(no tag recorded)".to_string(),
        ("", tag) => tag.to_string(),
        (repo, tag) => format!("{repo}:{tag}"),
    }
}

fn age_days(created_at: &str) -> Option<i64> {
    let t: jiff::Timestamp = created_at.parse().ok()?;
    Some((jiff::Timestamp::now().as_second() - t.as_second()) / 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(id: &str, rt: &str, af: &str, status: &str) -> Deploy {
        serde_json::from_value(serde_json::json!({
            "id": id, "deploymentId": "dep1", "createdAt": jiff::Timestamp::now().to_string(),
            "airflowVersion": af, "astroRuntimeVersion": rt, "imageRepository": "images.astronomer.cloud/x",
            "imageTag": format!("deploy-{id}"), "dagTarballVersion": format!("v-{id}"),
            "status": status, "type": "IMAGE_AND_DAG", "isDagDeployEnabled": true
        }))
        .unwrap()
    }

    fn deployment(rt: &str, af: &str) -> Deployment {
        serde_json::from_value(serde_json::json!({
            "id": "dep1", "name": "prod", "airflowVersion": af, "astroRuntimeVersion": rt,
            "status": "HEALTHY"
        }))
        .unwrap()
    }

    #[test]
    fn plans_refusals_and_consequences() {
        let history = vec![
            deploy("d1", "12.7.1", "2.10.5", "DEPLOYED"),
            deploy("d2", "13.1.0", "2.11.0", "FAILED"),
            deploy("d3", "3.1-5", "3.1.3", "DEPLOYED"),
        ];
        let now = deployment("3.1-5", "3.1.3");
        let refused = |id: &str, force| {
            AstroRollbackPlan::new(&now, &history, id, force)
                .unwrap_err()
                .to_string()
        };
        assert!(refused("zz", false).contains("not in the deploy history"));
        assert!(refused("d2", false).contains("FAILED, not DEPLOYED"));
        assert!(refused("d3", false).contains("what runs now"));
        assert!(refused("d1", false).contains("Airflow 3 → 2: refused without --force"));
        let plan = AstroRollbackPlan::new(&now, &history, "d1", true).unwrap();
        assert!(plan.downgrade && plan.crosses_major);
        insta::assert_snapshot!(plan.text().replace(&history[0].created_at, "<time>"));
        assert!(check_description(&"x".repeat(500)).is_ok());
        assert!(check_description(&"x".repeat(501)).is_err());
    }
}
