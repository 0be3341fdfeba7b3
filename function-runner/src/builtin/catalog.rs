//! The table of builtins: function name, the releases it stands for, and
//! its implementation.

#[cfg(feature = "starlark")]
use super::RunWithStderrFn;
#[cfg(feature = "starlark")]
use super::starlark;
use super::{RunFn, Runner};
use super::{
    apply_replacements, apply_setters, create_setters, ensure_name_substring, kubeconform,
    list_setters, remove_local_config_resources, search_replace, set_annotations,
    set_enforcement_action, set_image, set_labels, set_namespace, sleep, upsert_resource,
};
use crate::image::VersionTable;

/// One builtin function.
#[derive(Debug)]
pub struct Builtin {
    /// Catalog name (`set-namespace`).
    pub name: &'static str,
    /// Releases it reproduces.
    pub versions: VersionTable,
    /// Implementation.
    pub run: Runner,
}

const fn b(
    name: &'static str,
    known: &'static [&'static str],
    range: &'static str,
    run: RunFn,
) -> Builtin {
    Builtin {
        name,
        versions: VersionTable { known, range },
        run: Runner::Plain(run),
    }
}

#[cfg(feature = "starlark")]
const fn bs(
    name: &'static str,
    known: &'static [&'static str],
    range: &'static str,
    run: RunWithStderrFn,
) -> Builtin {
    Builtin {
        name,
        versions: VersionTable { known, range },
        run: Runner::WithStderr(run),
    }
}

/// Every builtin, in the spec's priority order.
pub static BUILTINS: &[Builtin] = &[
    b(
        "set-namespace",
        &["v0.2.0", "v0.3.4", "v0.4.0", "v0.4.1", "v0.4.5", "v0.4.6"],
        ">=0.1.0, <0.5.0",
        set_namespace::run,
    ),
    b(
        "set-labels",
        &["v0.1.5", "v0.2.0", "v0.2.4", "v0.2.5"],
        ">=0.1.0, <0.3.0",
        set_labels::run,
    ),
    b(
        "set-annotations",
        &["v0.1.4", "v0.1.5", "v0.1.7", "v0.1.8"],
        ">=0.1.0, <0.2.0",
        set_annotations::run,
    ),
    #[cfg(feature = "starlark")]
    bs(
        "starlark",
        &["v0.3.0", "v0.4.3", "v0.5.0", "v0.5.5", "v0.5.6"],
        ">=0.1.0, <0.6.0",
        starlark::run,
    ),
    b(
        "apply-setters",
        &["v0.1.1", "v0.2.0", "v0.2.2", "v0.2.5", "v0.3.0"],
        ">=0.1.0, <0.4.0",
        apply_setters::run,
    ),
    b(
        "apply-replacements",
        &["v0.1.1", "v0.1.5", "v0.1.6"],
        ">=0.1.0, <0.2.0",
        apply_replacements::run,
    ),
    b(
        "ensure-name-substring",
        &["v0.1.1", "v0.2.0", "v0.2.3", "v0.2.4"],
        ">=0.1.0, <0.3.0",
        ensure_name_substring::run,
    ),
    b(
        "search-replace",
        &["v0.2.0", "v0.2.3", "v0.2.4"],
        ">=0.1.0, <0.3.0",
        search_replace::run,
    ),
    b(
        "set-image",
        &["v0.1.1", "v0.2.2", "v0.2.3"],
        ">=0.1.0, <0.3.0",
        set_image::run,
    ),
    b(
        "create-setters",
        &["v0.1.0", "v0.1.3", "v0.1.4"],
        ">=0.1.0, <0.2.0",
        create_setters::run,
    ),
    b(
        "list-setters",
        &["v0.1.0"],
        ">=0.1.0, <0.2.0",
        list_setters::run,
    ),
    b(
        "set-enforcement-action",
        &["v0.1.0"],
        ">=0.1.0, <0.2.0",
        set_enforcement_action::run,
    ),
    b(
        "upsert-resource",
        &["v0.2.0"],
        ">=0.1.0, <0.3.0",
        upsert_resource::run,
    ),
    b(
        "remove-local-config-resources",
        &["v0.1.0"],
        ">=0.1.0, <0.2.0",
        remove_local_config_resources::run,
    ),
    b(
        "kubeconform",
        &["v0.1.0", "v0.1.1"],
        ">=0.1.0, <0.2.0",
        kubeconform::run,
    ),
    b(
        "kubeval",
        &["v0.1.0", "v0.1.1", "v0.2.0", "v0.3.0"],
        ">=0.1.0, <0.4.0",
        kubeconform::run,
    ),
    b("sleep", &["v0.1.0"], "*", sleep::run),
];

/// The builtin with this catalog name.
pub fn by_name(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}
