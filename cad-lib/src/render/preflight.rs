//! Checks kpt makes on the whole package tree before any function runs.
//!
//! kpt opens the `configPath` file of every pipeline step in the tree
//! before it runs the first function, so a missing file fails the render
//! with nothing executed (not after the subpackages already rendered).

use super::{Ctx, RenderError};
use crate::kptfile::{Function, Invalid, KptfileError};
use crate::package::{clean_path, join};

impl Ctx<'_> {
    /// Fails on the first `configPath` (packages in tree order, mutators
    /// then validators) naming a file that is not in `files`, with kpt's
    /// reason: the OS error of opening `<package dir>/<configPath>`.
    pub(super) fn check_config_paths(
        &self,
        files: &crate::PackageFiles,
    ) -> Result<(), RenderError> {
        for (pkg, kf) in self.kptfiles.iter().enumerate() {
            let pipeline = kf.pipeline();
            let steps = [
                ("mutators", &pipeline.mutators),
                ("validators", &pipeline.validators),
            ];
            for (field, fns) in steps {
                for (i, f) in fns.iter().enumerate() {
                    self.check_config_path(files, pkg, field, i, f)?;
                }
            }
        }
        Ok(())
    }

    fn check_config_path(
        &self,
        files: &crate::PackageFiles,
        pkg: usize,
        field: &str,
        i: usize,
        f: &Function,
    ) -> Result<(), RenderError> {
        if f.config_path.is_empty() {
            return Ok(());
        }
        let path = join(&self.tree.nodes[pkg].dir, &clean_path(&f.config_path));
        if files.contains_key(&path) {
            return Ok(());
        }
        // kpt names the file below the package directory it was given.
        let shown = match &self.opts.root_dir {
            Some(root) => join(root.trim_end_matches('/'), &path),
            None => path,
        };
        Err(RenderError::Kptfile(KptfileError::Invalid(Invalid::new(
            format!("pipeline.{field}[{i}].configPath"),
            Some(&f.config_path),
            format!(
                "failed to open functionConfig from path {:?}: open {shown}: no such file or directory",
                f.config_path
            ),
        ))))
    }
}
