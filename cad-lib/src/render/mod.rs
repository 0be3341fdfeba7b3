//! `kpt fn render`: run the Kptfile pipelines of a package tree.
//!
//! Depth-first post-order by default (a package's pipeline sees its own
//! resources and its subpackages' rendered output); breadth-first, parent
//! first, when the root Kptfile says `kpt.dev/bfs-rendering: "true"`. Each
//! pipeline runs its mutators then its validators through a
//! [`FunctionEvaluator`]; the first failure stops everything. Results of all
//! executed functions are collected in a [`FunctionResultList`]. Resources
//! no function changed keep their file text byte for byte.

mod annotate;
mod fold;
mod preflight;
mod select;
mod step;
mod write;

use std::collections::HashMap;

pub use select::{matches, select};

use crate::PackageFiles;
use crate::annotations;
use crate::evaluator::{DEFAULT_IMAGE_PREFIX, FunctionEvaluator};
use crate::kptfile::{Kptfile, KptfileError};
use crate::object::KubeObject;
use crate::package::PackageTree;
use crate::resource_file::{FileError, ResourceFile, SeqIndent};
use crate::results::FunctionResultList;

/// How to render.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Prefix for image names without a registry path.
    pub image_prefix: String,
    /// Whether `exec` functions may run (never in server-side renders).
    pub allow_exec: bool,
    /// The package directory as the user named it, for messages that quote
    /// filesystem paths the way kpt does (`open <dir>/<file>: ...`); `None`
    /// quotes root-relative paths (server-side renders have no directory).
    pub root_dir: Option<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            image_prefix: DEFAULT_IMAGE_PREFIX.to_string(),
            allow_exec: false,
            root_dir: None,
        }
    }
}

/// Why a render failed; the message names the package (and function).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    /// The files have no root `Kptfile` (Porch skips render then).
    #[error("no Kptfile at the package root")]
    NoKptfile,
    /// A resource file is not valid YAML.
    #[error(transparent)]
    File(#[from] FileError),
    /// A Kptfile is invalid.
    #[error(transparent)]
    Kptfile(#[from] KptfileError),
    /// A pipeline step failed.
    #[error("pkg {package}: {message}")]
    Pipeline {
        /// Package directory (`.` for the root).
        package: String,
        /// What failed (function errors name the function).
        message: String,
    },
}

/// Everything a render produced.
#[derive(Debug, Clone, Default)]
pub struct RenderOutcome {
    /// The files to keep: the rendered package on success; on failure the
    /// partial result when the root Kptfile has
    /// `kpt.dev/save-on-render-failure: "true"`, otherwise `None`.
    pub files: Option<PackageFiles>,
    /// Results of every executed function.
    pub results: FunctionResultList,
    /// The failure, if any.
    pub error: Option<RenderError>,
}

/// A resource in flight: its object and where it lives.
#[derive(Debug, Clone)]
pub(crate) struct Res {
    pub obj: KubeObject,
    /// Index of the package in the tree.
    pub pkg: usize,
    /// Path relative to the package.
    pub path: String,
    /// Position in its file, when known.
    pub index: Option<usize>,
    pub seq_indent: SeqIndent,
    /// Root-relative file and index it was read from.
    pub origin: Option<(String, usize)>,
}

/// A failed pipeline with the resources as they were at the failure.
pub(crate) struct Failure {
    pub resources: Vec<Res>,
    pub error: RenderError,
}

pub(crate) struct Ctx<'a> {
    pub tree: PackageTree,
    pub kptfiles: Vec<Kptfile>,
    pub evaluator: &'a dyn FunctionEvaluator,
    pub opts: &'a RenderOptions,
    pub results: FunctionResultList,
    /// Resources of each package as read from the files.
    pub loaded: Vec<Vec<Res>>,
    /// Every resource file as parsed, by root-relative path.
    pub parsed: HashMap<String, ResourceFile>,
}

/// Renders a package: runs every pipeline and returns the new files.
pub fn render(
    files: &PackageFiles,
    evaluator: &dyn FunctionEvaluator,
    opts: &RenderOptions,
) -> RenderOutcome {
    // Every item is parsed again after every function, mostly unchanged.
    let _cache = crate::fastparse::CacheScope::new();
    let mut ctx = match Ctx::load(files, evaluator, opts) {
        Ok(ctx) => ctx,
        Err(error) => {
            return RenderOutcome {
                error: Some(error),
                ..Default::default()
            };
        }
    };
    if let Err(error) = ctx.check_config_paths(files) {
        return RenderOutcome {
            error: Some(error),
            ..Default::default()
        };
    }
    let root = &ctx.kptfiles[0];
    let bfs = root.annotation_is_true(annotations::BFS_RENDERING);
    let save = root.annotation_is_true(annotations::SAVE_ON_RENDER_FAILURE);
    let result = if bfs { ctx.run_bfs() } else { ctx.run_dfs(0) };
    let (files, error) = match result {
        Ok(resources) => (
            Some(write::write(files, &ctx.tree, &ctx.parsed, resources, None)),
            None,
        ),
        Err(f) => {
            let files = save
                .then(|| write::write(files, &ctx.tree, &ctx.parsed, f.resources, Some(&f.error)));
            (files, Some(f.error))
        }
    };
    RenderOutcome {
        files,
        results: ctx.results,
        error,
    }
}

impl<'a> Ctx<'a> {
    fn load(
        files: &PackageFiles,
        evaluator: &'a dyn FunctionEvaluator,
        opts: &'a RenderOptions,
    ) -> Result<Self, RenderError> {
        let tree = PackageTree::discover(files).ok_or(RenderError::NoKptfile)?;
        let mut kptfiles = Vec::new();
        let mut loaded = Vec::new();
        let mut parsed = HashMap::new();
        for (pkg, node) in tree.nodes.iter().enumerate() {
            let kpath = node.kptfile_path();
            let text = files.get(&kpath).map(String::as_str).unwrap_or_default();
            kptfiles.push(Kptfile::parse(&kpath, text)?);
            let mut resources = Vec::new();
            for path in &node.resource_files {
                let text = files.get(path).map(String::as_str).unwrap_or_default();
                let file = ResourceFile::parse(path, text)?;
                let rel = node.relative(path).unwrap_or(path).to_string();
                for (index, obj) in file.objects() {
                    resources.push(Res {
                        obj: obj.deep_copy(),
                        pkg,
                        path: rel.clone(),
                        index: Some(index),
                        seq_indent: file.seq_indent,
                        origin: Some((path.clone(), index)),
                    });
                }
                parsed.insert(path.clone(), file);
            }
            loaded.push(resources);
        }
        Ok(Self {
            tree,
            kptfiles,
            evaluator,
            opts,
            results: FunctionResultList::default(),
            loaded,
            parsed,
        })
    }

    /// Depth-first: subpackages first (name order), then the package's own
    /// pipeline over its resources and the subpackages' output.
    fn run_dfs(&mut self, pkg: usize) -> Result<Vec<Res>, Failure> {
        let mut input = self.loaded[pkg].clone();
        for child in self.tree.nodes[pkg].children.clone() {
            match self.run_dfs(child) {
                Ok(out) => input.extend(out),
                Err(mut f) => {
                    f.resources
                        .extend(input.into_iter().filter(|r| r.pkg != pkg));
                    return Err(f);
                }
            }
        }
        self.run_pipeline(pkg, input)
    }

    /// Breadth-first: parents first; each pipeline sees its package and all
    /// descendants' current resources.
    fn run_bfs(&mut self) -> Result<Vec<Res>, Failure> {
        let mut order = vec![0usize];
        let mut i = 0;
        while i < order.len() {
            order.extend(self.tree.nodes[order[i]].children.iter().copied());
            i += 1;
        }
        let mut all: Vec<Res> = order.iter().flat_map(|p| self.loaded[*p].clone()).collect();
        for pkg in order {
            let (mine, rest): (Vec<Res>, Vec<Res>) = all
                .into_iter()
                .partition(|r| self.tree.is_within(r.pkg, pkg));
            match self.run_pipeline(pkg, mine) {
                Ok(out) => {
                    all = out;
                    all.extend(rest);
                }
                Err(mut f) => {
                    // Packages not rendered yet keep what their ancestors'
                    // pipelines made of them (kpt saves that too).
                    f.resources.extend(rest);
                    return Err(f);
                }
            }
        }
        Ok(all)
    }

    /// The package's directory as shown in messages (`.` for the root).
    pub fn display_dir(&self, pkg: usize) -> String {
        let dir = &self.tree.nodes[pkg].dir;
        if dir.is_empty() {
            ".".to_string()
        } else {
            dir.clone()
        }
    }
}
