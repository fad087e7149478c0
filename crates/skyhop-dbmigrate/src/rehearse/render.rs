//! A rehearsal's outputs: `db_rehearsal.json`, and the Markdown section of reports and
//! `db_rehearsal.md`.

use super::*;

impl Rehearsal {
    /// The `n` slowest revisions, slowest first.
    pub fn slowest(&self, n: usize) -> Vec<&RevisionTime> {
        let mut v: Vec<&RevisionTime> = self.migration.revisions.iter().collect();
        v.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
        v.truncate(n);
        v
    }

    /// Writes `db_rehearsal.json` into `dir` (created 0700, the file 0600); returns its path.
    pub fn write_json(&self, dir: &Path) -> Result<PathBuf> {
        private::dir(dir)?;
        let path = dir.join("db_rehearsal.json");
        let text = serde_json::to_string_pretty(self).map_err(|e| DbError::Other(e.to_string()))?;
        private::write(&path, text.as_bytes())?;
        Ok(path)
    }

    /// Writes [`Rehearsal::to_markdown`] as `db_rehearsal.md` into `dir` (0600); returns its
    /// path.
    pub fn write_markdown(&self, dir: &Path) -> Result<PathBuf> {
        private::dir(dir)?;
        let path = dir.join("db_rehearsal.md");
        private::write(&path, self.to_markdown().as_bytes())?;
        Ok(path)
    }

    /// A Markdown section for report.md / report.html: totals, the slowest revisions, moved
    /// data, the rollback and its loss, then every revision.
    pub fn to_markdown(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let m = &self.migration;
        let _ = writeln!(s, "## Metadata database migration rehearsal\n");
        let _ = writeln!(
            s,
            "{} at revision `{}` (Airflow {}) → Airflow {} (`{}`), {} task instances.\n",
            self.source,
            self.from_revision,
            self.from_airflow,
            self.target_airflow,
            self.target_revision,
            self.task_instances
        );
        if m.ok {
            let _ = writeln!(
                s,
                "- Migration: **{:.1} s** for {} revisions ({:.1} s in Alembic); copy {:.1} s.",
                m.seconds,
                m.revisions.len(),
                m.alembic_seconds,
                self.copy_seconds
            );
            if let Some(r) = self.reference_seconds {
                let _ = writeln!(
                    s,
                    "- skyhop's reference measurements predict {r:.1} s in Alembic at this size \
                     (a slower or busier database server takes longer)."
                );
            }
        } else if let Some(e) = &m.error {
            let _ = writeln!(
                s,
                "- Migration **failed** at revision `{}` (Airflow {}): {}",
                e.revision.as_deref().unwrap_or("?"),
                e.airflow_version.as_deref().unwrap_or("?"),
                e.message.lines().next().unwrap_or("")
            );
            if let Some(stmt) = &e.statement {
                let _ = writeln!(s, "\n```sql\n{}\n```\n", stmt.trim());
            }
        }
        if !self.moved.is_empty() {
            let _ = writeln!(s, "- Rows moved aside (not migrated):");
            for t in &self.moved {
                let _ = writeln!(
                    s,
                    "  - `{}`: {} rows{}",
                    t.table,
                    t.rows,
                    if t.new { " (new)" } else { "" }
                );
            }
        } else {
            let _ = writeln!(
                s,
                "- No rows were moved aside (`_airflow_moved__*`, `dangling_*`)."
            );
        }
        for t in self.dropped.iter().filter(|t| t.rows > 0) {
            let _ = writeln!(s, "- Table `{}` dropped with its {} rows.", t.table, t.rows);
        }
        let empty = self.dropped.iter().filter(|t| t.rows == 0).count();
        if empty > 0 {
            let _ = writeln!(s, "- {empty} empty tables dropped.");
        }
        for r in &self.renamed {
            let _ = writeln!(
                s,
                "- Table `{}` renamed to `{}` ({} rows).",
                r.from, r.to, r.rows
            );
        }
        if let Some(r) = &self.rollback {
            let _ = writeln!(s, "- Rollback to Airflow {}: {}.", r.to_airflow, r.plan);
            if r.downgrade.ok {
                let _ = writeln!(s, "  Downgrade took {:.1} s.", r.downgrade.seconds);
            } else if let Some(e) = &r.downgrade.error {
                let _ = writeln!(
                    s,
                    "  Downgrade error: {}",
                    e.message.lines().next().unwrap_or("")
                );
            }
            for t in &r.lost_tables {
                let _ = writeln!(s, "  - table `{}` dropped: {} rows lost", t.table, t.rows);
            }
            for c in r.lost_columns.iter().filter(|c| c.values > 0) {
                match &c.renamed_to {
                    Some(to) => {
                        let _ = writeln!(
                            s,
                            "  - column `{}.{}` renamed back to `{to}` ({} values kept)",
                            c.table, c.column, c.values
                        );
                    }
                    None => {
                        let _ = writeln!(
                            s,
                            "  - column `{}.{}` dropped: {} values lost",
                            c.table, c.column, c.values
                        );
                    }
                }
            }
            let empty = r.lost_columns.iter().filter(|c| c.values == 0).count();
            if empty > 0 {
                let _ = writeln!(s, "  - {empty} columns without values dropped");
            }
            for t in &r.renamed {
                let _ = writeln!(
                    s,
                    "  - table `{}` renamed back to `{}` ({} rows kept)",
                    t.from, t.to, t.rows
                );
            }
            for l in &r.lost_rows {
                let _ = writeln!(
                    s,
                    "  - `{}`: {} of {} rows deleted",
                    l.table,
                    l.before - l.after,
                    l.before
                );
            }
        }
        let slow = self.slowest(5);
        if !slow.is_empty() {
            let _ = writeln!(s, "\nSlowest revisions:\n");
            for r in slow {
                let _ = writeln!(
                    s,
                    "- `{}` (Airflow {}) {:.2} s: {}",
                    r.revision,
                    r.airflow_version.as_deref().unwrap_or("?"),
                    r.seconds,
                    r.description
                );
            }
        }
        if !m.revisions.is_empty() {
            let _ = writeln!(
                s,
                "\n| revision | Airflow | seconds | what |\n| --- | --- | ---: | --- |"
            );
            for r in &m.revisions {
                let _ = writeln!(
                    s,
                    "| `{}` | {} | {:.2} | {} |",
                    r.revision,
                    r.airflow_version.as_deref().unwrap_or("?"),
                    r.seconds,
                    r.description.replace('|', "\\|")
                );
            }
        }
        s
    }
}
