//! `Waymark-Signature: ed25519=<base64>` over a type label, a newline and the exact body bytes,
//! as the central API signs bundles, compiled bundles and snapshots (crates/server
//! `SignedKind`). The label is the kind of body the Worker asked for, so a signature made for
//! another kind (a snapshot replayed as a bundle) does not verify.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, VerifyingKey};

/// The label of `GET /v1/bundle`.
pub const BUNDLE: &str = "waymark-bundle-v1";
/// The label of `GET /v1/profiles/{id}/snapshot`.
pub const SNAPSHOT: &str = "waymark-snapshot-v1";

/// Checks `header` (the `Waymark-Signature` value) against `label`, `\n` and `body`.
pub fn signature(
    key: Option<&VerifyingKey>,
    label: &str,
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
    let message = [label.as_bytes(), b"\n", body].concat();
    key.verify_strict(&message, &Signature::from_bytes(&bytes))
        .map_err(|_| {
            format!("the Waymark-Signature does not verify as {label} with WAYMARK_PUBLIC_KEY")
        })
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;
    use ed25519_dalek::{Signer, SigningKey};

    use super::{BUNDLE, SNAPSHOT, signature};

    fn header(key: &SigningKey, message: &[u8]) -> String {
        format!("ed25519={}", B64.encode(key.sign(message).to_bytes()))
    }

    #[test]
    fn a_signature_verifies_only_with_the_label_it_was_made_for() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = key.verifying_key();
        let body = br#"{"profileId":"ann"}"#;
        let labelled = |label: &str| [label.as_bytes(), b"\n", body].concat();
        let as_snapshot = header(&key, &labelled(SNAPSHOT));
        assert_eq!(
            signature(Some(&public), SNAPSHOT, body, Some(&as_snapshot)),
            Ok(())
        );
        // The same bytes signed as another kind, or unlabelled (as before labels), are refused.
        for wrong in [
            header(&key, &labelled(BUNDLE)),
            header(&key, body),
            header(&key, &labelled("waymark-compiled-v1")),
        ] {
            let refused = signature(Some(&public), SNAPSHOT, body, Some(&wrong));
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|e| e.contains("does not verify")),
                "{refused:?}"
            );
        }
        assert!(signature(Some(&public), BUNDLE, body, Some(&as_snapshot)).is_err());
        assert!(signature(None, SNAPSHOT, body, Some(&as_snapshot)).is_err());
        assert!(signature(Some(&public), SNAPSHOT, b"{}", Some(&as_snapshot)).is_err());
    }
}
