//! Porch's lifecycle rules for PackageRevisions (porch-api.md §3.1), as pure
//! checks with Porch's messages, so the REST layer answers every transition
//! exactly as Porch does (with 4xx codes where porch-rs is stricter).

use std::fmt;
use std::str::FromStr;

/// The lifecycle of a PackageRevision (also what git discovery reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lifecycle {
    Draft,
    Proposed,
    Published,
    DeletionProposed,
}

impl Lifecycle {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Draft => "Draft",
            Lifecycle::Proposed => "Proposed",
            Lifecycle::Published => "Published",
            Lifecycle::DeletionProposed => "DeletionProposed",
        }
    }

    /// Published or DeletionProposed: content is frozen.
    pub fn is_published(self) -> bool {
        matches!(self, Lifecycle::Published | Lifecycle::DeletionProposed)
    }

    /// Parse, with an empty value canonicalised to Draft.
    pub fn parse_or_draft(value: &str) -> Result<Lifecycle, LifecycleError> {
        if value.is_empty() {
            Ok(Lifecycle::Draft)
        } else {
            value.parse()
        }
    }
}

impl fmt::Display for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused lifecycle change: the field it concerns and Porch's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleError {
    pub field: &'static str,
    pub message: String,
}

impl LifecycleError {
    fn lifecycle(message: impl Into<String>) -> Self {
        LifecycleError {
            field: "spec.lifecycle",
            message: message.into(),
        }
    }
}

impl fmt::Display for LifecycleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for LifecycleError {}

impl FromStr for Lifecycle {
    type Err = LifecycleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "Draft" => Ok(Lifecycle::Draft),
            "Proposed" => Ok(Lifecycle::Proposed),
            "Published" => Ok(Lifecycle::Published),
            "DeletionProposed" => Ok(Lifecycle::DeletionProposed),
            other => Err(LifecycleError::lifecycle(format!(
                "unsupported lifecycle value: {other}"
            ))),
        }
    }
}

/// A new revision must start as Draft.
pub fn check_create(value: &str) -> Result<(), LifecycleError> {
    match Lifecycle::parse_or_draft(value)? {
        Lifecycle::Draft => Ok(()),
        _ => Err(LifecycleError::lifecycle(
            "value can be only created as Draft",
        )),
    }
}

/// An update of the main resource: Draft↔Proposed while unpublished;
/// Published↔DeletionProposed (and nothing else in the spec) once published.
pub fn check_update(
    old: Lifecycle,
    new_value: &str,
    spec_changed_otherwise: bool,
) -> Result<Lifecycle, LifecycleError> {
    let new = Lifecycle::parse_or_draft(new_value)?;
    if old.is_published() {
        if spec_changed_otherwise || !new.is_published() {
            return Err(LifecycleError {
                field: "spec",
                message: "spec can only update package with lifecycle value one of Draft,Proposed"
                    .into(),
            });
        }
        return Ok(new);
    }
    match new {
        Lifecycle::Draft | Lifecycle::Proposed => Ok(new),
        _ => Err(LifecycleError::lifecycle(
            "value can be only updated to Draft,Proposed",
        )),
    }
}

/// An update through the `approval` subresource.
pub fn check_approval(old: Lifecycle, new_value: &str) -> Result<Lifecycle, LifecycleError> {
    let new = Lifecycle::parse_or_draft(new_value)?;
    match (old, new) {
        (Lifecycle::Proposed, Lifecycle::Published | Lifecycle::Draft) => Ok(new),
        (Lifecycle::Published, Lifecycle::DeletionProposed | Lifecycle::Published) => Ok(new),
        (Lifecycle::Published, _) => Err(LifecycleError::lifecycle(
            "package with Published lifecycle value can only be updated to 'ProposeDeletion'",
        )),
        (Lifecycle::DeletionProposed, Lifecycle::Published | Lifecycle::DeletionProposed) => {
            Ok(new)
        }
        (Lifecycle::DeletionProposed, _) => Err(LifecycleError::lifecycle(
            "package with DeletionProposed lifecycle value can only be updated to 'Published'",
        )),
        (_, Lifecycle::DeletionProposed) => Err(LifecycleError::lifecycle(
            "cannot update lifecycle DeletionProposed; only Published packages require approval for deletion",
        )),
        (Lifecycle::Draft, Lifecycle::Published) => Err(LifecycleError::lifecycle(
            "cannot approve package with Draft lifecycle value; only Proposed packages can be approved",
        )),
        (Lifecycle::Draft, _) => Err(LifecycleError::lifecycle(
            "value for approval can be only one of Draft,Published",
        )),
        (Lifecycle::Proposed, Lifecycle::Proposed) => Err(LifecycleError::lifecycle(
            "value for approval can be only one of Draft,Published",
        )),
    }
}

/// Whether a revision in this lifecycle may be deleted (403 with Porch's message otherwise).
pub fn check_delete(lifecycle: Lifecycle) -> Result<(), String> {
    if lifecycle == Lifecycle::Published {
        return Err("published PackageRevisions must be proposed for deletion by setting spec.lifecycle to 'DeletionProposed' prior to deletion".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Lifecycle::*;

    #[test]
    fn create_only_as_draft() {
        assert!(check_create("").is_ok());
        assert!(check_create("Draft").is_ok());
        assert_eq!(
            check_create("Published").unwrap_err().message,
            "value can be only created as Draft"
        );
        assert_eq!(
            check_create("Final").unwrap_err().message,
            "unsupported lifecycle value: Final"
        );
    }

    #[test]
    fn main_resource_updates() {
        assert_eq!(check_update(Draft, "Proposed", true), Ok(Proposed));
        assert_eq!(check_update(Proposed, "", false), Ok(Draft));
        assert_eq!(
            check_update(Draft, "Published", false).unwrap_err().message,
            "value can be only updated to Draft,Proposed"
        );
        assert_eq!(
            check_update(Published, "DeletionProposed", false),
            Ok(DeletionProposed)
        );
        assert_eq!(
            check_update(DeletionProposed, "Published", false),
            Ok(Published)
        );
        let e = check_update(Published, "Published", true).unwrap_err();
        assert_eq!(
            (e.field, e.message.as_str()),
            (
                "spec",
                "spec can only update package with lifecycle value one of Draft,Proposed"
            )
        );
        assert!(check_update(Published, "Draft", false).is_err());
    }

    #[test]
    fn approval_transitions_and_messages() {
        assert_eq!(check_approval(Proposed, "Published"), Ok(Published));
        assert_eq!(check_approval(Proposed, "Draft"), Ok(Draft));
        assert_eq!(
            check_approval(Published, "DeletionProposed"),
            Ok(DeletionProposed)
        );
        assert_eq!(check_approval(DeletionProposed, "Published"), Ok(Published));
        assert_eq!(
            check_approval(Draft, "Published").unwrap_err().message,
            "cannot approve package with Draft lifecycle value; only Proposed packages can be approved"
        );
        assert_eq!(
            check_approval(Published, "Draft").unwrap_err().message,
            "package with Published lifecycle value can only be updated to 'ProposeDeletion'"
        );
        assert_eq!(
            check_approval(DeletionProposed, "Draft")
                .unwrap_err()
                .message,
            "package with DeletionProposed lifecycle value can only be updated to 'Published'"
        );
        assert_eq!(
            check_approval(Proposed, "DeletionProposed")
                .unwrap_err()
                .message,
            "cannot update lifecycle DeletionProposed; only Published packages require approval for deletion"
        );
        assert_eq!(
            check_approval(Draft, "Draft").unwrap_err().message,
            "value for approval can be only one of Draft,Published"
        );
    }

    #[test]
    fn published_revisions_need_deletion_proposal() {
        assert!(
            check_delete(Published)
                .unwrap_err()
                .contains("proposed for deletion")
        );
        assert!(check_delete(DeletionProposed).is_ok());
        assert!(check_delete(Draft).is_ok());
    }
}
