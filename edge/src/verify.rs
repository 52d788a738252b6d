//! `Waymark-Signature: ed25519=<base64>` over the exact body bytes, as the central API signs
//! bundles and snapshots (crates/server `AppState::sign`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, VerifyingKey};

/// Checks `header` (the `Waymark-Signature` value) against `body`.
pub fn signature(
    key: Option<&VerifyingKey>,
    body: &[u8],
    header: Option<&str>,
) -> Result<(), String> {
    let key = key.ok_or("WAYMARK_PUBLIC_KEY is not configured: nothing can be verified")?;
    let header = header.ok_or("the response has no Waymark-Signature")?;
    let encoded = header
        .trim()
        .strip_prefix("ed25519=")
        .ok_or("the Waymark-Signature is not `ed25519=<base64>`")?;
    let bytes: [u8; 64] = B64
        .decode(encoded)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the Waymark-Signature is not 64 bytes of base64")?;
    key.verify_strict(body, &Signature::from_bytes(&bytes))
        .map_err(|_| "the Waymark-Signature does not verify with WAYMARK_PUBLIC_KEY".to_owned())
}
