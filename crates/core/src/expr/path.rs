//! Path resolution: by reference into the data, falling back to copies only for computed
//! values.

use std::borrow::Cow;

use serde_json::Value;

use super::eval::{Ctx, V, owned};
use super::ir::{Base, Node, Scope, Seg};

static NULL: Value = Value::Null;

impl<'a> Ctx<'a> {
    /// Resolves a path; `None` when a step is missing (as opposed to present and `null`).
    pub(super) fn lookup(&mut self, node: &'a Node) -> Option<V<'a>> {
        match node {
            Node::Path { base, segs } => {
                // Computed keys, evaluated first; most paths have none.
                let mut keys: Vec<V<'a>> = Vec::new();
                if segs.iter().any(|seg| matches!(seg, Seg::Dyn(_))) {
                    for seg in segs {
                        if let Seg::Dyn(n) = seg {
                            keys.push(self.eval(n));
                        }
                    }
                }
                let start = match base {
                    Base::Root => Cow::Borrowed(self.root),
                    // Walk a bound element in place; copy only the part we return.
                    Base::Local(slot) => {
                        return match self.locals.get(*slot as usize)? {
                            Cow::Borrowed(r) => walk(r, segs, &keys).map(Cow::Borrowed),
                            Cow::Owned(v) => walk(v, segs, &keys).map(|x| owned(x.clone())),
                        };
                    }
                    Base::Expr(e) => self.eval(e),
                };
                match start {
                    Cow::Borrowed(r) => walk(r, segs, &keys).map(Cow::Borrowed),
                    Cow::Owned(v) => walk(&v, segs, &keys).map(|x| owned(x.clone())),
                }
            }
            Node::DynVar { scope, key } => {
                let key = self.eval(key);
                let key = match key.as_ref() {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => String::new(),
                };
                self.var(*scope, &key)
            }
            other => Some(self.eval(other)),
        }
    }

    /// JsonLogic `var` with a computed dotted key, relative to `scope`. Walks a bound element
    /// in place and copies only the part it returns.
    pub(super) fn var(&self, scope: Scope, key: &str) -> Option<V<'a>> {
        let mut parts = key.split('.').filter(|_| !key.is_empty());
        let slot = match scope {
            Scope::Root => return parts_walk(self.root, parts).map(Cow::Borrowed),
            Scope::Local(slot) => slot,
            Scope::Reduce {
                current,
                accumulator,
            } => match parts.next() {
                None => return None,
                Some("current") => current,
                Some("accumulator") => accumulator,
                Some(_) => return None,
            },
        };
        match self.locals.get(slot as usize) {
            Some(Cow::Borrowed(r)) => parts_walk(r, parts).map(Cow::Borrowed),
            Some(Cow::Owned(v)) => parts_walk(v, parts).map(|x| owned(x.clone())),
            None => parts_walk(&NULL, parts).map(Cow::Borrowed),
        }
    }

    pub(super) fn missing(&mut self, scope: Scope, keys: Vec<Value>) -> Vec<Value> {
        self.charge(keys.len());
        keys.into_iter()
            .filter(|k| {
                let key = match k {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                match self.var(scope, &key) {
                    None => true,
                    Some(v) => matches!(v.as_ref(), Value::Null) || v.as_ref() == "",
                }
            })
            .collect()
    }
}

fn step_key<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    match v {
        Value::Object(m) => m.get(key),
        Value::Array(a) => a.get(key.parse::<usize>().ok()?),
        _ => None,
    }
}

fn step_index(v: &Value, i: i64) -> Option<&Value> {
    match v {
        Value::Array(a) => {
            let idx = if i < 0 {
                a.len()
                    .checked_sub(usize::try_from(i.unsigned_abs()).ok()?)?
            } else {
                usize::try_from(i).ok()?
            };
            a.get(idx)
        }
        Value::Object(m) => m.get(&i.to_string()),
        _ => None,
    }
}

pub(super) fn walk<'v>(mut cur: &'v Value, segs: &[Seg], dyns: &[V<'_>]) -> Option<&'v Value> {
    let mut dyns = dyns.iter();
    for seg in segs {
        cur = match seg {
            Seg::Key(k) => step_key(cur, k)?,
            Seg::Index(i) => step_index(cur, *i)?,
            Seg::Dyn(_) => match dyns.next()?.as_ref() {
                Value::String(k) => step_key(cur, k)?,
                Value::Number(n) => step_index(cur, n.as_i64()?)?,
                _ => return None,
            },
        };
    }
    Some(cur)
}

fn parts_walk<'v, 'k>(
    mut cur: &'v Value,
    parts: impl Iterator<Item = &'k str>,
) -> Option<&'v Value> {
    for p in parts {
        cur = step_key(cur, p)?;
    }
    Some(cur)
}
