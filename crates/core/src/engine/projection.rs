//! The snapshot projection: only the profile attributes a bundle reads leave the central API.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::expr::Expr;
use crate::template::Template;

/// The profile attributes a bundle's conditions and templates may read, as a tree of keys. A
/// listed key keeps its whole subtree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    /// Some expression reads computed paths: every attribute is needed.
    all: bool,
    keys: BTreeMap<String, Keys>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Keys {
    /// The whole subtree is read.
    whole: bool,
    children: BTreeMap<String, Keys>,
}

impl Projection {
    pub(crate) fn add_expr(&mut self, expr: &Expr) {
        let reads = expr.reads();
        self.all |= reads.dynamic;
        for path in &reads.paths {
            self.add_path(path);
        }
    }

    pub(crate) fn add_template(&mut self, template: &Template) {
        for path in template.paths() {
            self.add_path(&path);
        }
    }

    /// Adds a path read from the data root; only paths under `profile` matter.
    fn add_path(&mut self, path: &[String]) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        if first != "profile" {
            return;
        }
        let Some((key, rest)) = rest.split_first() else {
            self.all = true;
            return;
        };
        let mut node = self.keys.entry(key.clone()).or_default();
        for key in rest {
            if node.whole {
                return;
            }
            node = node.children.entry(key.clone()).or_default();
        }
        node.whole = true;
        node.children.clear();
    }

    /// Whether every attribute is needed.
    pub fn is_everything(&self) -> bool {
        self.all
    }

    /// The read paths, dotted (`loyalty.tier`), for documentation and debugging.
    pub fn paths(&self) -> Vec<String> {
        fn walk(prefix: &str, keys: &BTreeMap<String, Keys>, out: &mut Vec<String>) {
            for (key, node) in keys {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                if node.whole {
                    out.push(path);
                } else {
                    walk(&path, &node.children, out);
                }
            }
        }
        let mut out = Vec::new();
        walk("", &self.keys, &mut out);
        out
    }

    /// Keeps only the attributes the bundle reads.
    pub fn apply(&self, attributes: &Value) -> Value {
        if self.all {
            return attributes.clone();
        }
        project(attributes, &self.keys)
    }
}

fn project(value: &Value, keys: &BTreeMap<String, Keys>) -> Value {
    let Value::Object(map) = value else {
        return Value::Object(Map::new());
    };
    // In the profile's key order, which templates iterating an object follow.
    let mut out = Map::new();
    for (key, child) in map {
        let Some(node) = keys.get(key) else { continue };
        if node.whole {
            out.insert(key.clone(), child.clone());
        } else if child.is_object() {
            out.insert(key.clone(), project(child, &node.children));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn keeps_only_what_conditions_and_templates_read() {
        let mut projection = Projection::default();
        projection
            .add_expr(&Expr::parse(r#"profile.loyalty.tier == "gold" and context.x"#).unwrap());
        projection.add_template(
            &Template::compile(
                "t",
                "Hi {{profile.firstName}} {{#each profile.orders}}{{id}}{{/each}}",
            )
            .unwrap(),
        );
        projection.add_path(&[
            "profile".into(),
            "loyalty".into(),
            "tier".into(),
            "deeper".into(),
        ]);
        assert_eq!(projection.paths(), ["firstName", "loyalty.tier", "orders"]);
        let profile = json!({
            "firstName": "Ada", "email": "ada@example.com",
            "loyalty": {"tier": "gold", "points": 1200},
            "orders": [{"id": 1}], "ssn": "secret"
        });
        assert_eq!(
            projection.apply(&profile),
            json!({"firstName": "Ada", "loyalty": {"tier": "gold"}, "orders": [{"id": 1}]})
        );
    }

    #[test]
    fn a_whole_profile_read_or_a_computed_path_keeps_everything() {
        let mut projection = Projection::default();
        projection.add_template(
            &Template::compile("t", "{{#with profile}}{{firstName}}{{/with}}").unwrap(),
        );
        assert!(projection.is_everything());
        let mut projection = Projection::default();
        projection
            .add_expr(&Expr::from_jsonlogic(&json!({"var": {"var": "context.field"}})).unwrap());
        assert!(projection.is_everything());
        let profile = json!({"a": 1});
        let everything = Projection {
            all: true,
            ..Projection::default()
        };
        assert_eq!(everything.apply(&profile), profile);
    }
}
