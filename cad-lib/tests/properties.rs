//! Property tests: no input panics the parser, the codec or the merge;
//! parse errors name the file and the line; minimal edits reach exactly
//! the requested value.

use cad_lib::upgrade::{Merge3, MergeSchema};
use cad_lib::{KubeObject, ResourceFile, ResourceList};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// YAML-looking text: keys, indentation, list markers, quotes, comments,
/// flow punctuation and document markers in random order.
fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("a: 1\n".to_string()),
        Just("  b: x\n".to_string()),
        Just("- ".to_string()),
        Just("  - c\n".to_string()),
        Just("---\n".to_string()),
        Just("...\n".to_string()),
        Just("# c\n".to_string()),
        Just(" # t".to_string()),
        Just("{a: [1, 2]}".to_string()),
        Just("'q''s'".to_string()),
        Just("\"d\\n\"".to_string()),
        Just("|\n  block\n".to_string()),
        Just(">-\n  folded\n".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("!!str ".to_string()),
        Just("\t".to_string()),
        Just(":".to_string()),
        Just("\n".to_string()),
        "[a-z{}\\[\\],:#'\" \n-]{0,8}",
    ];
    proptest::collection::vec(token, 0..24).prop_map(|v| v.concat())
}

/// Small JSON values with KRM-like keys and awkward strings.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(Value::from),
        prop_oneof![
            Just("".to_string()),
            Just("true".to_string()),
            Just("0".to_string()),
            Just("a: b".to_string()),
            Just("# not a comment".to_string()),
            Just("line1\nline2\n".to_string()),
            Just("- x".to_string()),
            "[a-z0-9 ]{0,6}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(("(name|port|k[a-c]|spec)", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn object() -> impl Strategy<Value = Value> {
    proptest::collection::vec(("[a-d]{1,2}", json_value()), 0..5)
        .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parsing_never_panics_and_round_trips(text in yamlish()) {
        match ResourceFile::parse("f.yaml", &text) {
            Ok(f) => {
                prop_assert_eq!(f.text(), text.clone());
                for (_, o) in f.objects() {
                    let _ = o.to_value();
                    let _ = o.id();
                }
            }
            Err(e) => prop_assert!(e.to_string().starts_with("f.yaml: line "), "{}", e),
        }
        let _ = ResourceList::parse(&text);
    }

    #[test]
    fn editing_toward_a_value_reaches_it(a in object(), b in object()) {
        let mut obj = KubeObject::from_value(&a).unwrap();
        prop_assert_eq!(obj.to_value().unwrap(), a.clone());
        obj.replace_root(&b, None).unwrap();
        prop_assert_eq!(obj.to_value().unwrap(), b.clone(), "text:\n{}", obj.text());
        let again = KubeObject::parse(&obj.text()).unwrap();
        prop_assert_eq!(again.to_value().unwrap(), b);
    }

    #[test]
    fn merging_never_panics(o in object(), u in object(), l in object()) {
        let schema = MergeSchema::default();
        let m = Merge3 { schema: &schema, group: "apps".into(), kind: "Deployment".into() };
        let merged = m.merge(Some(&o), Some(&u), Some(&l));
        if u == o {
            prop_assert_eq!(merged, Some(l));
        } else if l == o {
            prop_assert_eq!(merged, Some(u));
        }
    }
}
