//! Deterministic hashing for experiment bucketing.
//!
//! Bucketing is a pure function of (seed, unit id, hash version). Version 1 is
//! MurmurHash3_x86_32 over the UTF-8 bytes of `"<seed>:<unit id>"` with hash seed 0, reduced to
//! a bucket in `0..BUCKETS`. Its outputs are pinned by vectors in `tests/suites/murmur3.json` and
//! must never change; a different scheme gets a new version.

/// Number of buckets traffic is split into: one bucket is 0.01% of traffic.
pub const BUCKETS: u32 = 10_000;

/// MurmurHash3_x86_32 (Austin Appleby's reference algorithm) of `data` with `seed`.
pub fn murmur3_x86_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;

    let mut h = seed;
    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        let k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        h ^= mix_k(k, C1, C2);
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }

    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, byte) in tail.iter().enumerate() {
            k |= u32::from(*byte) << (8 * i);
        }
        h ^= mix_k(k, C1, C2);
    }

    // The reference takes the length as a 32-bit int; longer inputs wrap the same way.
    h ^= data.len() as u32;
    fmix32(h)
}

fn mix_k(k: u32, c1: u32, c2: u32) -> u32 {
    k.wrapping_mul(c1).rotate_left(15).wrapping_mul(c2)
}

fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// The bucket, in `0..BUCKETS`, of `unit_id` in the experiment seeded with `seed` (version 1).
pub fn bucket(seed: &str, unit_id: &str) -> u32 {
    let mut key = String::with_capacity(seed.len() + 1 + unit_id.len());
    key.push_str(seed);
    key.push(':');
    key.push_str(unit_id);
    murmur3_x86_32(key.as_bytes(), 0) % BUCKETS
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn smhasher_verification_value() {
        let mut buffer = Vec::with_capacity(256 * 4);
        let key: Vec<u8> = (0..=255u8).collect();
        for i in 0..256usize {
            let hash = murmur3_x86_32(&key[..i], 256 - i as u32);
            buffer.extend_from_slice(&hash.to_le_bytes());
        }
        assert_eq!(murmur3_x86_32(&buffer, 0), 0xB0F5_7EE3);
    }

    #[test]
    fn bucket_joins_seed_and_unit_with_a_colon() {
        assert_eq!(bucket("exp-42", "user-1"), 428_924_505 % BUCKETS);
        assert!(bucket("a", "b") < BUCKETS);
    }
}
