use std::time::Instant;
use cad_lib::KubeObject;
fn main() {
    let text = "# Deployment 1\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-1 # kpt-set: ${name}\n  labels:\n    app: app-1\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: app-1\n  template:\n    metadata:\n      labels:\n        app: app-1\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.25\n        ports:\n        - containerPort: 8080\n        env:\n        - name: MODE\n          value: \"prod\"\n";
    let o = KubeObject::parse(text).unwrap();
    let n = 1000;
    macro_rules! t { ($name:expr, $e:expr) => {{ let s = Instant::now(); for _ in 0..n { std::hint::black_box($e); } println!("{}: {:.1} us", $name, s.elapsed().as_secs_f64()*1e6/n as f64); }} }
    t!("parse", KubeObject::parse(text).unwrap());
    t!("deep_copy", o.deep_copy());
    t!("text", o.text());
    t!("to_value", o.to_value().unwrap());
    t!("kind", o.kind());
    t!("name", o.name());
    t!("annotations", o.annotations());
    t!("set_annotation", { let mut c = o.deep_copy(); c.set_annotation("a", "b").unwrap(); c });
    t!("set 7 annotations", { let mut c = o.deep_copy(); for k in ["a","b","c","d","e","f","g"] { c.set_annotation(k, "b").unwrap(); } c });
    t!("comments", o.document().comments().count());
    t!("check_krm", o.check_krm());
}
