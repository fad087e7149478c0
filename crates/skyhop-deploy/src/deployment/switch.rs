//! Changing what a deployment runs: a deploy (with its downgrade check) and a rollback (its
//! plan, then the switch back), both through one switch of the active deploy (`switch`).

use super::*;

impl Deployment {
    /// Deploys the project: checks the parse result and versions, stores the code bundle,
    /// backs up and migrates the metadata DB, starts the new processes and waits until they
    /// are healthy, then switches the active deploy. When anything fails after the old deploy
    /// was stopped, switches back by itself (status `failed-rolled-back`).
    pub fn deploy(
        &mut self,
        req: &DeployRequest,
        progress: &dyn Progress,
    ) -> Result<DeployOutcome> {
        let _lock = self.lock()?;
        self.recover_locked(progress)?;
        if !req.parse_ok && !req.forced {
            return Err(DeployError::ParseFailed);
        }
        let active = self.active()?;
        if let Some(a) = &active {
            self.refuse_downgrade(a, req)?;
        }
        if !req.venv.join("bin/airflow").is_file() {
            return Err(DeployError::NoAirflow(req.venv.clone()));
        }
        self.db()?
            .check_drivers(&req.venv, airflow_major(&req.airflow_version)?)?;
        progress.begin("store the code bundle", None);
        let code_hash = bundle::store(&req.project_root, &self.bundles())?;
        progress.end("store the code bundle", &code_hash);
        let id = self.store.insert_pending(
            &NewRecord {
                description: &req.description,
                runtime: req.runtime.as_deref(),
                airflow: &req.airflow_version,
                code_hash: &code_hash,
                lock_hash: &req.lock_hash,
                venv: &req.venv,
                kind: DeployKind::Deploy,
                forced: req.forced || !req.parse_ok,
            },
            &who(),
        )?;
        let record = self.record(id)?;
        let new = self.spec_for(&record, None)?;
        let previous = match &active {
            Some(a) => Some(self.spec_for(a, None)?),
            None => None,
        };
        self.switch(
            id,
            new,
            DbOp::Migrate,
            previous,
            req.health_timeout,
            progress,
        )
    }

    pub(super) fn refuse_downgrade(
        &self,
        active: &DeployRecord,
        req: &DeployRequest,
    ) -> Result<()> {
        let airflow_lower = compare_airflow(&req.airflow_version, &active.airflow)?.is_lt();
        let order = req.runtime_order.unwrap_or(compare_runtime);
        let runtime_lower = match (&req.runtime, &active.runtime) {
            (Some(new), Some(old)) => order(new, old) == Some(Ordering::Less),
            _ => false,
        };
        if !airflow_lower && !runtime_lower {
            return Ok(());
        }
        let version = crate::versions::version_label;
        let earlier = self
            .history()?
            .into_iter()
            .rev()
            .find(|r| {
                r.status == DeployStatus::Succeeded
                    && r.airflow == req.airflow_version
                    && r.runtime == req.runtime
            })
            .map(|r| format!(" (deploy {} ran that version)", r.id))
            .unwrap_or_default();
        let current = version(&active.airflow, active.runtime.as_deref());
        Err(DeployError::Downgrade(format!(
            "cannot deploy a downgraded version: deployment `{}` runs {current} since deploy {}, \
             and this project is on {}. Set the project to {current} or newer, or roll back to an \
             earlier deploy with `skyhop rollback <DEPLOY_ID>`{earlier}; see `skyhop deploy history`",
            self.config.name,
            active.id,
            version(&req.airflow_version, req.runtime.as_deref()),
        )))
    }

    /// What rolling back to `deploy_id` would do.
    pub fn plan_rollback(&self, deploy_id: i64) -> Result<RollbackPlan> {
        let to = self.record(deploy_id)?;
        if to.status != DeployStatus::Succeeded {
            return Err(DeployError::Other(format!(
                "deploy {deploy_id} {}; only deploys that succeeded can be restored",
                match to.status {
                    DeployStatus::FailedRolledBack => "failed and was rolled back",
                    DeployStatus::Interrupted => "was interrupted",
                    _ => "is still running",
                }
            )));
        }
        let from = self
            .active()?
            .ok_or_else(|| DeployError::NothingDeployed(self.config.name.clone()))?;
        let downgrade = compare_airflow(&to.airflow, &from.airflow)?.is_lt();
        Ok(RollbackPlan::new(
            deploy_id,
            (&from.airflow, from.runtime.as_deref()),
            (&to.airflow, to.runtime.as_deref()),
            &to.code_hash,
            downgrade,
        ))
    }

    /// Rolls back to a past deploy's code and version, keeping env vars and settings. When
    /// Airflow goes down, needs `confirmed` (else `Err(NeedsConfirmation(plan))`), and
    /// downgrades the metadata DB with the newer environment after backing it up. The rollback
    /// is a new history entry.
    pub fn rollback(
        &mut self,
        req: &RollbackRequest,
        progress: &dyn Progress,
    ) -> Result<DeployOutcome> {
        let _lock = self.lock()?;
        self.recover_locked(progress)?;
        let plan = self.plan_rollback(req.deploy_id)?;
        if plan.downgrade && !req.confirmed {
            return Err(DeployError::NeedsConfirmation(Box::new(plan)));
        }
        let to = self.record(req.deploy_id)?;
        let from = self
            .active()?
            .ok_or_else(|| DeployError::NothingDeployed(self.config.name.clone()))?;
        let venv = req.venv.clone().unwrap_or_else(|| to.venv.clone());
        if !venv.join("bin/airflow").is_file() {
            return Err(DeployError::Other(format!(
                "the environment of deploy {} ({}) is gone; rebuild it for lock {} and pass it to the rollback",
                to.id,
                venv.display(),
                to.lock_hash
            )));
        }
        if !bundle::path(&self.bundles(), &to.code_hash).is_dir() {
            return Err(DeployError::Other(format!(
                "the code bundle {} of deploy {} is missing from {}",
                to.code_hash,
                to.id,
                self.bundles().display()
            )));
        }
        self.db()?
            .check_drivers(&venv, airflow_major(&to.airflow)?)?;
        let previous = self.spec_for(&from, None)?;
        if plan.downgrade && !previous.venv.join("bin/airflow").is_file() {
            return Err(DeployError::Other(format!(
                "the metadata DB downgrade needs the environment of the running deploy {} ({}), which is gone; rebuild it first",
                from.id,
                previous.venv.display()
            )));
        }
        let id = self.store.insert_pending(
            &NewRecord {
                description: &req.description,
                runtime: to.runtime.as_deref(),
                airflow: &to.airflow,
                code_hash: &to.code_hash,
                lock_hash: &to.lock_hash,
                venv: &venv,
                kind: DeployKind::Rollback { restored: to.id },
                forced: false,
            },
            &who(),
        )?;
        let record = self.record(id)?;
        let new = self.spec_for(&record, None)?;
        let op = if plan.downgrade {
            DbOp::Downgrade {
                newer: Box::new(previous.clone()),
            }
        } else {
            DbOp::Migrate
        };
        self.switch(id, new, op, Some(previous), req.health_timeout, progress)
    }

    /// Stops the old deploy, backs up and changes the DB, starts `new`, waits for health and
    /// switches; on failure restores the DB backup and the previous deploy.
    pub(super) fn switch(
        &mut self,
        id: i64,
        new: RunSpec,
        op: DbOp,
        previous: Option<RunSpec>,
        timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<DeployOutcome> {
        let db = self.db()?;
        let ext = if db.is_sqlite() { "db" } else { "sql" };
        let backup = self.dir.join("backups").join(format!("before-{id}.{ext}"));
        let mut backed_up = false;
        let attempt = (|| -> Result<Health> {
            self.store.set_phase(id, Phase::Stopping)?;
            self.target.stop(progress)?;
            progress.begin("back up the metadata DB", None);
            db.backup(&backup)?;
            progress.end("back up the metadata DB", &backup.display().to_string());
            self.store.set_backup(id, &backup)?;
            backed_up = true;
            self.store.set_phase(id, Phase::DbChanging)?;
            match &op {
                DbOp::Migrate => self.target.migrate(&new, progress)?,
                DbOp::Downgrade { newer } => {
                    self.target
                        .downgrade(newer, &new.airflow_version, progress)?
                }
            }
            self.store.set_phase(id, Phase::Starting)?;
            self.target.start(&new, progress)?;
            self.target.wait_healthy(&new, timeout, progress)
        })();
        let url = format!("http://127.0.0.1:{}", new.port);
        match attempt {
            Ok(health) => {
                self.store.finish(id, DeployStatus::Succeeded, None)?;
                self.write_pointer()?;
                Ok(DeployOutcome {
                    record: self.record(id)?,
                    message: format!(
                        "deploy {id} is active: Airflow {} is healthy at {url}",
                        new.airflow_version
                    ),
                    health: Some(health),
                    url,
                })
            }
            Err(e) => {
                let mut said = vec![format!("deploy {id} failed: {e}")];
                let _ = self.target.stop(progress);
                if backed_up {
                    match db.restore(&backup) {
                        Ok(()) => said.push("the metadata DB was restored from its backup".into()),
                        Err(re) => said.push(format!(
                            "restoring the metadata DB from {} failed too: {re}",
                            backup.display()
                        )),
                    }
                }
                if let Some(prev) = &previous {
                    let back = self
                        .target
                        .start(prev, progress)
                        .and_then(|()| self.target.wait_healthy(prev, timeout, progress));
                    said.push(match back {
                        Ok(_) => format!(
                            "switched back: {} (Airflow {}) runs again",
                            prev.label, prev.airflow_version
                        ),
                        Err(e2) => format!("switching back to {} failed too: {e2}", prev.label),
                    });
                } else {
                    said.push("nothing ran before this deploy, so nothing runs now".into());
                }
                let message = said.join("; ");
                self.store
                    .finish(id, DeployStatus::FailedRolledBack, Some(&message))?;
                Ok(DeployOutcome {
                    record: self.record(id)?,
                    message,
                    health: None,
                    url,
                })
            }
        }
    }
}
