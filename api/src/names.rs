//! Porch's object names and UIDs (porch-api.md §1.2, §2.1): derived, human
//! readable and deterministic, because CLI goldens and clients depend on them.

use uuid::Uuid;

/// Namespace UUID of Porch's `GenerateUid`.
const UID_NAMESPACE: Uuid = Uuid::from_u128(0xaac71d91_5c67_456f_8fd2_902ef6da820e);

/// Deterministic UID: UUIDv5 over `prefix + group/version + "/" + namespace + "/" + name`, lower-cased.
pub fn generate_uid(prefix: &str, group_version: &str, namespace: &str, name: &str) -> String {
    let input = format!("{prefix}{group_version}/{namespace}/{name}").to_lowercase();
    Uuid::new_v5(&UID_NAMESPACE, input.as_bytes()).to_string()
}

/// `<repo>.<package path with / → .>.<workspace>`, leading/trailing dots trimmed.
pub fn package_revision_name(repository: &str, package_path: &str, workspace: &str) -> String {
    let dotted = package_path.replace('/', ".");
    format!("{repository}.{dotted}.{workspace}")
        .trim_matches('.')
        .to_string()
}

/// `<repo>.<dotted package path>`.
pub fn package_name(repository: &str, package_path: &str) -> String {
    let dotted = package_path.replace('/', ".");
    format!("{repository}.{dotted}")
        .trim_matches('.')
        .to_string()
}

/// Split a PackageRevision name into (repository, package path, workspace)
/// as Porch reads it: the workspace follows the last `.`, except when the name
/// ends with `.v<digits and dots>` (`…op.v2.0.0` → `v2.0.0`); the first
/// segment is the repository, the ones between form the package path.
pub fn parse_package_revision_name(name: &str) -> Option<(String, String, String)> {
    let semver_start = name.rmatch_indices(".v").map(|(i, _)| i).find(|&i| {
        let rest = &name[i + 2..];
        !rest.is_empty()
            && rest.starts_with(|c: char| c.is_ascii_digit())
            && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
    });
    let (head, workspace) = match semver_start {
        Some(i) => (&name[..i], &name[i + 1..]),
        None => name.rsplit_once('.')?,
    };
    let (repository, package) = head.split_once('.')?;
    if repository.is_empty() || package.is_empty() || workspace.is_empty() {
        return None;
    }
    Some((
        repository.to_string(),
        package.replace('.', "/"),
        workspace.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_match_porch_goldens() {
        let gv = "porch.kpt.dev/v1alpha1";
        assert_eq!(
            generate_uid(
                "packagerevision:",
                gv,
                "rpkg-clone",
                "git.basens-clone.clone-2"
            ),
            "710e4f9b-b21f-5786-bf04-1d1d9b32d57c"
        );
        assert_eq!(
            generate_uid(
                "packagerevision:",
                gv,
                "rpkg-init",
                "git.init-package.init-1"
            ),
            "45ee0692-730a-51b2-9a1d-ad4f4ad55dc8"
        );
    }

    #[test]
    fn names_parse_back() {
        let p = |n: &str| parse_package_revision_name(n);
        assert_eq!(
            p("catalog.workloads.oai.op.v1"),
            Some(("catalog".into(), "workloads/oai/op".into(), "v1".into()))
        );
        assert_eq!(
            p("catalog.workloads.oai.op.v2.0.0"),
            Some(("catalog".into(), "workloads/oai/op".into(), "v2.0.0".into()))
        );
        assert_eq!(
            p("repo.pkg.my-ws"),
            Some(("repo".into(), "pkg".into(), "my-ws".into()))
        );
        assert_eq!(p("repo.pkg"), None);
        assert_eq!(p("nodots"), None);
    }

    #[test]
    fn names_are_dotted() {
        assert_eq!(
            package_revision_name("catalog", "workloads/oai/op", "v1"),
            "catalog.workloads.oai.op.v1"
        );
        assert_eq!(
            package_name("catalog", "workloads/oai/op"),
            "catalog.workloads.oai.op"
        );
    }
}
