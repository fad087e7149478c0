//! Astro Deployments through Astro's public API v1: the Organization's Deployments, a
//! Deployment's deploy history, "Rollback to" with skyhop's consequences and refusals first,
//! and `DAG_ONLY` deploys (create, upload the DAG tarball, finalize) — no Docker needed.
//!
//! The contract (paths, bodies, pagination, the upload) is the one of the Astro CLI's
//! generated client, `astro-client-v1/api.gen.go`; `CONTRACT.md` beside this file
//! lists it with its sources. Image deploys need an image pushed to Astro's registry, which
//! stays with `astro deploy`.
//!
//! - [`token`]: where the API token comes from (never printed), what its claims say;
//! - [`client`]: the HTTP client and its errors ([`AstroError`]), retries and pagination;
//! - [`plan`]: what a rollback does, shown before it is made;
//! - [`dags`]: the DAG tarball;
//! - [`AstroDeployment`]: one Deployment, the operations the CLI runs.
//!
//! Nothing here prints; progress goes through [`skyhop_core::Progress`].

pub mod client;
pub mod dags;
pub mod error;
pub mod model;
pub mod plan;
pub mod token;

use std::path::Path;

use skyhop_core::Progress;

pub use client::{Client, ClientConfig, DEFAULT_API_URL, Retry};
pub use error::AstroError;
pub use model::{Deploy, Deployment};
pub use plan::AstroRollbackPlan;
pub use token::{Claims, Token, TokenKind, TokenSource};

use model::{CreateDeploy, FinalizeDeploy};

/// One Astro Deployment, read when opened.
#[derive(Debug)]
pub struct AstroDeployment<'c> {
    client: &'c Client,
    /// The Deployment as Astro described it when opened.
    pub info: Deployment,
}

/// A finished `DAG_ONLY` deploy.
#[derive(Debug, Clone)]
pub struct DagDeploy {
    /// The deploy as Astro answered the finalize call.
    pub deploy: Deploy,
    /// The uploaded tarball's version (`dagTarballVersion`).
    pub version: String,
    /// Files in the tarball.
    pub files: usize,
    /// Its size in bytes.
    pub bytes: usize,
}

impl<'c> AstroDeployment<'c> {
    /// Reads Deployment `id` (404: a wrong Deployment or Organization, said as such).
    pub fn open(client: &'c Client, id: &str) -> Result<AstroDeployment<'c>, AstroError> {
        let info = client.deployment(id.trim())?;
        Ok(AstroDeployment { client, info })
    }

    /// Its deploys, oldest first (every page).
    pub fn history(&self) -> Result<Vec<Deploy>, AstroError> {
        self.client.deploys(&self.info.id)
    }

    /// What rolling back to `deploy_id` would do (reads the history).
    pub fn plan_rollback(
        &self,
        deploy_id: &str,
        force: bool,
    ) -> Result<AstroRollbackPlan, AstroError> {
        AstroRollbackPlan::new(&self.info, &self.history()?, deploy_id.trim(), force)
    }

    /// Rolls back as `plan` says; returns the new deploy the rollback made.
    pub fn rollback(
        &self,
        plan: &AstroRollbackPlan,
        description: Option<&str>,
    ) -> Result<Deploy, AstroError> {
        if let Some(d) = description {
            plan::check_description(d)?;
        }
        self.client.rollback(
            &self.info.id,
            &plan.deploy_id,
            description.filter(|d| !d.is_empty()),
        )
    }

    /// A `DAG_ONLY` deploy of the project's `dags/`: create the deploy, upload the tarball to
    /// the URL Astro answers with, finalize with the upload's version. The caller runs the
    /// parse test first.
    pub fn deploy_dags(
        &self,
        project_root: &Path,
        description: Option<&str>,
        progress: &dyn Progress,
    ) -> Result<DagDeploy, AstroError> {
        if let Some(d) = description {
            plan::check_description(d)?;
        }
        let id = &self.info.id;
        if !self.info.is_dag_deploy_enabled {
            return Err(AstroError::Refused(format!(
                "DAG-only deploys are off on Deployment {} ({id}): turn on DAG deploys in the \
                 Astro UI (Deployment settings) or with `astro deployment update {id} \
                 --dag-deploy enable`, or deploy the whole image with `astro deploy`",
                self.info.name
            )));
        }
        progress.begin("pack dags/", None);
        let tar = dags::tarball(project_root)?;
        progress.end(
            "pack dags/",
            &format!("{} files, {} bytes", tar.files, tar.bytes.len()),
        );
        progress.begin("create the DAG-only deploy", None);
        let created = self.client.create_deploy(
            id,
            &CreateDeploy {
                kind: "DAG_ONLY".into(),
                description: description.filter(|d| !d.is_empty()).map(str::to_string),
            },
        )?;
        progress.end("create the DAG-only deploy", &created.id);
        let url = created
            .dags_upload_url
            .as_ref()
            .map(|u| u.expose())
            .filter(|u| !u.is_empty())
            .ok_or_else(|| AstroError::BadResponse {
                what: format!("create a DAG_ONLY deploy on Deployment {id}"),
                detail: "the answer has no dagsUploadUrl (DAG deploys may be off)".into(),
            })?;
        progress.begin("upload the DAG tarball", None);
        let version = self.client.upload_dags(url, &tar.bytes).map_err(|e| {
            AstroError::Other(format!(
                "{e}. Deploy {} was created but not finalized: nothing changed on the \
                 Deployment; run the deploy again",
                created.id
            ))
        })?;
        progress.end("upload the DAG tarball", &version);
        progress.begin("finalize the deploy", None);
        let deploy = self.client.finalize_deploy(
            id,
            &created.id,
            &FinalizeDeploy {
                dag_tarball_version: Some(version.clone()),
            },
        )?;
        progress.end("finalize the deploy", &deploy.status);
        Ok(DagDeploy {
            deploy,
            version,
            files: tar.files,
            bytes: tar.bytes.len(),
        })
    }
}
