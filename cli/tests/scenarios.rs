//! Further porchctl cases modelled on Porch's CLI suite where the shared test
//! data has no config (rpkg-get, rpkg-clone, rpkg-copy, rpkg-init-deploy,
//! rpkg-push-on-render-failure; see `shared/spec/testing.md` §4), plus
//! `repo sync`/`unreg`, output formats and usage errors. Same runner and
//! comparison rules as the golden cases.

mod common;

use common::run_config;

const BP: &str = "http://gitea.gitea.svc.cluster.local:3000/nephio/test-blueprints.git";
const PT: &str = "http://gitea.gitea.svc.cluster.local:3000/nephio/porch-test";

fn config(case: &str, body: &str) -> String {
    body.replace("{BP}", BP)
        .replace("{PT}", PT)
        .replace("{NS}", case)
}

#[test]
fn rpkg_get() {
    let case = "rpkg-get";
    run_config(
        case,
        &config(
            case,
            r#"
commands:
- args: [porchctl, repo, register, "{BP}", --namespace={NS}, --name=test-blueprints, --repo-basic-username=nephio, --repo-basic-password=secret]
- args: [porchctl, rpkg, get, --namespace={NS}, "--output=custom-columns=NAME:.metadata.name,PKG:.spec.packageName,REPO:.spec.repository,REV:.spec.revision"]
  ignoreWhitespace: true
  stdout: |
    NAME PKG REPO REV
    test-blueprints.basens.main basens test-blueprints -1
    test-blueprints.basens.v1 basens test-blueprints 1
    test-blueprints.basens.v2 basens test-blueprints 2
    test-blueprints.basens.v3 basens test-blueprints 3
    test-blueprints.basens.v4 basens test-blueprints 4
    test-blueprints.bucket.main bucket test-blueprints -1
    test-blueprints.bucket.v1 bucket test-blueprints 1
    test-blueprints.empty.main empty test-blueprints -1
    test-blueprints.empty.v1 empty test-blueprints 1
    test-blueprints.redis-bucket.main redis-bucket test-blueprints -1
    test-blueprints.redis-bucket.v1 redis-bucket test-blueprints 1
    test-blueprints.unready.main unready test-blueprints -1
    test-blueprints.unready.v1 unready test-blueprints 1
    test-blueprints.update.main update test-blueprints -1
    test-blueprints.update.v1 update test-blueprints 1
    test-blueprints.update.v2 update test-blueprints 2
- args: [porchctl, rpkg, get, test-blueprints.basens.v1, --namespace={NS}]
  stdout: |
    NAME                        PACKAGE   WORKSPACENAME   REVISION   LATEST   LIFECYCLE   REPOSITORY
    test-blueprints.basens.v1   basens    v1              1          false    Published   test-blueprints
- args: [porchctl, rpkg, get, --name=basens, --namespace={NS}]
  stdout: |
    NAME                          PACKAGE   WORKSPACENAME   REVISION   LATEST   LIFECYCLE   REPOSITORY
    test-blueprints.basens.main   basens    main            -1         false    Published   test-blueprints
    test-blueprints.basens.v1     basens    v1              1          false    Published   test-blueprints
    test-blueprints.basens.v2     basens    v2              2          false    Published   test-blueprints
    test-blueprints.basens.v3     basens    v3              3          false    Published   test-blueprints
    test-blueprints.basens.v4     basens    v4              4          true     Published   test-blueprints
- args: [porchctl, rpkg, get, --name=basens, --revision=2, --namespace={NS}, -o, name]
  stdout: |
    packagerevision.porch.kpt.dev/test-blueprints.basens.v2
- args: [porchctl, rpkg, get, --namespace={NS}, -l, kpt.dev/latest-revision=true, --name=basens, -o, name]
  stdout: |
    packagerevision.porch.kpt.dev/test-blueprints.basens.v4
- args: [porchctl, rpkg, get, test-blueprints.empty.v1, --show-labels, --no-headers, --namespace={NS}]
  ignoreWhitespace: true
  stdout: |
    test-blueprints.empty.v1 empty v1 1 true Published test-blueprints kpt.dev/latest-revision=true
- args: [porchctl, rpkg, get, --workspace=v2, --namespace={NS}, "-o=custom-columns=NAME:.metadata.name"]
  stdout: |
    NAME
    test-blueprints.basens.v2
    test-blueprints.update.v2
- args: [porchctl, rpkg, get, --name=empty, --revision=1, --namespace={NS}, "-o=jsonpath={.metadata.name}"]
  stdout: test-blueprints.empty.v1
- args: [porchctl, rpkg, get, test-blueprints.basens.v1, --show-kptfile, --namespace={NS}]
  stdout: |
    apiVersion: kpt.dev/v1
    kind: Kptfile
    metadata:
      name: basens
    info:
      description: sample description
- args: [porchctl, rpkg, get, --show-kptfile, --namespace={NS}]
  stderr: "Error: --show-kptfile requires exactly one package revision name as an argument \n"
  exitCode: 1
- args: [porchctl, rpkg, get, test-blueprints.basens.v1, --show-kptfile, --name=basens, --namespace={NS}]
  stderr: "cannot be combined with --name, --revision, or --workspace"
  containsErrorString: true
  exitCode: 1
- args: [porchctl, rpkg, get, test-blueprints.basens.v1, --show-kptfile, -A, --namespace={NS}]
  stderr: "cannot be combined with --all-namespaces"
  containsErrorString: true
  exitCode: 1
- args: [porchctl, rpkg, get, test-blueprints.nope.v1, --namespace={NS}]
  stderr: "Error: the server could not find the requested resource (get packagerevisions.porch.kpt.dev test-blueprints.nope.v1) \n"
  exitCode: 1
- args: [porchctl, rpkg, get, test-blueprints.bucket.v1, -A, --namespace={NS}]
  ignoreWhitespace: true
  stdout: |
    NAMESPACE NAME PACKAGE WORKSPACENAME REVISION LATEST LIFECYCLE REPOSITORY
    {NS} test-blueprints.bucket.v1 bucket v1 1 true Published test-blueprints
"#,
        ),
    );
}

#[test]
fn rpkg_clone() {
    let case = "rpkg-clone";
    run_config(
        case,
        &config(
            case,
            r#"
commands:
- args: [porchctl, repo, register, "{PT}", --namespace={NS}, --name=git, --repo-basic-username=nephio, --repo-basic-password=secret]
- args: [porchctl, rpkg, clone, "{BP}/basens@basens/v1", --namespace={NS}, --repository=git, --workspace=clone-2, basens-clone]
  stdout: "git.basens-clone.clone-2 created\n"
- args: [porchctl, rpkg, clone, "{BP}/basens@basens/v1", --namespace={NS}, --repository=git, --workspace=clone-3, basens-clone]
  stderr: "`clone` cannot create a new revision for package \"basens-clone\" that already exists in repo \"git\"; make subsequent revisions using `copy`"
  containsErrorString: true
  exitCode: 1
- args: [porchctl, rpkg, clone, "{BP}/basens@basens/v1", --directory=bucket, --namespace={NS}, --repository=git, basens-x]
  stderr: "directory bucket specified by --directory contradicts directory basens specified by SOURCE_PACKAGE"
  containsErrorString: true
  exitCode: 1
- args: [porchctl, repo, register, "{BP}", --namespace={NS}, --name=test-blueprints, --repo-basic-username=nephio, --repo-basic-password=secret]
- args: [porchctl, rpkg, clone, test-blueprints.empty.v1, --namespace={NS}, --repository=git, --workspace=clone-1, empty-clone]
  stdout: "git.empty-clone.clone-1 created\n"
- args: [porchctl, rpkg, pull, git.basens-clone.clone-2, /tmp/porch-e2e/basens-clone, --namespace={NS}]
- args: [sh, -c, "grep -q 67f29546028f0a48c6bbb08614934d0e070cdd3a /tmp/porch-e2e/basens-clone/Kptfile && grep -q 'upstream-identifier' /tmp/porch-e2e/basens-clone/namespace.yaml"]
- args: [porchctl, rpkg, pull, git.basens-clone.clone-2, /tmp/porch-e2e/basens-clone, --namespace={NS}]
  stderr: "already exists"
  containsErrorString: true
  exitCode: 1
- args: [kubectl, get, packagerevisions, git.empty-clone.clone-1, --namespace={NS}, "-o=jsonpath={.spec.tasks[0].clone.upstreamRef.upstreamRef.name}"]
  stdout: test-blueprints.empty.v1
"#,
        ),
    );
}

#[test]
fn rpkg_copy_and_delete() {
    let case = "rpkg-copy";
    run_config(
        case,
        &config(
            case,
            r#"
commands:
- args: [porchctl, repo, register, "{PT}", --namespace={NS}, --name=git, --repo-basic-username=nephio, --repo-basic-password=secret]
- args: [porchctl, rpkg, clone, "{BP}", --directory=basens, --ref=basens/v1, --namespace={NS}, --repository=git, --workspace=copy-1, basens-edit]
  stdout: "git.basens-edit.copy-1 created\n"
- args: [porchctl, rpkg, propose, git.basens-edit.copy-1, --namespace={NS}]
  stdout: "git.basens-edit.copy-1 proposed\n"
- args: [porchctl, rpkg, propose, git.basens-edit.copy-1, --namespace={NS}]
  stderr: "git.basens-edit.copy-1 is already proposed\n"
- args: [porchctl, rpkg, approve, git.basens-edit.copy-1, --namespace={NS}]
  stdout: "git.basens-edit.copy-1 approved\n"
- args: [porchctl, rpkg, copy, --workspace=copy-2, git.basens-edit.copy-1, --namespace={NS}]
  stdout: "git.basens-edit.copy-2 created\n"
- args: [porchctl, rpkg, edit, --workspace=copy-3, git.basens-edit.copy-1, --namespace={NS}]
  stdout: "git.basens-edit.copy-3 created\n"
- args: [porchctl, rpkg, pull, git.basens-edit.copy-1, /tmp/porch-e2e/copy-1, --namespace={NS}]
- args: [porchctl, rpkg, pull, git.basens-edit.copy-2, /tmp/porch-e2e/copy-2, --namespace={NS}]
- args: [sh, -c, "diff /tmp/porch-e2e/copy-1/Kptfile /tmp/porch-e2e/copy-2/Kptfile && diff /tmp/porch-e2e/copy-1/namespace.yaml /tmp/porch-e2e/copy-2/namespace.yaml"]
- args: [porchctl, rpkg, propose, git.basens-edit.copy-2, --namespace={NS}]
  stdout: "git.basens-edit.copy-2 proposed\n"
- args: [porchctl, rpkg, del, git.basens-edit.copy-2, git.basens-edit.copy-3, --namespace={NS}]
  stdout: "git.basens-edit.copy-2 deleted\ngit.basens-edit.copy-3 deleted\n"
- args: [porchctl, rpkg, get, --name=basens-edit, --namespace={NS}, "-o=custom-columns=NAME:.metadata.name,LC:.spec.lifecycle"]
  stdout: |
    NAME                     LC
    git.basens-edit.copy-1   Published
    git.basens-edit.main     Published
- args: [porchctl, rpkg, approve, git.basens-edit.copy-1, git.nope.x, --namespace={NS}]
  stdout: "git.basens-edit.copy-1 approved\n"
  stderr: "git.nope.x failed"
  containsErrorString: true
  exitCode: 1
"#,
        ),
    );
}

#[test]
fn rpkg_init_deploy() {
    let case = "rpkg-init-deploy";
    run_config(
        case,
        &config(
            case,
            r#"
commands:
- args: [porchctl, repo, register, "{PT}", --namespace={NS}, --name=git, --deployment, --repo-basic-username=nephio, --repo-basic-password=secret]
- args: [porchctl, repo, get, --namespace={NS}, "--output=custom-columns=NAME:.metadata.name,DEPLOYMENT:.spec.deployment"]
  stdout: |
    NAME   DEPLOYMENT
    git    true
- args: [porchctl, rpkg, init, --namespace={NS}, --repository=git, --workspace=v1, deploy-pkg]
  stdout: "git.deploy-pkg.v1 created\n"
- args: [porchctl, rpkg, pull, --namespace={NS}, git.deploy-pkg.v1]
  yaml: true
  stdout: |
    apiVersion: config.kubernetes.io/v1
    kind: ResourceList
    items:
    - apiVersion: ""
      kind: KptRevisionMetadata
      metadata:
        annotations:
          config.kubernetes.io/index: "0"
          config.kubernetes.io/path: .KptRevisionMetadata
          internal.config.kubernetes.io/index: "0"
          internal.config.kubernetes.io/path: .KptRevisionMetadata
        name: git.deploy-pkg.v1
        namespace: {NS}
        uid: ce444d01-14d4-59bb-a372-dbe551589122
    - apiVersion: kpt.dev/v1
      info:
        description: sample description
      kind: Kptfile
      metadata:
        annotations:
          config.kubernetes.io/index: "0"
          config.kubernetes.io/local-config: "true"
          config.kubernetes.io/path: Kptfile
          internal.config.kubernetes.io/index: "0"
          internal.config.kubernetes.io/path: Kptfile
        name: deploy-pkg
      status:
        conditions:
        - reason: RenderSuccess
          status: "True"
          type: Rendered
    - apiVersion: v1
      data:
        name: example
      kind: ConfigMap
      metadata:
        annotations:
          config.kubernetes.io/index: "0"
          config.kubernetes.io/local-config: "true"
          config.kubernetes.io/path: package-context.yaml
          internal.config.kubernetes.io/index: "0"
          internal.config.kubernetes.io/path: package-context.yaml
        name: kptfile.kpt.dev
- args: [porchctl, repo, get, --namespace={NS}, "--output=custom-columns=NAME:.metadata.name,TYPE:.spec.type,DEPLOYMENT:.spec.deployment,READY:.status.conditions[?(@.type=='Ready')].status,ADDRESS:.spec.git.repo,BRANCH:.spec.git.branch"]
  ignoreWhitespace: true
  stdout: |
    NAME TYPE DEPLOYMENT READY ADDRESS BRANCH
    git git true True {PT} main
"#,
        ),
    );
}

#[test]
fn repo_sync_unreg_and_formats() {
    let case = "repo-sync";
    run_config(
        case,
        &config(
            case,
            r#"
commands:
- args: [porchctl, repo, reg, "{BP}", --namespace={NS}, --repo-basic-username=nephio, --repo-basic-password=secret, "--sync-schedule=*/10 * * * *"]
- args: [porchctl, repo, reg, "{PT}", --namespace={NS}, --name=pt, --directory=sub, --branch=main]
- args: [porchctl, repo, get, --namespace={NS}, -o, name]
  stdout: |
    repository.config.porch.kpt.dev/pt
    repository.config.porch.kpt.dev/test-blueprints
- args: [porchctl, repo, ls, --namespace={NS}, --no-headers, "-o=custom-columns=N:.metadata.name,S:.spec.sync.schedule,D:.spec.git.directory,SECRET:.spec.git.secretRef.name"]
  stdout: |
    pt                <none>         sub   <none>
    test-blueprints   */10 * * * *   /     test-blueprints-auth
- args: [porchctl, repo, get, test-blueprints, --namespace={NS}, "-o=jsonpath={.spec.git.branch}"]
  stdout: main
- args: [sh, -c, "porchctl repo sync test-blueprints -n {NS} | grep -q '^Scheduled one-time sync for \"test-blueprints\" at '"]
- args: [sh, -c, "porchctl repo sync --all --run-once=5m -n {NS} | grep -c Scheduled"]
  stdout: "2"
- args: [porchctl, repo, sync, --namespace={NS}]
  stderr: "repository name(s) required unless --all is set"
  containsErrorString: true
  exitCode: 1
- args: [sh, -c, "porchctl repo sync -n {NS} pt --run-once=10s | head -1"]
  stdout: "Warning: Duration must be at least 1 minute. Sync time adjusted to comply with minimum delay."
- args: [porchctl, repo, sync, --namespace={NS}, pt, --run-once=whenever]
  stderr: "Error: invalid --run-once value \n"
  exitCode: 1
- args: [porchctl, repo, sync, --namespace={NS}, nope]
  stderr: "Error fetching repository \"nope\": repositories.config.porch.kpt.dev \"nope\" not found\nError: no repositories found in namespace \"{NS}\" \n"
  exitCode: 1
- args: [porchctl, repo, reg, "{PT}", --namespace={NS}, --name=bad, --sync-schedule=sometimes]
  stderr: "invalid sync-schedule"
  containsErrorString: true
  exitCode: 1
- args: [porchctl, repo, unreg, test-blueprints, --namespace={NS}, --keep-auth-secret]
- args: [kubectl, get, secret, test-blueprints-auth, --namespace={NS}, "-o=jsonpath={.type}"]
  stdout: kubernetes.io/basic-auth
- args: [porchctl, repo, reg, "{BP}", --namespace={NS}, --name=tb2, --repo-basic-username=nephio, --repo-basic-password=secret]
- args: [porchctl, repo, unregister, tb2, --namespace={NS}]
- args: [kubectl, get, secret, tb2-auth, --namespace={NS}]
  stderr: "not found"
  containsErrorString: true
  exitCode: 1
- args: [porchctl, repo, unreg, nope, --namespace={NS}]
  stderr: "Error: repositories.config.porch.kpt.dev \"nope\" not found \n"
  exitCode: 1
- args: [porchctl, repo, get, --namespace={NS}, -o, bogus]
  stderr: "unable to match a printer suitable for the output format"
  containsErrorString: true
  exitCode: 1
- args: [porchctl, rpkg, init, --namespace={NS}, pkg]
  stderr: "--repository"
  containsErrorString: true
  exitCode: 1
"#,
        ),
    );
}

#[test]
fn rpkg_push_on_render_failure() {
    let case = "rpkg-push-on-render-failure";
    run_config(
        case,
        &config(
            case,
            r#"
commands:
- args: [porchctl, repo, register, "{PT}", --namespace={NS}, --name=git, --repo-basic-username=nephio, --repo-basic-password=secret]
- args: [porchctl, rpkg, init, --namespace={NS}, --repository=git, --workspace=a, saved]
  stdout: "git.saved.a created\n"
- args: [kubectl, annotate, packagerevisions.v1alpha1.porch.kpt.dev, git.saved.a, porch.kpt.dev/push-on-render-failure=true, --namespace={NS}]
  stdout: "packagerevision.porch.kpt.dev/git.saved.a annotated\n"
- args: [porchctl, rpkg, pull, git.saved.a, /tmp/porch-e2e/saved, --namespace={NS}]
- args: [sh, -c, "printf 'pipeline:\n  mutators:\n  - image: quay.io/invalid/nonexistent-fn:v0.0.1\n' >> /tmp/porch-e2e/saved/Kptfile"]
- args: [porchctl, rpkg, push, git.saved.a, /tmp/porch-e2e/saved, --namespace={NS}]
  stderr: "Package pushed to remote despite render failure"
  containsErrorString: true
  exitCode: 1
- args: [porchctl, rpkg, pull, git.saved.a, /tmp/porch-e2e/saved-after, --namespace={NS}]
- args: [sh, -c, "grep -q nonexistent-fn /tmp/porch-e2e/saved-after/Kptfile"]
- args: [porchctl, rpkg, init, --namespace={NS}, --repository=git, --workspace=b, unsaved]
  stdout: "git.unsaved.b created\n"
- args: [porchctl, rpkg, pull, git.unsaved.b, /tmp/porch-e2e/unsaved, --namespace={NS}]
- args: [sh, -c, "printf 'pipeline:\n  mutators:\n  - image: quay.io/invalid/nonexistent-fn:v0.0.1\n' >> /tmp/porch-e2e/unsaved/Kptfile"]
- args: [porchctl, rpkg, push, git.unsaved.b, /tmp/porch-e2e/unsaved, --namespace={NS}]
  stderr: "Package NOT pushed to remote"
  containsErrorString: true
  exitCode: 1
- args: [porchctl, rpkg, pull, git.unsaved.b, /tmp/porch-e2e/unsaved-after, --namespace={NS}]
- args: [sh, -c, "! grep -q nonexistent-fn /tmp/porch-e2e/unsaved-after/Kptfile"]
"#,
        ),
    );
}

#[test]
fn rpkg_readiness_and_upgrade_errors() {
    let case = "rpkg-readiness";
    run_config(
        case,
        &config(
            case,
            r#"
commands:
- args: [porchctl, repo, register, "{PT}", --namespace={NS}, --name=git, --repo-basic-username=nephio, --repo-basic-password=secret]
- args: [porchctl, rpkg, clone, "{BP}/unready@unready/v1", --namespace={NS}, --repository=git, --workspace=clone-1, unready-edit]
  stdout: "git.unready-edit.clone-1 created\n"
- args: [porchctl, rpkg, propose, git.unready-edit.clone-1, --namespace={NS}]
  stderr: "git.unready-edit.clone-1 failed (readiness conditions not met)\nError: errors:\n  readiness conditions not met \n"
  exitCode: 1
- args: [porchctl, rpkg, reject, git.unready-edit.clone-1, --namespace={NS}]
  stderr: "git.unready-edit.clone-1 failed (cannot reject git.unready-edit.clone-1 with lifecycle 'Draft')\nError: errors:\n  cannot reject git.unready-edit.clone-1 with lifecycle 'Draft' \n"
  exitCode: 1
- args: [porchctl, rpkg, upgrade, git.unready-edit.clone-1, --namespace={NS}]
  stderr: "Error: workspace is required \n"
  exitCode: 1
- args: [porchctl, rpkg, upgrade, git.unready-edit.clone-1, --workspace=v2, --namespace={NS}]
  stderr: "Error: to upgrade a package, it must be in a published state, not \"Draft\" \n"
  exitCode: 1
- args: [porchctl, rpkg, upgrade, --discover=sideways, --namespace={NS}]
  stderr: "argument for 'discover' must be one of 'upstream' or 'downstream'"
  containsErrorString: true
  exitCode: 1
- args: [porchctl, rpkg, upgrade, --discover=downstream, --namespace={NS}]
  stdout: "All downstream packages are up to date.\n"
"#,
        ),
    );
}

#[test]
fn rpkg_pull_push_pipe() {
    let case = "rpkg-pipe";
    run_config(
        case,
        &config(
            case,
            r#"
commands:
- args: [porchctl, repo, register, "{PT}", --namespace={NS}, --name=git, --repo-basic-username=nephio, --repo-basic-password=secret]
- args: [porchctl, rpkg, init, --namespace={NS}, --repository=git, --workspace=w, piped]
  stdout: "git.piped.w created\n"
- args: [sh, -c, "porchctl rpkg pull git.piped.w -n {NS} | sed 's/sample description/edited # keep me/' | porchctl rpkg push git.piped.w - -n {NS}"]
  stdout: "git.piped.w pushed\n"
- args: [sh, -c, "porchctl rpkg get git.piped.w --show-kptfile -n {NS} | grep -q 'description: edited # keep me'"]
- args: [sh, -c, "porchctl rpkg pull git.piped.w /tmp/porch-e2e/p -n {NS} && test -f /tmp/porch-e2e/p/package-context.yaml && test -f /tmp/porch-e2e/p/.KptRevisionMetadata"]
- args: [sh, -c, "rm /tmp/porch-e2e/p/.KptRevisionMetadata && porchctl rpkg push git.piped.w /tmp/porch-e2e/p -n {NS}"]
  stderr: "Error: \".KptRevisionMetadata\" not found in PackageRevisionResources '{NS}/git.piped.w'\nuse \"porchctl rpkg pull\" to download the remote package metadata before pushing \n"
  exitCode: 1
"#,
        ),
    );
}
