//! Learner ids are pseudonymised before they reach storage or logs.
//!
//! Each deployment has a secret (`DATA/learner-secret`, 32 random bytes, created on first
//! use, readable by its owner only). The edge replaces the learner id of a learner route by
//! `p_` and the first 128 bits of HMAC-SHA256(secret, id) in hex before routing, so handlers,
//! the learner store and request logs only ever see the pseudonym; in the JSON answer the
//! pseudonym is replaced by the id the client sent. Without the secret the store cannot tell
//! whose rows it holds.

use std::path::Path;

use sha2::Digest;

/// A deployment's pseudonymisation secret. Its `Debug` output does not show it.
#[derive(Clone)]
pub struct LearnerSecret([u8; 32]);

impl std::fmt::Debug for LearnerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LearnerSecret(..)")
    }
}

impl LearnerSecret {
    /// A secret from its bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The secret of a data directory, created (owner-only) when missing.
    pub fn load_or_create(data: &Path) -> std::io::Result<Self> {
        let path = data.join("learner-secret");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = decode_hex(text.trim()).ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} must hold 64 hex digits", path.display()),
                    )
                })?;
                Ok(Self(bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                use std::io::Write;
                let bytes: [u8; 32] = rand::random();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path)?;
                file.write_all(hex(&bytes).as_bytes())?;
                file.sync_all()?;
                Ok(Self(bytes))
            }
            Err(e) => Err(e),
        }
    }

    /// The pseudonym of a learner id: `p_` and 32 hex digits.
    pub fn pseudonym(&self, id: &str) -> String {
        format!("p_{}", &hex(&hmac_sha256(&self.0, id.as_bytes()))[..32])
    }
}

/// Whether a stored learner id is a pseudonym (`p_` and 32 lower-case hex digits).
pub fn is_pseudonym(id: &str) -> bool {
    id.strip_prefix("p_").is_some_and(|h| h.len() == 32 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// HMAC-SHA256 (RFC 2104) with a 32-byte key.
fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> Vec<u8> {
    let mut inner_pad = [0x36u8; 64];
    let mut outer_pad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        inner_pad[i] ^= k;
        outer_pad[i] ^= k;
    }
    let mut inner = sha2::Sha256::new();
    inner.update(inner_pad);
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = sha2::Sha256::new();
    outer.update(outer_pad);
    outer.update(inner);
    outer.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_shape_and_pseudonyms_are_stable() {
        // The value Python's `hmac.new(bytes([0x0b] * 32), b"Hi There", hashlib.sha256)` gives.
        let key = [0x0bu8; 32];
        assert_eq!(
            hex(&hmac_sha256(&key, b"Hi There")),
            "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7"
        );
        let secret = LearnerSecret::new(key);
        assert_eq!(secret.pseudonym("ana"), secret.pseudonym("ana"));
        assert_ne!(secret.pseudonym("ana"), secret.pseudonym("bo"));
        assert_eq!(secret.pseudonym("ana").len(), 34);
        assert!(is_pseudonym(&secret.pseudonym("ana")));
        for raw in
            ["ana", "p_", "p_0123", "p_0123456789ABCDEF0123456789abcdef", "tenant:p_0123456789abcdef0123456789abcdef"]
        {
            assert!(!is_pseudonym(raw), "{raw}");
        }
    }
}
