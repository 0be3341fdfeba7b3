//! `kpt:{json}` commit trailers (porch-api.md §4.4) and the history walks
//! that use them: the creation task of a revision and the latest commit that
//! names a package on the branch.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::sync::Arc;

use git2::{Oid, Repository};
use porch_api::packagerevision::Task;

use super::memo::Memo;

/// One `kpt:{json}` line; every field is optional (empty strings are omitted when written).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trailer {
    pub package: String,
    pub workspace_name: String,
    pub revision: String,
    /// `None` when absent or not a valid Task object.
    pub task: Option<Task>,
}

impl Trailer {
    /// The trailer line `kpt:{json}` as Porch writes it (`omitempty` fields).
    pub fn line(&self) -> String {
        let mut obj = serde_json::Map::new();
        for (k, v) in [
            ("package", &self.package),
            ("workspaceName", &self.workspace_name),
            ("revision", &self.revision),
        ] {
            if !v.is_empty() {
                obj.insert(k.into(), serde_json::Value::String(v.clone()));
            }
        }
        if let Some(t) = &self.task
            && let Ok(v) = serde_json::to_value(t)
        {
            obj.insert("task".into(), v);
        }
        format!("kpt:{}", serde_json::Value::Object(obj))
    }
}

/// What discovery needs from a commit, parsed once.
#[derive(Debug, Clone)]
pub(crate) struct CommitInfo {
    pub parents: Vec<Oid>,
    pub author_email: String,
    /// Author time, seconds since the epoch.
    pub author_time: i64,
    pub committer_time: i64,
    pub trailers: Vec<Trailer>,
}

/// Task types that may open a revision's history (Porch's `IsValidFirstTaskType`).
const FIRST_TASK_TYPES: [&str; 4] = ["init", "clone", "edit", "upgrade"];

/// Parse every line that starts with `kpt:`, as Porch does (it does not insist
/// on the trailer block). Lines that are not a JSON object are skipped, and so
/// is a `task` that does not parse, so old or foreign history never fails a listing.
pub(crate) fn parse_trailers(message: &str) -> Vec<Trailer> {
    let mut out = Vec::new();
    for line in message.lines() {
        let Some(json) = line.trim_end_matches('\r').strip_prefix("kpt:") else {
            continue;
        };
        let Ok(serde_json::Value::Object(obj)) = serde_json::from_str::<serde_json::Value>(json)
        else {
            tracing::debug!(line, "ignoring unparsable kpt: trailer");
            continue;
        };
        let text = |k: &str| match obj.get(k) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let task = obj
            .get("task")
            .and_then(|t| serde_json::from_value::<Task>(t.clone()).ok());
        out.push(Trailer {
            package: text("package"),
            workspace_name: text("workspaceName"),
            revision: text("revision"),
            task,
        });
    }
    out
}

/// The parsed commit `oid`, from the memo or the object database.
pub(crate) fn commit_info(
    repo: &Repository,
    memo: &mut Memo,
    oid: Oid,
) -> Result<Arc<CommitInfo>, git2::Error> {
    if let Some(c) = memo.commits.get(&oid) {
        return Ok(c);
    }
    let commit = repo.find_commit(oid)?;
    let message = String::from_utf8_lossy(commit.message_raw_bytes());
    let trailers = if message.contains("kpt:") {
        parse_trailers(&message)
    } else {
        Vec::new()
    };
    let author = commit.author();
    let info = Arc::new(CommitInfo {
        parents: commit.parent_ids().collect(),
        author_email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        author_time: author.when().seconds(),
        committer_time: commit.time().seconds(),
        trailers,
    });
    memo.commits.insert(oid, info.clone());
    Ok(info)
}

/// Visit the history of `start` newest first by committer time (go-git's
/// `LogOrderCommitterTime`, which Porch uses) until `visit` returns false.
fn walk(
    repo: &Repository,
    memo: &mut Memo,
    start: Oid,
    mut visit: impl FnMut(Oid, &CommitInfo) -> bool,
) -> Result<(), git2::Error> {
    let mut heap = BinaryHeap::new();
    let mut seen = HashSet::new();
    let first = commit_info(repo, memo, start)?;
    heap.push((first.committer_time, Reverse(start)));
    seen.insert(start);
    while let Some((_, Reverse(oid))) = heap.pop() {
        let info = commit_info(repo, memo, oid)?;
        if !visit(oid, &info) {
            return Ok(());
        }
        for p in &info.parents {
            if seen.insert(*p) {
                let pi = commit_info(repo, memo, *p)?;
                heap.push((pi.committer_time, Reverse(*p)));
            }
        }
    }
    Ok(())
}

/// Every package named by a trailer in the history of `tips` (one walk, each
/// commit once): the walks below are only needed for these.
pub(crate) fn named_packages(
    repo: &Repository,
    memo: &mut Memo,
    tips: &[Oid],
) -> Result<HashSet<String>, git2::Error> {
    let mut named = HashSet::new();
    let mut seen: HashSet<Oid> = tips.iter().copied().collect();
    let mut stack: Vec<Oid> = seen.iter().copied().collect();
    while let Some(oid) = stack.pop() {
        let info = commit_info(repo, memo, oid)?;
        for t in &info.trailers {
            if !named.contains(&t.package) {
                named.insert(t.package.clone());
            }
        }
        for p in &info.parents {
            if seen.insert(*p) {
                stack.push(*p);
            }
        }
    }
    Ok(named)
}

/// The creation task of revision (`package`, `workspace`) seen from `start`:
/// walking back, the oldest valid first task of a matching trailer, stopping
/// at `init`/`clone` (Porch's `loadTasks`). Legacy trailers without a
/// workspace match when their revision equals the workspace.
pub(crate) fn creation_task(
    repo: &Repository,
    memo: &mut Memo,
    named: &HashSet<String>,
    start: Oid,
    package: &str,
    workspace: &str,
) -> Result<Option<Task>, git2::Error> {
    if !named.contains(package) {
        return Ok(None);
    }
    let key = (start, package.to_string(), workspace.to_string());
    if let Some(t) = memo.tasks.get(&key) {
        return Ok(t);
    }
    let mut found: Option<Task> = None;
    walk(repo, memo, start, |_, info| {
        for t in &info.trailers {
            let matches = t.package == package
                && (t.workspace_name == workspace
                    || (t.workspace_name.is_empty() && t.revision == workspace));
            if !matches {
                continue;
            }
            if let Some(task) = &t.task {
                if FIRST_TASK_TYPES.contains(&task.type_.as_str()) {
                    found = Some(task.clone());
                }
                if task.type_ == "init" || task.type_ == "clone" {
                    return false;
                }
            }
        }
        true
    })?;
    memo.tasks.insert(key, found.clone());
    Ok(found)
}

/// For each of `packages` (full paths), the newest commit in the history of
/// `head` whose trailer names it (Porch's `findLatestPackageCommit`); one walk
/// for all of them, stopping once all are found.
pub(crate) fn latest_package_commits(
    repo: &Repository,
    memo: &mut Memo,
    named: &HashSet<String>,
    head: Oid,
    packages: &[String],
) -> Result<Vec<Option<Oid>>, git2::Error> {
    let mut result: Vec<Option<Option<Oid>>> = packages
        .iter()
        .map(|p| match named.contains(p) {
            true => memo.latest.get(&(head, p.clone())),
            false => Some(None),
        })
        .collect();
    let mut missing: HashSet<&str> = packages
        .iter()
        .zip(&result)
        .filter(|(_, r)| r.is_none())
        .map(|(p, _)| p.as_str())
        .collect();
    if !missing.is_empty() {
        let mut found: Vec<(String, Oid)> = Vec::new();
        walk(repo, memo, head, |oid, info| {
            for t in &info.trailers {
                if missing.remove(t.package.as_str()) {
                    found.push((t.package.clone(), oid));
                }
            }
            !missing.is_empty()
        })?;
        for (i, p) in packages.iter().enumerate() {
            if result[i].is_none() {
                let hit = found.iter().find(|(fp, _)| fp == p).map(|(_, o)| *o);
                memo.latest.insert((head, p.clone()), hit);
                result[i] = Some(hit);
            }
        }
    }
    Ok(result.into_iter().map(|r| r.flatten()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_trailers_leniently() {
        let msg = "Creating new empty revision\n\nkpt:{\"package\":\"a/b\",\"workspaceName\":\"ws\",\"revision\":\"0\",\"task\":{\"type\":\"init\",\"init\":{\"description\":\"d\"}}}\nkpt:not json\nkpt:{\"package\":\"x\",\"revision\":3,\"task\":{\"type\":\"init\",\"init\":5}}\n";
        let t = parse_trailers(msg);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].package, "a/b");
        assert_eq!(t[0].workspace_name, "ws");
        let task = t[0].task.as_ref().unwrap();
        assert_eq!(task.type_, "init");
        assert_eq!(task.init.as_ref().unwrap().description, "d");
        assert_eq!(t[1].revision, "3");
        assert!(t[1].task.is_none());
    }
}
