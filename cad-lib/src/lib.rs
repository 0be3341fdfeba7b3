//! kpt package primitives for porch-rs, pure and synchronous.
//!
//! Packages are maps of file paths to text ([`PackageFiles`]). Resources are
//! lossless YAML objects ([`KubeObject`]): whatever an edit does not touch
//! keeps its bytes. On top of them: the Kptfile model, the render pipeline
//! over a synchronous [`FunctionEvaluator`], package creation (init, clone,
//! edit) and upgrade with kpt's merge strategies.

#![warn(missing_docs)]

pub mod annotations;
pub mod create;
pub mod evaluator;
mod fastparse;
pub mod heal;
pub mod identity;
pub mod kptfile;
pub mod krmignore;
pub mod merge_comment;
pub mod object;
pub mod package;
pub mod patch;
pub mod render;
pub mod resource_file;
pub mod resource_list;
pub mod results;
mod tree;
pub mod upgrade;
pub mod value;

pub use evaluator::{EvalError, EvalErrorKind, EvalOutput, FunctionEvaluator, FunctionSpec};
pub use identity::ResourceId;
pub use kptfile::{Kptfile, KptfileError};
pub use object::{KubeObject, ObjectError};
pub use render::{RenderError, RenderOptions, RenderOutcome, render};
pub use resource_file::{FileError, ResourceFile, SeqIndent};
pub use resource_list::{ResourceList, ResourceListError};
pub use results::{FunctionResult, FunctionResultList, ResultItem, Severity};
pub use upgrade::{Strategy, UpgradeError, UpgradeOptions, upgrade};

/// A package as Porch stores it: package-relative path (with `/`) to file text.
pub type PackageFiles = std::collections::BTreeMap<String, String>;

/// Re-export of the lossless YAML crate for comment-aware edits.
pub use yaml_edit;
