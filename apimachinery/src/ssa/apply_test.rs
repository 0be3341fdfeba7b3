use super::*;
use serde_json::json;

const GV: &str = "config.porch.kpt.dev/v1alpha1";
const T0: &str = "2025-01-01T00:00:00Z";
const T1: &str = "2025-01-01T00:00:01Z";
const T2: &str = "2025-01-01T00:00:02Z";

fn p(s: &str) -> FieldPath {
    s.split('.').map(String::from).collect()
}

fn set(paths: &[&str]) -> FieldSet {
    let mut s = FieldSet::new();
    for x in paths {
        s.insert(p(x));
    }
    s
}

fn conflicts(e: ApplyError) -> ApplyConflicts {
    match e {
        ApplyError::Conflicts(c) => c,
        other => panic!("expected conflicts, got {other:?}"),
    }
}

fn repo(description: &str) -> Value {
    json!({"apiVersion": GV, "kind": "Repository",
           "metadata": {"name": "r", "namespace": "default"},
           "spec": {"description": description, "type": "git"}})
}

/// A live object as the server would store it after a create by `manager`.
fn created_by(obj: &Value, manager: &str) -> (Value, Vec<ManagedFieldsEntry>) {
    let managed = update_managed_fields(None, obj, manager, "Update", None, &[], GV, T0);
    let mut live = obj.clone();
    live["metadata"]["uid"] = json!("u1");
    live["metadata"]["resourceVersion"] = json!("5");
    (live, managed)
}

#[test]
fn fields_v1_round_trip() {
    let v = json!({"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:x":{}}});
    let s = FieldSet::from_fields_v1(&v);
    assert_eq!(s, set(&["metadata.labels.app", "spec.x"]));
    assert_eq!(s.to_fields_v1(), v);
    assert_eq!(FieldSet::new().to_fields_v1(), json!({}));
}

#[test]
fn fields_v1_from_kubernetes() {
    let v = json!({"f:metadata":{"f:labels":{".":{},"f:app":{}}},
                   "f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{".":{},"f:image":{}}},
                             "f:finalizers":{"v:\"x\"":{}},"f:ports":{"i:0":{}}}});
    let s = FieldSet::from_fields_v1(&v);
    assert_eq!(
        s,
        set(&[
            "metadata.labels",
            "metadata.labels.app",
            "spec.containers",
            "spec.finalizers",
            "spec.ports"
        ])
    );
    // "." is written for a member that has members below it.
    assert_eq!(
        s.to_fields_v1(),
        json!({"f:metadata":{"f:labels":{".":{},"f:app":{}}},
               "f:spec":{"f:containers":{},"f:finalizers":{},"f:ports":{}}})
    );
    assert!(FieldSet::from_fields_v1(&json!("junk")).is_empty());
}

#[test]
fn fields_of_leaves() {
    let obj = json!({"apiVersion":"v1","kind":"X",
        "metadata":{"name":"n","namespace":"ns","uid":"u","resourceVersion":"1","generation":2,
                    "creationTimestamp":"t","managedFields":[],"labels":{"a":"1"},"annotations":{},
                    "generateName":"g-"},
        "spec":{"list":[1,{"a":2}],"empty":{},"null":null,"n":{"deep":true}},
        "status":{"x":1}});
    assert_eq!(
        fields_of(&obj),
        set(&[
            "metadata.annotations",
            "metadata.generateName",
            "metadata.labels.a",
            "spec.empty",
            "spec.list",
            "spec.n.deep",
            "status.x"
        ])
    );
    assert!(fields_of(&json!([1])).is_empty());
}

#[test]
fn set_operations() {
    let a = set(&["spec.x", "spec.y"]);
    let b = set(&["spec.y", "spec.z"]);
    assert_eq!(a.union(&b), set(&["spec.x", "spec.y", "spec.z"]));
    assert_eq!(a.difference(&b), set(&["spec.x"]));
    assert_eq!(a.intersection(&b), set(&["spec.y"]));
    assert_eq!(a.len(), 2);
    assert!(a.contains(&p("spec.x")) && !a.contains(&p("spec")));
    let t = set(&["spec.a.b", "spec.c", "spec.cd", "metadata.labels"]);
    let rel: Vec<String> = t.related(&p("spec.a")).map(|p| path_string(p)).collect();
    assert_eq!(rel, [".spec.a.b"]);
    let rel: Vec<String> = t.related(&p("spec.c.x")).map(|p| path_string(p)).collect();
    assert_eq!(rel, [".spec.c"]);
    assert!(!t.overlaps(&p("spec.b")));
    assert!(t.overlaps(&p("spec")));
    assert!(t.overlaps(&p("metadata.labels.app")));
    let mut m = t.clone();
    assert!(m.remove(&p("spec.c")));
    assert!(!m.remove(&p("spec.c")));
}

#[test]
fn apply_creates() {
    let mut applied = repo("a");
    applied["metadata"]["resourceVersion"] = json!("99");
    let r = apply(None, &applied, "kubectl", false, &[], GV, T0).unwrap();
    assert_eq!(r.object["spec"], json!({"description":"a","type":"git"}));
    assert_eq!(r.object["metadata"]["name"], "r");
    assert!(
        r.object["metadata"].get("resourceVersion").is_none(),
        "system fields are not applied"
    );
    assert_eq!(
        r.managed_fields,
        vec![ManagedFieldsEntry {
            manager: Some("kubectl".into()),
            operation: Some("Apply".into()),
            api_version: Some(GV.into()),
            time: Some(T0.into()),
            fields_type: Some("FieldsV1".into()),
            fields_v1: Some(json!({"f:spec":{"f:description":{},"f:type":{}}})),
            subresource: None,
        }]
    );
    assert_eq!(
        r.object["metadata"]["managedFields"],
        serde_json::to_value(&r.managed_fields).unwrap()
    );
}

#[test]
fn reapply_changes_and_removes_own_fields() {
    let mut applied = repo("a");
    applied["metadata"]["labels"] = json!({"x":"1"});
    applied["spec"]["extra"] = json!([1, 2]);
    let r1 = apply(None, &applied, "kubectl", false, &[], GV, T0).unwrap();
    // Re-apply: description changed, labels and extra dropped.
    let r2 = apply(
        Some(&r1.object),
        &repo("b"),
        "kubectl",
        false,
        &r1.managed_fields,
        GV,
        T1,
    )
    .unwrap();
    assert_eq!(r2.object["spec"], json!({"description":"b","type":"git"}));
    assert!(
        r2.object["metadata"].get("labels").is_none(),
        "emptied labels map is pruned"
    );
    assert_eq!(r2.object["metadata"]["name"], "r");
    assert_eq!(r2.managed_fields.len(), 1);
    assert_eq!(r2.managed_fields[0].time.as_deref(), Some(T1));
    assert_eq!(
        r2.managed_fields[0].fields_v1,
        Some(json!({"f:spec":{"f:description":{},"f:type":{}}}))
    );
}

#[test]
fn removal_kept_when_another_manager_owns_it() {
    let (live, managed) = created_by(&repo("a"), "kubectl-create");
    // The applier takes over description (same value → shared), then stops applying it.
    let r1 = apply(Some(&live), &repo("a"), "kubectl", false, &managed, GV, T1).unwrap();
    assert_eq!(
        r1.managed_fields.len(),
        2,
        "shared ownership keeps both managers"
    );
    let mut without = repo("a");
    without["spec"]
        .as_object_mut()
        .unwrap()
        .remove("description");
    let r2 = apply(
        Some(&r1.object),
        &without,
        "kubectl",
        false,
        &r1.managed_fields,
        GV,
        T2,
    )
    .unwrap();
    assert_eq!(
        r2.object["spec"]["description"], "a",
        "still owned by kubectl-create"
    );
}

#[test]
fn conflict_with_update_manager() {
    let (live, managed) = created_by(&repo("a"), "kubectl-client-side-apply");
    let e =
        conflicts(apply(Some(&live), &repo("b"), "kubectl", false, &managed, GV, T1).unwrap_err());
    assert_eq!(
        e.to_string(),
        "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using config.porch.kpt.dev/v1alpha1: .spec.description"
    );
    let st = e.to_status();
    assert_eq!((st.code, st.reason.as_str()), (409, "Conflict"));
    let cause = &st.details.as_ref().unwrap().causes[0];
    assert_eq!(cause.reason, "FieldManagerConflict");
    assert_eq!(cause.field, ".spec.description");
    assert_eq!(
        cause.message,
        "conflict with \"kubectl-client-side-apply\" using config.porch.kpt.dev/v1alpha1"
    );
}

#[test]
fn equal_values_are_shared() {
    let (live, managed) = created_by(&repo("a"), "kubectl-create");
    let r = apply(Some(&live), &repo("a"), "kubectl", false, &managed, GV, T1).unwrap();
    let names: Vec<_> = r
        .managed_fields
        .iter()
        .map(|e| e.manager.clone().unwrap())
        .collect();
    assert_eq!(
        names,
        ["kubectl", "kubectl-create"],
        "Apply entries sort before Update"
    );
    assert_eq!(
        r.managed_fields[1], managed[0],
        "the other manager keeps its fields"
    );
    assert_eq!(r.object["metadata"]["uid"], "u1");
    assert_eq!(r.object["metadata"]["resourceVersion"], "5");
}

#[test]
fn force_takes_ownership() {
    let (live, managed) = created_by(&repo("a"), "kubectl-create");
    let r = apply(Some(&live), &repo("b"), "kubectl", true, &managed, GV, T1).unwrap();
    assert_eq!(r.object["spec"]["description"], "b");
    assert_eq!(r.managed_fields.len(), 2);
    let create = r
        .managed_fields
        .iter()
        .find(|e| e.manager.as_deref() == Some("kubectl-create"))
        .unwrap();
    assert_eq!(create.fields_v1, Some(json!({"f:spec":{"f:type":{}}})));
    // Forcing every field away drops the other entry.
    let mut both = repo("c");
    both["spec"]["type"] = json!("oci");
    let r = apply(
        Some(&r.object),
        &both,
        "kubectl",
        true,
        &r.managed_fields,
        GV,
        T2,
    )
    .unwrap();
    assert_eq!(r.managed_fields.len(), 1);
    assert_eq!(r.managed_fields[0].manager.as_deref(), Some("kubectl"));
}

#[test]
fn several_conflicts_message() {
    let mut obj = repo("a");
    obj["spec"]["x"] = json!(1);
    let (live, mut managed) = created_by(&obj, "kubectl-create");
    let other = apply(
        Some(&live),
        &json!({"apiVersion":GV,"kind":"Repository","metadata":{"name":"r"},
        "spec":{"y":[1]}}),
        "tool",
        false,
        &managed,
        GV,
        T1,
    )
    .unwrap();
    managed = other.managed_fields;
    let mut applied = repo("b");
    applied["spec"]["x"] = json!(2);
    applied["spec"]["y"] = json!([2]);
    let e = conflicts(
        apply(
            Some(&other.object),
            &applied,
            "kubectl",
            false,
            &managed,
            GV,
            T2,
        )
        .unwrap_err(),
    );
    assert_eq!(
        e.to_string(),
        "Apply failed with 3 conflicts: conflicts with \"kubectl-create\" using config.porch.kpt.dev/v1alpha1:\n- .spec.description\n- .spec.x\nconflicts with \"tool\":\n- .spec.y"
    );
    assert_eq!(e.to_status().details.unwrap().causes.len(), 3);
}

#[test]
fn type_changes_conflict_on_the_owned_path() {
    let mut obj = repo("a");
    obj["spec"]["git"] = json!({"repo": "x", "branch": "main"});
    let (live, managed) = created_by(&obj, "kubectl-create");
    // Replacing an object with a scalar changes the other manager's leaves below it.
    let mut applied = repo("a");
    applied["spec"]["git"] = json!("flat");
    let e =
        conflicts(apply(Some(&live), &applied, "kubectl", false, &managed, GV, T1).unwrap_err());
    let paths: Vec<_> = e.conflicts.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, [".spec.git.branch", ".spec.git.repo"]);
}

#[test]
fn switching_own_list_to_object_keeps_new_value() {
    let mut a1 = repo("a");
    a1["spec"]["v"] = json!([1]);
    let r1 = apply(None, &a1, "kubectl", false, &[], GV, T0).unwrap();
    let mut a2 = repo("a");
    a2["spec"]["v"] = json!({"k": 1});
    let r2 = apply(
        Some(&r1.object),
        &a2,
        "kubectl",
        false,
        &r1.managed_fields,
        GV,
        T1,
    )
    .unwrap();
    assert_eq!(r2.object["spec"]["v"], json!({"k": 1}));
}

#[test]
fn unowned_live_fields_are_taken_without_conflict() {
    let live = repo("a");
    let r = apply(Some(&live), &repo("b"), "kubectl", false, &[], GV, T1).unwrap();
    assert_eq!(r.object["spec"]["description"], "b");
}

#[test]
fn nulls_and_identity_in_applied_config() {
    let (live, managed) = created_by(&repo("a"), "kubectl-create");
    let applied = json!({"apiVersion": GV, "kind": "Repository",
        "metadata": {"name": "r", "uid": "evil", "labels": {"l": "1"}},
        "spec": {"description": null}});
    let r = apply(Some(&live), &applied, "kubectl", false, &managed, GV, T1).unwrap();
    assert_eq!(r.object["metadata"]["uid"], "u1");
    assert_eq!(r.object["metadata"]["namespace"], "default");
    assert_eq!(
        r.object["spec"]["description"], "a",
        "null is not a deletion"
    );
    assert_eq!(r.object["metadata"]["labels"], json!({"l": "1"}));
}

#[test]
fn set_managed_fields_writes_and_clears() {
    let mut obj = json!({"metadata": {"name": "x", "managedFields": [1]}});
    set_managed_fields(&mut obj, &[]);
    assert_eq!(obj, json!({"metadata": {"name": "x"}}));
    let e = ManagedFieldsEntry {
        manager: Some("m".into()),
        ..Default::default()
    };
    set_managed_fields(&mut obj, std::slice::from_ref(&e));
    assert_eq!(obj["metadata"]["managedFields"], json!([{"manager": "m"}]));
}

#[test]
fn apply_rejects_non_objects() {
    assert_eq!(
        apply(None, &json!([1]), "m", false, &[], GV, T0).unwrap_err(),
        ApplyError::NotAnObject
    );
    assert_eq!(
        ApplyError::NotAnObject.to_string(),
        "apply configuration must be a JSON object"
    );
}

#[test]
fn update_moves_changed_fields() {
    let (live, managed) = created_by(&repo("a"), "kubectl-create");
    let r = apply(Some(&live), &repo("a"), "kubectl", false, &managed, GV, T1).unwrap();
    // kubectl-edit changes description: it leaves both kubectl (Apply) and kubectl-create.
    let mut edited = r.object.clone();
    edited["spec"]["description"] = json!("edited");
    let m = update_managed_fields(
        Some(&r.object),
        &edited,
        "kubectl-edit",
        "Update",
        None,
        &r.managed_fields,
        GV,
        T2,
    );
    let by = |name: &str| {
        m.iter()
            .find(|e| e.manager.as_deref() == Some(name))
            .cloned()
    };
    assert_eq!(
        by("kubectl").unwrap().fields_v1,
        Some(json!({"f:spec":{"f:type":{}}}))
    );
    assert_eq!(
        by("kubectl-create").unwrap().fields_v1,
        Some(json!({"f:spec":{"f:type":{}}}))
    );
    let edit = by("kubectl-edit").unwrap();
    assert_eq!(edit.fields_v1, Some(json!({"f:spec":{"f:description":{}}})));
    assert_eq!(
        (edit.operation.as_deref(), edit.time.as_deref()),
        (Some("Update"), Some(T2))
    );
    // A later apply of the old value now conflicts with kubectl-edit.
    let e = conflicts(apply(Some(&edited), &repo("a"), "kubectl", false, &m, GV, T2).unwrap_err());
    assert_eq!(
        e.conflicts[0].manager,
        "\"kubectl-edit\" using config.porch.kpt.dev/v1alpha1"
    );
}

#[test]
fn update_removals_and_empty_entries() {
    let (live, managed) = created_by(&repo("a"), "kubectl-create");
    let mut new = live.clone();
    new["spec"] = json!({});
    let m = update_managed_fields(
        Some(&live),
        &new,
        "kubectl-edit",
        "Update",
        None,
        &managed,
        GV,
        T1,
    );
    // The creator lost everything; the editor owns the (now empty) spec object it produced.
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].manager.as_deref(), Some("kubectl-edit"));
    assert_eq!(m[0].fields_v1, Some(json!({"f:spec":{}})));
}

#[test]
fn update_without_changes_keeps_entries() {
    let (live, managed) = created_by(&repo("a"), "kubectl-create");
    let m = update_managed_fields(
        Some(&live),
        &live,
        "kubectl-create",
        "Update",
        None,
        &managed,
        GV,
        T1,
    );
    assert_eq!(m, managed, "time is not bumped when nothing changed");
    let m = update_managed_fields(
        Some(&live),
        &live,
        "other",
        "Update",
        None,
        &managed,
        GV,
        T1,
    );
    assert_eq!(
        m, managed,
        "no empty entry for a manager that changed nothing"
    );
}

#[test]
fn update_merges_with_previous_entry_and_subresources() {
    let (live, managed) = created_by(&repo("a"), "porch");
    let mut new = live.clone();
    new["status"] = json!({"conditions": [{"type": "Ready"}]});
    let m = update_managed_fields(
        Some(&live),
        &new,
        "porch",
        "Update",
        Some("status"),
        &managed,
        GV,
        T1,
    );
    assert_eq!(m.len(), 2, "a subresource update is a separate manager");
    let st = m
        .iter()
        .find(|e| e.subresource.as_deref() == Some("status"))
        .unwrap();
    assert_eq!(st.fields_v1, Some(json!({"f:status":{"f:conditions":{}}})));
    let mut newer = new.clone();
    newer["spec"]["description"] = json!("z");
    let m2 = update_managed_fields(Some(&new), &newer, "porch", "Update", None, &m, GV, T2);
    let main = m2.iter().find(|e| e.subresource.is_none()).unwrap();
    assert_eq!(
        main.fields_v1,
        Some(json!({"f:spec":{"f:description":{},"f:type":{}}}))
    );
    assert_eq!(main.time.as_deref(), Some(T2));
    // Update entries sort by time after Apply entries.
    let times: Vec<_> = m2.iter().map(|e| e.time.clone().unwrap()).collect();
    assert_eq!(times, [T1, T2]);
}

#[test]
fn conflict_message_with_subresource_manager() {
    let e = ManagedFieldsEntry {
        manager: Some("porch".into()),
        operation: Some("Update".into()),
        api_version: Some("v1".into()),
        subresource: Some("status".into()),
        ..Default::default()
    };
    assert_eq!(
        print_manager(&e),
        "\"porch\" with subresource \"status\" using v1"
    );
    let a = ManagedFieldsEntry {
        manager: Some("kubectl".into()),
        operation: Some("Apply".into()),
        ..Default::default()
    };
    assert_eq!(print_manager(&a), "\"kubectl\"");
}
