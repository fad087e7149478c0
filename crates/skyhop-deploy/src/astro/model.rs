//! The request and response bodies of Astro's public API v1, as the generated client of the
//! Astro CLI (`astro-client-v1/api.gen.go`) defines them. Only the fields skyhop reads are
//! here; every other field of a response is ignored, and every optional field may be absent.

use serde::{Deserialize, Serialize};

/// `Deployment`: one Astro Deployment (`GET /organizations/{org}/deployments[/{id}]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub airflow_version: String,
    #[serde(default)]
    pub astro_runtime_version: String,
    /// `CREATING`, `DEPLOYING`, `HEALTHY`, `HIBERNATING`, `UNHEALTHY`, `UNKNOWN`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub workspace_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_name: Option<String>,
    #[serde(default)]
    pub is_dag_deploy_enabled: bool,
    #[serde(default)]
    pub is_cicd_enforced: bool,
    #[serde(default)]
    pub image_tag: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dag_tarball_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_dag_tarball_version: Option<String>,
    #[serde(default)]
    pub ui_url: String,
}

/// `DeploymentsPaginated`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentsPage {
    #[serde(default)]
    pub deployments: Vec<Deployment>,
    #[serde(default)]
    pub limit: i64,
    #[serde(default)]
    pub offset: i64,
    #[serde(default)]
    pub total_count: i64,
}

/// `BasicSubjectProfile`: who made a deploy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_token_name: Option<String>,
    /// `USER` or `SERVICEKEY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_type: Option<String>,
}

impl Subject {
    /// A user's name, an API token's name, else the subject's id.
    pub fn name(&self) -> &str {
        self.username
            .as_deref()
            .or(self.api_token_name.as_deref())
            .or(self.full_name.as_deref())
            .unwrap_or(&self.id)
    }
}

/// `Deploy`: one entry of a Deployment's deploy history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deploy {
    pub id: String,
    #[serde(default)]
    pub deployment_id: String,
    /// RFC 3339 (`YYYY-MM-DDTHH:MM:SSZ`).
    #[serde(default)]
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_subject: Option<Subject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub airflow_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub astro_runtime_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub image_repository: String,
    #[serde(default)]
    pub image_tag: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dag_tarball_version: Option<String>,
    /// The upload URL of the DAG tarball (a pre-signed blob URL: a secret, never printed).
    #[serde(default, skip_serializing)]
    pub dags_upload_url: Option<UploadUrl>,
    /// The upload URL of a bundle (type `BUNDLE`; likewise never printed).
    #[serde(default, skip_serializing)]
    pub bundle_upload_url: Option<UploadUrl>,
    #[serde(default)]
    pub is_dag_deploy_enabled: bool,
    /// Set on a deploy that a rollback made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_from_id: Option<String>,
    /// `INITIALIZED`, `DEPLOYED`, `FAILED`.
    #[serde(default)]
    pub status: String,
    /// `IMAGE_AND_DAG`, `IMAGE_ONLY`, `DAG_ONLY` (and `BUNDLE` on create).
    #[serde(default, rename = "type")]
    pub kind: String,
}

impl Deploy {
    /// `Astro Runtime 12.7.1 (Airflow 2.10.5)`, or what the deploy names of it.
    pub fn version_label(&self) -> String {
        match (&self.airflow_version, &self.astro_runtime_version) {
            (Some(af), rt) => crate::versions::version_label(af, rt.as_deref()),
            (None, Some(rt)) => format!("Astro Runtime {rt}"),
            (None, None) => "an unknown version".to_string(),
        }
    }
}

/// A pre-signed upload URL: its query holds the storage's credentials, so `Debug` shows only
/// the part before the query.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct UploadUrl(String);

impl UploadUrl {
    /// The URL itself, to upload to.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for UploadUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UploadUrl({})", super::client::redact_url(&self.0))
    }
}

/// `DeploysPaginated`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploysPage {
    #[serde(default)]
    pub deploys: Vec<Deploy>,
    #[serde(default)]
    pub limit: i64,
    #[serde(default)]
    pub offset: i64,
    #[serde(default)]
    pub total_count: i64,
}

/// `CreateDeployRequest`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDeploy {
    /// `IMAGE_AND_DAG`, `IMAGE_ONLY`, `DAG_ONLY`, `BUNDLE`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `FinalizeDeployRequest`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FinalizeDeploy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dag_tarball_version: Option<String>,
}

/// `DeployRollbackRequest`.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackDeploy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `Error`: the body of every failed response.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub request_id: String,
    #[serde(default)]
    pub status_code: i64,
    #[serde(default)]
    pub field_errors: Option<Vec<FieldError>>,
}

/// `FieldValidationError`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FieldError {
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub message: String,
}
