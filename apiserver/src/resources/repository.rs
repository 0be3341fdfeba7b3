//! `repositories.config.porch.kpt.dev`: Porch's CRD behaviour (defaults,
//! validation messages, printer columns, `/status`) plus its validating
//! webhook's conflict rule, applied inline.

use porch_api::repository::{CONFIG_GROUP, CONFIG_VERSION, Repository};
use serde_json::{Value, json};

use crate::error::{ApiError, FieldError, Subject};
use crate::registry::{Column, Normalized, ResourceDef, Strategy, normalize_typed, str_at};
use crate::state::AppState;

/// The Repository strategy.
pub struct RepositoryStrategy {
    def: ResourceDef,
}

const IMMUTABLE: &[(&[&str], &str)] = &[
    (&["spec", "type"], "spec.type"),
    (&["spec", "git", "repo"], "spec.git.repo"),
    (&["spec", "git", "branch"], "spec.git.branch"),
    (&["spec", "git", "directory"], "spec.git.directory"),
    (&["spec", "oci", "registry"], "spec.oci.registry"),
];

impl RepositoryStrategy {
    pub fn new() -> Self {
        RepositoryStrategy {
            def: ResourceDef {
                group: CONFIG_GROUP,
                version: CONFIG_VERSION,
                kind: "Repository",
                plural: "repositories",
                singular: "repository",
                namespaced: true,
                short_names: &["repo"],
                verbs: &[
                    "create",
                    "delete",
                    "deletecollection",
                    "get",
                    "list",
                    "patch",
                    "update",
                    "watch",
                ],
                subresources: &[("status", &["get", "patch", "update"])],
                columns: vec![
                    Column::new("Type", "string", "Type of the repository (git or oci)"),
                    Column::new(
                        "Content",
                        "string",
                        "Content of the repository (deprecated; always Package)",
                    ),
                    Column::new("Sync schedule", "string", "Cron schedule of full syncs"),
                    Column::new(
                        "Deployment",
                        "boolean",
                        "Whether this is a deployment repository",
                    ),
                    Column::new("Ready", "string", "Status of the Ready condition"),
                    Column::new(
                        "Address",
                        "string",
                        "Address of the git repository or OCI registry",
                    ),
                    Column::new("Branch", "string", "Git branch holding the packages"),
                    Column::new("Age", "date", "CreationTimestamp of the object").format("date"),
                ],
                schema: |g| g.subschema_for::<Repository>(),
                fields: &[],
                uses_generation: true,
                name_is_label: true,
                requires_resource_version: false,
            },
        }
    }
}

impl Default for RepositoryStrategy {
    fn default() -> Self {
        Self::new()
    }
}

/// A git URL reduced to what identifies the repository, for the conflict rule.
fn normalize_url(url: &str) -> String {
    let u = url.trim().to_lowercase();
    let u = u.trim_end_matches('/');
    let u = u.strip_suffix(".git").unwrap_or(u);
    u.split_once("://")
        .map(|(_, rest)| rest.to_string())
        .unwrap_or_else(|| u.to_string())
}

fn clean_dir(dir: Option<&str>) -> String {
    dir.unwrap_or("").trim_matches('/').to_string()
}

fn dirs_overlap(a: &str, b: &str) -> bool {
    a.is_empty()
        || b.is_empty()
        || a == b
        || a.starts_with(&format!("{b}/"))
        || b.starts_with(&format!("{a}/"))
}

/// Porch's cron schedules have 5 fields; the `cron` crate wants seconds first.
fn check_cron(schedule: &str) -> Result<(), String> {
    let fields = schedule.split_whitespace().count();
    if fields != 5 {
        return Err(format!(
            "expected 5 fields (minute hour day-of-month month day-of-week), got {fields}"
        ));
    }
    format!("0 {schedule}")
        .parse::<cron::Schedule>()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[async_trait::async_trait]
impl Strategy for RepositoryStrategy {
    fn def(&self) -> &ResourceDef {
        &self.def
    }

    fn normalize(&self, value: Value) -> Result<Normalized, String> {
        normalize_typed::<Repository>(value)
    }

    fn prepare_for_create(&self, obj: &mut Value) {
        default_spec(obj);
        if let Some(o) = obj.as_object_mut() {
            o.remove("status");
        }
    }

    fn prepare_for_update(&self, new: &mut Value, old: &Value, subresource: Option<&str>) {
        crate::registry::split_status(new, old, subresource);
        if subresource.is_none() {
            default_spec(new);
        }
    }

    fn validate_create(&self, obj: &Value) -> Vec<FieldError> {
        let mut errs = Vec::new();
        let name = str_at(obj, &["metadata", "name"]).unwrap_or_default();
        if name.len() > 63 {
            errs.push(FieldError::invalid(
                "metadata.name",
                name,
                "metadata.name must be no more than 63 characters",
            ));
        }
        let t = str_at(obj, &["spec", "type"]).unwrap_or_default();
        match t {
            "git" => match str_at(obj, &["spec", "git", "repo"]) {
                Some(r) if !r.trim().is_empty() => {}
                _ => errs.push(FieldError::required(
                    "spec.git.repo",
                    "git repository address is required",
                )),
            },
            "oci" => match str_at(obj, &["spec", "oci", "registry"]) {
                Some(r) if !r.trim().is_empty() => {}
                _ => errs.push(FieldError::required(
                    "spec.oci.registry",
                    "OCI registry address is required",
                )),
            },
            "" => errs.push(FieldError::required("spec.type", "")),
            other => errs.push(FieldError::not_supported(
                "spec.type",
                other,
                &["git", "oci"],
            )),
        }
        if let Some(b) = str_at(obj, &["spec", "git", "branch"])
            && b.is_empty()
        {
            errs.push(FieldError::invalid(
                "spec.git.branch",
                b,
                "should be at least 1 chars long",
            ));
        }
        if let Some(c) = str_at(obj, &["spec", "content"])
            && !c.is_empty()
            && c != "Package"
        {
            errs.push(FieldError::invalid(
                "spec.content",
                c,
                "The 'content' field is deprecated, its only valid value is 'Package'",
            ));
        }
        if let Some(s) = str_at(obj, &["spec", "sync", "schedule"]).filter(|s| !s.is_empty())
            && let Err(e) = check_cron(s)
        {
            errs.push(FieldError::invalid(
                "spec.sync.schedule",
                s,
                format!("invalid cron expression: {e}"),
            ));
        }
        if let Some(t) = str_at(obj, &["spec", "sync", "runOnceAt"]).filter(|s| !s.is_empty())
            && t.parse::<jiff::Timestamp>().is_err()
        {
            errs.push(FieldError::invalid(
                "spec.sync.runOnceAt",
                t,
                "must be an RFC 3339 time",
            ));
        }
        errs
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldError> {
        let mut errs = Vec::new();
        for (path, field) in IMMUTABLE {
            let before = str_at(old, path);
            let after = str_at(new, path);
            if before != after {
                errs.push(FieldError::invalid(
                    *field,
                    after.unwrap_or(""),
                    format!("{field} is immutable"),
                ));
            }
        }
        errs
    }

    async fn before_create(&self, state: &AppState, obj: &Value) -> Result<(), ApiError> {
        check_conflicts(self, state, obj)
    }

    async fn before_remove(&self, state: &AppState, obj: &Value) -> Result<(), ApiError> {
        let ns = str_at(obj, &["metadata", "namespace"]).unwrap_or_default();
        let name = str_at(obj, &["metadata", "name"]).unwrap_or_default();
        crate::sync::remove_objects(state, ns, name).await;
        Ok(())
    }

    async fn before_update(
        &self,
        state: &AppState,
        new: &Value,
        old: &Value,
    ) -> Result<(), ApiError> {
        // URL, branch and directory are immutable: only a create can introduce a conflict.
        if conflict_key(new) == conflict_key(old)
            && new.pointer("/spec/git/directory") == old.pointer("/spec/git/directory")
        {
            return Ok(());
        }
        check_conflicts(self, state, new)
    }

    fn index(&self) -> Option<crate::storage::index::IndexFn> {
        Some(std::sync::Arc::new(|obj: &Value| {
            conflict_key(obj).into_iter().collect()
        }))
    }

    fn cells(&self, obj: &Value) -> Vec<Value> {
        let ready = obj
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .and_then(|cs| {
                cs.iter()
                    .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
            })
            .and_then(|c| c.get("status").cloned())
            .unwrap_or(Value::Null);
        let address = str_at(obj, &["spec", "git", "repo"])
            .or_else(|| str_at(obj, &["spec", "oci", "registry"]));
        vec![
            obj.pointer("/spec/type").cloned().unwrap_or(Value::Null),
            obj.pointer("/spec/content").cloned().unwrap_or(Value::Null),
            obj.pointer("/spec/sync/schedule")
                .cloned()
                .unwrap_or(Value::Null),
            obj.pointer("/spec/deployment")
                .cloned()
                .unwrap_or(Value::Null),
            ready,
            address.map(|a| json!(a)).unwrap_or(Value::Null),
            obj.pointer("/spec/git/branch")
                .cloned()
                .unwrap_or(Value::Null),
            obj.pointer("/metadata/creationTimestamp")
                .cloned()
                .unwrap_or(Value::Null),
        ]
    }
}

fn default_spec(obj: &mut Value) {
    if let Some(git) = obj.pointer_mut("/spec/git").and_then(Value::as_object_mut)
        && !git.contains_key("branch")
    {
        git.insert("branch".into(), json!("main"));
    }
    if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut)
        && !spec.contains_key("content")
    {
        spec.insert("content".into(), json!("Package"));
    }
}

/// `<namespace>/<normalised URL>#<branch>`: Repositories that may conflict share it.
fn conflict_key(obj: &Value) -> Option<String> {
    let url = normalize_url(str_at(obj, &["spec", "git", "repo"])?);
    let ns = str_at(obj, &["metadata", "namespace"]).unwrap_or_default();
    let branch = str_at(obj, &["spec", "git", "branch"]).unwrap_or("main");
    Some(format!("{ns}/{url}#{branch}"))
}

/// Porch's webhook rule: no two Repositories of a namespace on the same URL and
/// branch with the same, root, or nested directories. Answered from the
/// cache's index on [`conflict_key`], not by scanning the namespace.
fn check_conflicts(
    strategy: &RepositoryStrategy,
    state: &AppState,
    obj: &Value,
) -> Result<(), ApiError> {
    let Some(key) = conflict_key(obj) else {
        return Ok(());
    };
    let name = str_at(obj, &["metadata", "name"]).unwrap_or_default();
    let dir = clean_dir(str_at(obj, &["spec", "git", "directory"]));
    for other in state.objects.cache().indexed(&strategy.def.prefix(), &key) {
        let v = &other.value;
        let other_name = str_at(v, &["metadata", "name"]).unwrap_or_default();
        if other_name == name {
            continue;
        }
        let other_dir = clean_dir(str_at(v, &["spec", "git", "directory"]));
        if dirs_overlap(&dir, &other_dir) {
            return Err(ApiError::Conflict {
                subject: Subject::new(CONFIG_GROUP, "repositories", name),
                message: format!(
                    "RepositoryConflict: repository {name:?} conflicts with existing repository {other_name:?}: same git repository and branch with overlapping directories ({:?} and {:?})",
                    if dir.is_empty() { "/" } else { &dir },
                    if other_dir.is_empty() {
                        "/"
                    } else {
                        &other_dir
                    },
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_directories() {
        assert_eq!(
            normalize_url("HTTP://Example.com/Repo.git/"),
            normalize_url("https://example.com/repo")
        );
        assert!(dirs_overlap("", "a"));
        assert!(dirs_overlap("a", "a/b"));
        assert!(!dirs_overlap("a", "ab"));
        assert!(!dirs_overlap("a/b", "a/c"));
    }

    #[test]
    fn cron_schedules() {
        assert!(check_cron("*/10 * * * *").is_ok());
        assert!(check_cron("0 1 * * 1-5").is_ok());
        assert!(check_cron("61 * * * *").is_err());
        assert!(check_cron("* * * *").is_err());
    }

    #[test]
    fn immutable_fields_are_reported() {
        let s = RepositoryStrategy::new();
        let old = json!({"spec": {"type": "git", "git": {"repo": "a", "branch": "main"}}});
        let new = json!({"spec": {"type": "git", "git": {"repo": "b", "branch": "main"}}});
        let errs = s.validate_update(&new, &old);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].to_string().contains("spec.git.repo is immutable"));
    }
}
