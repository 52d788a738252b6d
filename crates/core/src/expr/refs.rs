//! What data an expression reads: the static paths from the root, so a bundle can tell which
//! profile attributes it needs (the snapshot projection).

use std::collections::BTreeSet;

use serde_json::Value;

use super::Expr;
use super::ir::{Base, Node, Scope, Seg};

/// The root paths an expression may read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reads {
    /// Static path prefixes from the root (`["profile", "loyalty", "tier"]`). A prefix stands for
    /// its whole subtree: a path that continues with a computed key or an index stops there.
    pub paths: BTreeSet<Vec<String>>,
    /// Whether the expression also reads root paths computed at run time (JsonLogic `var` with a
    /// computed key), so any data may be read.
    pub dynamic: bool,
}

impl Expr {
    /// The root paths this expression may read.
    pub fn reads(&self) -> Reads {
        let mut reads = Reads::default();
        visit(&self.root, &mut reads);
        reads
    }
}

fn visit(node: &Node, reads: &mut Reads) {
    match node {
        Node::Lit(_) => {}
        Node::Path { base, segs } => {
            match base {
                Base::Root => {
                    let mut path = Vec::new();
                    for seg in segs {
                        match seg {
                            Seg::Key(key) => path.push(key.to_string()),
                            Seg::Index(_) | Seg::Dyn(_) => break,
                        }
                    }
                    if path.is_empty() {
                        reads.dynamic = true;
                    } else {
                        reads.paths.insert(path);
                    }
                }
                Base::Local(_) => {}
                Base::Expr(inner) => visit(inner, reads),
            }
            for seg in segs {
                if let Seg::Dyn(key) = seg {
                    visit(key, reads);
                }
            }
        }
        Node::DynVar { scope, key } => {
            if matches!(scope, Scope::Root) {
                reads.dynamic = true;
            }
            visit(key, reads);
        }
        Node::Missing { scope, args } => {
            for arg in args {
                match (scope, arg) {
                    (Scope::Root, Node::Lit(keys)) => static_keys(keys, reads),
                    (Scope::Root, _) => reads.dynamic = true,
                    _ => visit(arg, reads),
                }
            }
        }
        Node::MissingSome { scope, need, keys } => {
            visit(need, reads);
            match (scope, keys.as_ref()) {
                (Scope::Root, Node::Lit(keys)) => static_keys(keys, reads),
                (Scope::Root, _) => reads.dynamic = true,
                _ => visit(keys, reads),
            }
        }
        Node::Default { value, default } => {
            visit(value, reads);
            visit(default, reads);
        }
        Node::Not(inner) | Node::Truthy(inner) => visit(inner, reads),
        Node::Matches { subject, .. } => visit(subject, reads),
        Node::Eq { lhs, rhs, .. } => {
            visit(lhs, reads);
            visit(rhs, reads);
        }
        Node::Iter { list, body, .. } => {
            visit(list, reads);
            visit(body, reads);
        }
        Node::Reduce {
            list, body, init, ..
        } => {
            visit(list, reads);
            visit(body, reads);
            visit(init, reads);
        }
        Node::List(items)
        | Node::And(items)
        | Node::Or(items)
        | Node::If(items)
        | Node::Cmp { args: items, .. }
        | Node::Arith { args: items, .. }
        | Node::Call { args: items, .. } => {
            for item in items {
                visit(item, reads);
            }
        }
    }
}

/// JsonLogic `missing` keys: dotted strings, alone or in an array.
fn static_keys(keys: &Value, reads: &mut Reads) {
    match keys {
        Value::String(key) if !key.is_empty() => {
            reads
                .paths
                .insert(key.split('.').map(str::to_owned).collect());
        }
        Value::Array(items) => items.iter().for_each(|key| static_keys(key, reads)),
        _ => reads.dynamic = true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn paths(reads: &Reads) -> Vec<String> {
        reads.paths.iter().map(|p| p.join(".")).collect()
    }

    #[test]
    fn text_paths_stop_at_indexes_and_bound_names() {
        let expr = Expr::parse(
            r#"profile.loyalty.tier == "gold" and any(profile.orders as o, o.total > 10)
               and profile.tags[0] == "x" and context.page["url"] contains "/shoes""#,
        )
        .unwrap();
        let reads = expr.reads();
        assert_eq!(
            paths(&reads),
            [
                "context.page.url",
                "profile.loyalty.tier",
                "profile.orders",
                "profile.tags"
            ]
        );
        assert!(!reads.dynamic);
    }

    #[test]
    fn jsonlogic_vars_and_missing_are_paths_computed_vars_are_dynamic() {
        let rule = serde_json::json!({"and": [
            {"var": "profile.email"},
            {"missing": ["profile.city", "profile.zip"]},
        ]});
        let reads = Expr::from_jsonlogic(&rule).unwrap().reads();
        assert_eq!(
            paths(&reads),
            ["profile.city", "profile.email", "profile.zip"]
        );
        assert!(!reads.dynamic);
        let rule = serde_json::json!({"var": {"cat": ["profile.", {"var": "context.field"}]}});
        let reads = Expr::from_jsonlogic(&rule).unwrap().reads();
        assert!(reads.dynamic);
        assert_eq!(paths(&reads), ["context.field"]);
    }
}
