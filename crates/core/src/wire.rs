//! The compiled bundle's binary encoding: what the central API hands runtimes that should not
//! carry the bundle compiler (the browser SDK).
//!
//! A compiled bundle is an engine as [`Engine::new`](crate::engine::Engine::new) leaves it:
//! the bundle, every condition and template compiled, and the indexes decisions use. Loading
//! one is decoding only, so a runtime that only loads compiled bundles links neither the JSON
//! bundle deserializers, nor the parsers, nor the compiler.
//!
//! The encoding is deliberately plain: unsigned LEB128 integers, strings as length and UTF-8
//! bytes, lists as length and items, enums as a one-byte tag. Decoding checks every length
//! against what is left, every tag and every string, and limits nesting, so any byte string is
//! either a bundle or a [`WireError`], never a panic.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Number, Value};

/// The first bytes of every compiled bundle: a name and the encoding's version.
pub(crate) const MAGIC: &[u8; 4] = b"WMB\x08";

/// How deep values may nest (lists in lists, expressions in expressions, template sections in
/// sections: a template may nest 256 sections, inside a few levels of bundle).
const MAX_NESTING: u32 = 300;

/// The most items a list's declared length reserves room for before they are read: a forged
/// length must not reserve more than the items that actually follow.
const MAX_RESERVE: usize = 64;

/// Why bytes are not a compiled bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// Byte offset where decoding stopped.
    pub offset: usize,
    pub message: &'static str,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a compiled bundle: {} at byte {}",
            self.message, self.offset
        )
    }
}

impl std::error::Error for WireError {}

/// Where encoded bytes go.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub(crate) buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    pub(crate) fn uint(&mut self, mut n: u64) {
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.buf.push(low);
                return;
            }
            self.buf.push(low | 0x80);
        }
    }

    pub(crate) fn len(&mut self, n: usize) {
        self.uint(n as u64);
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.buf.extend_from_slice(s.as_bytes());
    }
}

/// Where encoded bytes come from.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    depth: u32,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader {
            buf,
            pos: 0,
            depth: 0,
        }
    }

    pub(crate) fn error(&self, message: &'static str) -> WireError {
        WireError {
            offset: self.pos,
            message,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub(crate) fn byte(&mut self) -> Result<u8, WireError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| self.error("unexpected end"))?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| self.error("unexpected end"))?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    pub(crate) fn uint(&mut self) -> Result<u64, WireError> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(self.error("integer too long"))
    }

    /// A count of items still to come: never more than the bytes left (each item takes at
    /// least one), so a forged count cannot make decoding loop past the input.
    pub(crate) fn len(&mut self) -> Result<usize, WireError> {
        let n = self.uint()?;
        let left = (self.buf.len() - self.pos.min(self.buf.len())) as u64;
        if n > left {
            return Err(self.error("length past the end"));
        }
        Ok(n as usize)
    }

    fn str(&mut self) -> Result<&'a str, WireError> {
        let n = self.len()?;
        let bytes = self.bytes(n)?;
        std::str::from_utf8(bytes).map_err(|_| self.error("invalid UTF-8"))
    }

    /// Runs `f` one nesting level deeper.
    pub(crate) fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, WireError>,
    ) -> Result<T, WireError> {
        if self.depth >= MAX_NESTING {
            return Err(self.error("nested too deep"));
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }
}

/// A type with a binary encoding.
pub(crate) trait Wire: Sized {
    fn put(&self, w: &mut Writer);
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError>;
}

macro_rules! wire_uint {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn put(&self, w: &mut Writer) {
                w.uint(*self as u64);
            }
            fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
                let n = r.uint()?;
                <$t>::try_from(n).map_err(|_| r.error("integer out of range"))
            }
        }
    )*};
}
wire_uint!(u8, u32, u64, usize);

macro_rules! wire_int {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn put(&self, w: &mut Writer) {
                let n = i64::from(*self);
                w.uint(((n << 1) ^ (n >> 63)) as u64); // zigzag
            }
            fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
                let z = r.uint()?;
                let n = ((z >> 1) as i64) ^ -((z & 1) as i64);
                <$t>::try_from(n).map_err(|_| r.error("integer out of range"))
            }
        }
    )*};
}
wire_int!(i32, i64);

impl Wire for bool {
    fn put(&self, w: &mut Writer) {
        w.byte(u8::from(*self));
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        match r.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(r.error("invalid boolean")),
        }
    }
}

impl Wire for f64 {
    fn put(&self, w: &mut Writer) {
        w.buf.extend_from_slice(&self.to_le_bytes());
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let bytes = r.bytes(8)?;
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes);
        Ok(f64::from_le_bytes(b))
    }
}

impl Wire for String {
    fn put(&self, w: &mut Writer) {
        w.str(self);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        r.str().map(str::to_owned)
    }
}

impl Wire for Box<str> {
    fn put(&self, w: &mut Writer) {
        w.str(self);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        r.str().map(Box::from)
    }
}

impl Wire for Arc<str> {
    fn put(&self, w: &mut Writer) {
        w.str(self);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        r.str().map(Arc::from)
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, w: &mut Writer) {
        match self {
            None => w.byte(0),
            Some(v) => {
                w.byte(1);
                v.put(w);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        match r.byte()? {
            0 => Ok(None),
            1 => T::get(r).map(Some),
            _ => Err(r.error("invalid option")),
        }
    }
}

impl<T: Wire> Wire for Box<T> {
    fn put(&self, w: &mut Writer) {
        (**self).put(w);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        r.nested(T::get).map(Box::new)
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, w: &mut Writer) {
        w.len(self.len());
        for item in self {
            item.put(w);
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        // Plain loops here and below: `collect` into a `Result` (or a map, which sorts) costs
        // a copy of the iterator machinery per item type in the browser's wasm.
        let n = r.len()?;
        let mut items = Vec::with_capacity(n.min(MAX_RESERVE));
        r.nested(|r| {
            for _ in 0..n {
                items.push(T::get(r)?);
            }
            Ok(())
        })?;
        Ok(items)
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
        self.1.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok((A::get(r)?, B::get(r)?))
    }
}

/// Writes a map's entries (in the order given).
pub(crate) fn put_entries<'m, K: Wire + 'm, V: Wire + 'm>(
    w: &mut Writer,
    entries: impl ExactSizeIterator<Item = (&'m K, &'m V)>,
) {
    w.len(entries.len());
    for (k, v) in entries {
        k.put(w);
        v.put(w);
    }
}

/// Reads a map's entries into `map` with `insert`.
pub(crate) fn get_entries<K: Wire, V: Wire, M>(
    r: &mut Reader<'_>,
    mut map: M,
    insert: impl Fn(&mut M, K, V),
) -> Result<M, WireError> {
    let n = r.len()?;
    r.nested(|r| {
        for _ in 0..n {
            let k = K::get(r)?;
            insert(&mut map, k, V::get(r)?);
        }
        Ok(())
    })?;
    Ok(map)
}

impl<K: Wire + Ord, V: Wire> Wire for BTreeMap<K, V> {
    fn put(&self, w: &mut Writer) {
        put_entries(w, self.iter());
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        get_entries(r, BTreeMap::new(), |map, k, v| drop(map.insert(k, v)))
    }
}

/// An object's entries in its order (the order of the JSON text it was read from).
impl Wire for Map<String, Value> {
    fn put(&self, w: &mut Writer) {
        put_entries(w, self.iter());
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        get_entries(r, Map::new(), |map, k, v| drop(map.insert(k, v)))
    }
}

impl Wire for Value {
    fn put(&self, w: &mut Writer) {
        match self {
            Value::Null => w.byte(0),
            Value::Bool(b) => w.byte(1 + u8::from(*b)),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    w.byte(3);
                    u.put(w);
                } else if let Some(i) = n.as_i64() {
                    w.byte(4);
                    i.put(w);
                } else {
                    w.byte(5);
                    n.as_f64().unwrap_or(0.0).put(w);
                }
            }
            Value::String(s) => {
                w.byte(6);
                w.str(s);
            }
            Value::Array(items) => {
                w.byte(7);
                items.put(w);
            }
            Value::Object(map) => {
                w.byte(8);
                map.put(w);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(match r.byte()? {
            0 => Value::Null,
            1 => Value::Bool(false),
            2 => Value::Bool(true),
            3 => Value::Number(u64::get(r)?.into()),
            4 => Value::Number(i64::get(r)?.into()),
            5 => Value::Number(
                Number::from_f64(f64::get(r)?).ok_or_else(|| r.error("non-finite number"))?,
            ),
            6 => Value::String(String::get(r)?),
            7 => Value::Array(Vec::get(r)?),
            8 => Value::Object(<Map<String, Value> as Wire>::get(r)?),
            _ => return Err(r.error("invalid value tag")),
        })
    }
}

/// Encodes a struct as its fields in order.
macro_rules! wire_struct {
    ($t:ty { $($f:ident),* $(,)? }) => {
        impl $crate::wire::Wire for $t {
            fn put(&self, w: &mut $crate::wire::Writer) {
                $( $crate::wire::Wire::put(&self.$f, w); )*
            }
            fn get(r: &mut $crate::wire::Reader<'_>) -> Result<Self, $crate::wire::WireError> {
                Ok(Self { $( $f: $crate::wire::Wire::get(r)?, )* })
            }
        }
    };
}

/// Encodes an enum as a tag byte and its variant's fields in order. Variants are listed as
/// `tag => Name`, `tag => Name(a, b)` or `tag => Name { a, b }`.
macro_rules! wire_enum {
    ($t:ident { $($tag:literal => $v:ident $( ( $($p:ident),+ ) )? $( { $($f:ident),+ } )? ),+ $(,)? }) => {
        impl $crate::wire::Wire for $t {
            fn put(&self, w: &mut $crate::wire::Writer) {
                match self {
                    $( $t::$v $( ( $($p),+ ) )? $( { $($f),+ } )? => {
                        w.byte($tag);
                        $( $( $crate::wire::Wire::put($p, w); )+ )?
                        $( $( $crate::wire::Wire::put($f, w); )+ )?
                    } )+
                }
            }
            fn get(r: &mut $crate::wire::Reader<'_>) -> Result<Self, $crate::wire::WireError> {
                Ok(match r.byte()? {
                    $( $tag => $t::$v
                        $( ( $( { let $p = $crate::wire::Wire::get(r)?; $p } ),+ ) )?
                        $( { $( $f: $crate::wire::Wire::get(r)? ),+ } )?, )+
                    _ => return Err(r.error(concat!("invalid ", stringify!($t)))),
                })
            }
        }
    };
}

pub(crate) use {wire_enum, wire_struct};

impl<T: Wire> Wire for Arc<[T]> {
    fn put(&self, w: &mut Writer) {
        w.len(self.len());
        for item in self.iter() {
            item.put(w);
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Vec::<T>::get(r).map(Arc::from)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::expr::Expr;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn decode<T: Wire>(bytes: &[u8]) -> Result<T, WireError> {
        T::get(&mut Reader::new(bytes))
    }

    #[test]
    fn values_round_trip() {
        let value = serde_json::json!({"a": [1, -2, 2.5, "x", null, true, {"b": 18446744073709551615_u64}]});
        let mut w = Writer::default();
        value.put(&mut w);
        assert_eq!(decode::<Value>(&w.buf).unwrap(), value);
    }

    #[test]
    fn nesting_is_bounded() {
        // Arrays in arrays, one byte each level: tag 7, length 1.
        let deep: Vec<u8> = std::iter::repeat_n([7, 1], 1000)
            .flatten()
            .chain([0])
            .collect();
        assert_eq!(
            decode::<Value>(&deep).unwrap_err().message,
            "nested too deep"
        );
        let fine: Vec<u8> = std::iter::repeat_n([7, 1], 100)
            .flatten()
            .chain([0])
            .collect();
        assert!(decode::<Value>(&fine).is_ok());
    }

    #[test]
    fn forged_lengths_and_tags_are_errors() {
        // A list claiming more items than there are bytes.
        assert_eq!(
            decode::<Vec<u8>>(&[200, 1, 1]).unwrap_err().message,
            "length past the end"
        );
        assert_eq!(
            decode::<Value>(&[9]).unwrap_err().message,
            "invalid value tag"
        );
        assert_eq!(decode::<bool>(&[2]).unwrap_err().message, "invalid boolean");
        assert_eq!(
            decode::<String>(&[2, 0xff, 0xfe]).unwrap_err().message,
            "invalid UTF-8"
        );
        assert_eq!(
            decode::<u64>(&[0xff; 11]).unwrap_err().message,
            "integer too long"
        );
        assert_eq!(
            decode::<u8>(&[0x80, 0x02]).unwrap_err().message,
            "integer out of range"
        );
    }

    #[test]
    fn expressions_with_locals_out_of_range_are_refused() {
        // `any(list, body)` binds a local slot; a forged slot must not reach the evaluator.
        let expr = Expr::parse("any(profile.tags, it == 1)").unwrap();
        let mut w = Writer::default();
        expr.put(&mut w);
        assert!(decode::<Expr>(&w.buf).is_ok());
        // The slot is the last integer of the Iter node (tag 13, written last): forge it.
        let mut forged = w.buf.clone();
        forged.pop();
        forged.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(
            decode::<Expr>(&forged).unwrap_err().message,
            "expression local out of range"
        );
    }
}
