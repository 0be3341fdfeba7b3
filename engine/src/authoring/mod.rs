//! Package content for the write path (porch-api.md §6.2–§6.5): the files a
//! creation task produces, the Kptfile fields mirrored from the
//! PackageRevision spec, and the render that follows every change of a
//! draft. Synchronous and free of I/O except through the evaluator; the
//! apiserver runs it on blocking threads.

mod kptfile_meta;
mod render;
mod tasks;

pub use kptfile_meta::{KptfileMeta, apply_meta, read_meta};
pub use render::{RenderReport, Renderer};
pub use tasks::{TaskError, clone_files, init_files, upgrade_files};

/// Package name as kpt writes it into the Kptfile: the last path segment.
pub fn kpt_name(package_path: &str) -> &str {
    package_path.rsplit('/').next().unwrap_or(package_path)
}

/// The package's files with every Kptfile pipeline reduced to its
/// validators: what approval runs again on the content to publish.
pub fn validators_only(files: &cad_lib::PackageFiles) -> cad_lib::PackageFiles {
    let mut out = files.clone();
    for (path, text) in files {
        if path.rsplit('/').next() != Some(cad_lib::kptfile::KPTFILE) {
            continue;
        }
        if let Ok(mut kf) = cad_lib::KubeObject::parse(text)
            && kf.remove(&["pipeline", "mutators"])
        {
            out.insert(path.clone(), kf.text());
        }
    }
    out
}

/// New files with YAML comments carried over from the old objects of the
/// same identity (Porch heals comments that clients drop).
pub fn heal_comments(
    old: &cad_lib::PackageFiles,
    new: &cad_lib::PackageFiles,
) -> cad_lib::PackageFiles {
    cad_lib::heal::heal_comments(old, new)
}
