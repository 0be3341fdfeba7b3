//! Porch's CLI golden cases, read in place from
//! `../shared/testdata/porch/cli/<case>/config.yaml`, each against its own
//! live porch-server and git servers (see `common`).

mod common;

use common::run_case;

#[test]
fn repo_register() {
    run_case("repo-register");
}

#[test]
fn rpkg_init() {
    run_case("rpkg-init");
}

#[test]
fn rpkg_lifecycle() {
    run_case("rpkg-lifecycle");
}

#[test]
fn rpkg_nested_package() {
    run_case("rpkg-nested-package");
}

#[test]
fn rpkg_push() {
    run_case("rpkg-push");
}

#[test]
fn rpkg_unready() {
    run_case("rpkg-unready");
}

#[test]
fn rpkg_upgrade() {
    run_case("rpkg-upgrade");
}
