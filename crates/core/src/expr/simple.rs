//! A shortcut for the commonest shape of condition, `path op literal` (`profile.points > 100`,
//! `profile.tier == "gold"`): when the path leads to a value of the literal's own type, the
//! answer is computed directly, without the general evaluator. Anything else (a missing value,
//! another type, anything that would give a diagnostic) takes the general way, so the two
//! always agree.
//!
//! A host that evaluates many conditions over the same data (the engine, per decision) numbers
//! the shortcuts' paths ([`Expr::number_path`](super::Expr::number_path)) and passes a
//! [`PathCache`], so each path is walked once per document however many conditions read it.

use std::cmp::Ordering;

use serde_json::Value;

use super::ir::{Base, CmpOp, EqMode, Node, Seg};
use super::path::walk;
use super::value::{loose_eq, strict_eq};

/// A condition the shortcut can answer.
#[derive(Clone, Debug)]
pub(crate) struct Simple {
    /// Static keys from the root.
    path: Vec<Seg>,
    test: Test,
    literal: Value,
    /// Whether the path is on the left of the operator.
    path_first: bool,
    /// The path's number in a [`PathCache`], if the host numbered it.
    slot: Option<usize>,
}

/// Values found at numbered paths of one document.
#[derive(Debug, Default)]
pub(crate) struct PathCache(Vec<Cached>);

#[derive(Debug, Clone)]
enum Cached {
    Unknown,
    Missing,
    Found(Value),
}

impl PathCache {
    /// A cache for `paths` numbered paths, all unknown.
    pub(crate) fn new(paths: usize) -> PathCache {
        PathCache(vec![Cached::Unknown; paths])
    }
}

#[derive(Clone, Copy, Debug)]
enum Test {
    Eq { mode: EqMode, negate: bool },
    Cmp(CmpOp),
}

impl Simple {
    /// The shortcut for `node`, if it has the shape.
    pub(crate) fn of(node: &Node) -> Option<Simple> {
        let (test, lhs, rhs) = match node {
            Node::Eq {
                mode,
                negate,
                lhs,
                rhs,
            } => (
                Test::Eq {
                    mode: *mode,
                    negate: *negate,
                },
                &**lhs,
                &**rhs,
            ),
            Node::Cmp { op, args, .. } => match args.as_slice() {
                [lhs, rhs] => (Test::Cmp(*op), lhs, rhs),
                _ => return None,
            },
            _ => return None,
        };
        let (path, literal, path_first) = match (static_path(lhs), rhs.as_lit()) {
            (Some(path), Some(literal)) => (path, literal, true),
            _ => (static_path(rhs)?, lhs.as_lit()?, false),
        };
        if !matches!(
            literal,
            Value::Number(_) | Value::String(_) | Value::Bool(_)
        ) {
            return None;
        }
        Some(Simple {
            path: path.to_vec(),
            test,
            literal: literal.clone(),
            path_first,
            slot: None,
        })
    }

    /// The path as a key for numbering, unless it reads `offer` (which changes within a
    /// decision).
    pub(crate) fn path_key(&self) -> Option<String> {
        let mut key = String::new();
        for (n, seg) in self.path.iter().enumerate() {
            let Seg::Key(k) = seg else { return None };
            if n == 0 && &**k == "offer" {
                return None;
            }
            key.push_str(k);
            key.push('\u{1f}');
        }
        Some(key)
    }

    pub(crate) fn set_slot(&mut self, slot: usize) {
        self.slot = Some(slot);
    }

    /// The condition's truth for `root`, or `None` when the general evaluator must answer.
    pub(crate) fn test(&self, root: &Value) -> Option<bool> {
        self.answer(walk(root, &self.path, &[])?)
    }

    /// Like [`test`](Self::test), looking the path up in `cache` (filled from `root`).
    pub(crate) fn test_cached(&self, root: &Value, cache: &mut PathCache) -> Option<bool> {
        let Some(entry) = self.slot.and_then(|slot| cache.0.get_mut(slot)) else {
            return self.test(root);
        };
        if let Cached::Unknown = entry {
            *entry = match walk(root, &self.path, &[]) {
                Some(found) => Cached::Found(found.clone()),
                None => Cached::Missing,
            };
        }
        match entry {
            Cached::Found(found) => self.answer(found),
            _ => None,
        }
    }

    fn answer(&self, found: &Value) -> Option<bool> {
        let same_type = matches!(
            (found, &self.literal),
            (Value::Number(_), Value::Number(_))
                | (Value::String(_), Value::String(_))
                | (Value::Bool(_), Value::Bool(_))
        );
        if !same_type {
            return None;
        }
        let (l, r) = if self.path_first {
            (found, &self.literal)
        } else {
            (&self.literal, found)
        };
        match self.test {
            Test::Eq { mode, negate } => {
                let equal = match mode {
                    EqMode::Strict => strict_eq(l, r),
                    EqMode::Loose => loose_eq(l, r),
                };
                Some(equal != negate)
            }
            Test::Cmp(op) => {
                let ordering = match (l, r) {
                    (Value::Number(x), Value::Number(y)) => {
                        x.as_f64()?.partial_cmp(&y.as_f64()?)?
                    }
                    (Value::String(x), Value::String(y)) => x.cmp(y),
                    // Booleans order differently in the two languages: the general way.
                    _ => return None,
                };
                Some(holds(op, ordering))
            }
        }
    }
}

fn holds(op: CmpOp, ordering: Ordering) -> bool {
    match op {
        CmpOp::Lt => ordering.is_lt(),
        CmpOp::Le => ordering.is_le(),
        CmpOp::Gt => ordering.is_gt(),
        CmpOp::Ge => ordering.is_ge(),
    }
}

/// The segments of a path of static keys from the root.
fn static_path(node: &Node) -> Option<&[Seg]> {
    match node {
        Node::Path {
            base: Base::Root,
            segs,
        } if !segs.is_empty() && segs.iter().all(|s| matches!(s, Seg::Key(_))) => Some(segs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use serde_json::json;

    use super::super::{Env, Expr, value::truthy};
    use super::PathCache;

    /// The shortcut, with and without a cache, answers exactly as the general evaluator, over
    /// values of every type (including missing ones and huge integers).
    #[test]
    fn agrees_with_the_general_evaluator() {
        let conditions = [
            "profile.points > 100",
            "profile.points >= 100",
            "100 < profile.points",
            "profile.points == 100",
            "profile.points != 100",
            "profile.tier == \"gold\"",
            "\"gold\" != profile.tier",
            "profile.tier < \"m\"",
            "profile.vip == true",
            "profile.vip > false",
            "profile.missing == 1",
            "profile.a.b <= 2.5",
        ];
        let jsonlogic = [
            json!({"<": [{"var": "profile.points"}, 100]}),
            json!({"==": [{"var": "profile.points"}, 9007199254740992_u64]}),
            json!({"===": [{"var": "profile.tier"}, "gold"]}),
            json!({"!=": ["gold", {"var": "profile.tier"}]}),
        ];
        let values = [
            json!(null),
            json!(100),
            json!(100.0),
            json!(99.5),
            json!(9007199254740993_u64),
            json!(-3),
            json!("gold"),
            json!("100"),
            json!(""),
            json!(true),
            json!(false),
            json!([100]),
            json!({"b": 2}),
        ];
        let env = Env::new(0);
        let exprs: Vec<Expr> = conditions
            .iter()
            .map(|c| Expr::parse(c).unwrap())
            .chain(jsonlogic.iter().map(|r| Expr::from_jsonlogic(r).unwrap()))
            .collect();
        assert!(exprs.iter().all(|e| e.simple.is_some()));
        for value in &values {
            for key in ["points", "tier", "vip", "a"] {
                let data = json!({"profile": {key: value}});
                let mut cache = PathCache::new(1);
                for expr in &exprs {
                    let general = truthy(&expr.eval(&data, &env).value);
                    assert_eq!(expr.matches(&data, &env), general, "{expr:?} on {data}");
                    let mut numbered = expr.clone();
                    let mut fresh = PathCache::new(1);
                    numbered.number_path(|_| 0);
                    let (cached, _) = numbered.matches_cached(&data, &env, &mut fresh);
                    assert_eq!(cached, general, "{expr:?} cached on {data}");
                    // A cache shared by conditions on one path.
                    if numbered
                        .simple
                        .as_ref()
                        .and_then(|s| s.path_key())
                        .as_deref()
                        == Some("profile\u{1f}points\u{1f}")
                    {
                        let (shared, _) = numbered.matches_cached(&data, &env, &mut cache);
                        assert_eq!(shared, general, "{expr:?} shared on {data}");
                    }
                }
            }
        }
    }

    #[test]
    fn other_shapes_have_no_shortcut() {
        for src in [
            "profile.a + 1 > 2",
            "profile.tags contains \"x\"",
            "profile.x",
            "profile.a > profile.b",
        ] {
            assert!(Expr::parse(src).unwrap().simple.is_none(), "{src}");
        }
    }
}
