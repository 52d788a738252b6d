//! The engine's hash maps: keyed by the bundle's own strings (page keys, placement ids, template
//! sources), looked up a few dozen times per decision. A multiply-rotate hash (the one rustc
//! uses) costs a fraction of SipHash on such short keys; the maps' contents come from the
//! bundle's author, so resistance to crafted collisions is not needed here.

use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with [`FastHasher`].
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// FxHash: per word, rotate, xor, multiply.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher {
    hash: u64,
}

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn maps_find_what_they_hold() {
        let mut map: HashMap<String, usize> = HashMap::default();
        for i in 0..1000 {
            map.insert(format!("web://shop.example/p{i}"), i);
        }
        assert_eq!(map.get("web://shop.example/p737"), Some(&737));
        assert_eq!(map.get("web://shop.example/p1000"), None);
        assert_eq!(map.len(), 1000);
    }
}
