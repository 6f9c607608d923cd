//! ID numbers at rest (身份证号加密存储): sealed with AES-256-GCM under a numbered key and found
//! again through a keyed hash, the index of "find by ID number" and the unique key of one person,
//! one membership. Parsing the number belongs to `identity`; storing the bytes to the queries.
//!
//! # Key rotation
//!
//! 1. Add a new key with a higher id to `NUANXIN_ID_KEYS` (`1:OLD,2:NEW`) and restart: new and
//!    changed numbers are sealed with the highest id, old rows still open with their own key.
//! 2. Run the re-seal command (to be added as `nuanxin admin reseal-ids`), which opens and seals
//!    again every value for which [`IdVault::needs_reseal`] is true.
//! 3. Keep the old key until `needs_reseal` is false for every row; only then remove it.
//!
//! The hash key (`NUANXIN_ID_HASH_KEY`) does not rotate: changing it means recomputing every
//! lookup hash, which needs every number opened again.

use crate::members::identity::ResidentId;
use crate::{Error, Result};
use aes_gcm::aead::{Aead, AeadCore, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{anyhow, bail, Context};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write;

/// The first byte of every sealed value: the layout `[version][key id][nonce][ciphertext + tag]`.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 2 + NONCE_LEN;
const KEY_LEN: usize = 32;

/// Insecure keys of [`IdVault::development`]: ASCII text, published here, never for real data.
const DEVELOPMENT_KEYS: &str = "1:bnVhbnhpbi1kZXYtaWQta2V5LTEtTk9ULVNFQ1JFVCE=";
const DEVELOPMENT_HASH_KEY: &str = "bnVhbnhpbi1kZXYtaWQtaGFzaC1OT1QtU0VDUkVUISE=";

/// Seals and opens resident ID numbers and computes their lookup hashes.
///
/// Holds AES-256-GCM keys by one-byte id, the highest of which seals, and a separate HMAC-SHA256
/// key for the lookup hash. `Debug` shows the key ids only.
#[derive(Clone)]
pub struct IdVault {
    keys: BTreeMap<u8, Aes256Gcm>,
    sealing_key_id: u8,
    hash: Hmac<Sha256>,
}

impl IdVault {
    /// Builds the vault from the values of `NUANXIN_ID_KEYS` (`1:BASE64,2:BASE64`, each key 32
    /// bytes in standard base64, the highest id seals) and `NUANXIN_ID_HASH_KEY` (32 bytes in
    /// standard base64). Errors name the variable and the key id, never the key.
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn from_env_values(keys: &str, hash_key: &str) -> anyhow::Result<IdVault> {
        let mut raw_keys: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
        for entry in keys.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, key) = entry
                .split_once(':')
                .ok_or_else(|| anyhow!("NUANXIN_ID_KEYS: each entry must be ID:BASE64KEY"))?;
            let id: u8 = id.trim().parse().map_err(|_| {
                anyhow!(
                    "NUANXIN_ID_KEYS: key id {:?} is not a number from 0 to 255",
                    id.trim()
                )
            })?;
            let key = decode_key(key).with_context(|| format!("NUANXIN_ID_KEYS: key {id}"))?;
            if raw_keys.insert(id, key).is_some() {
                bail!("NUANXIN_ID_KEYS: key id {id} appears more than once");
            }
        }
        let Some(&sealing_key_id) = raw_keys.keys().next_back() else {
            bail!("NUANXIN_ID_KEYS is empty: set at least one key as ID:BASE64KEY");
        };
        let hash_key = decode_key(hash_key).context("NUANXIN_ID_HASH_KEY")?;
        if raw_keys.values().any(|k| *k == hash_key) {
            bail!("NUANXIN_ID_HASH_KEY must differ from every key of NUANXIN_ID_KEYS");
        }
        let keys = raw_keys
            .into_iter()
            .map(|(id, k)| (id, Aes256Gcm::new_from_slice(&k).expect("32-byte key")))
            .collect();
        let hash =
            <Hmac<Sha256> as Mac>::new_from_slice(&hash_key).expect("HMAC takes any key length");
        Ok(IdVault {
            keys,
            sealing_key_id,
            hash,
        })
    }

    /// A fixed key set for the demo and for tests. **Insecure**: the keys are written in this
    /// source file (key 1 is the ASCII text `nuanxin-dev-id-key-1-NOT-SECRET!`, the hash key
    /// `nuanxin-dev-id-hash-NOT-SECRET!!`), so anyone can open what it seals. Production must set
    /// `NUANXIN_ID_KEYS` and `NUANXIN_ID_HASH_KEY` and build the vault with
    /// [`IdVault::from_env_values`].
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn development() -> IdVault {
        IdVault::from_env_values(DEVELOPMENT_KEYS, DEVELOPMENT_HASH_KEY)
            .expect("the development keys are valid")
    }

    /// Encrypts the number with the newest key and a fresh random nonce: sealing the same number
    /// twice gives different bytes. Layout: `[1][key id][12-byte nonce][ciphertext + tag]`.
    #[expect(
        clippy::expect_used,
        reason = "an invariant established just before; the message names it"
    )]
    pub fn seal(&self, id: &ResidentId) -> Vec<u8> {
        let header = [VERSION, self.sealing_key_id];
        // A random 96-bit nonce from the thread's CSPRNG (seeded from the system, reseeded as it
        // goes): a system call per seal was a tenth of a large import's checking time.
        let nonce = Aes256Gcm::generate_nonce(&mut rand::thread_rng());
        let payload = Payload {
            msg: id.as_str().as_bytes(),
            aad: &header,
        };
        let ciphertext = self.keys[&self.sealing_key_id]
            .encrypt(&nonce, payload)
            .expect("AES-GCM encrypts any short message");
        let mut sealed = Vec::with_capacity(HEADER_LEN + ciphertext.len());
        sealed.extend_from_slice(&header);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Decrypts a value sealed under any key this vault holds. A truncated value, an unknown
    /// version or key id, or a failed tag (tampered bytes, wrong key) is an internal error whose
    /// message never contains the number.
    pub fn open(&self, sealed: &[u8]) -> Result<ResidentId> {
        if sealed.len() < HEADER_LEN + TAG_LEN {
            return Err(Error::Internal(anyhow!(
                "sealed id number is too short ({} bytes)",
                sealed.len()
            )));
        }
        let (header, rest) = sealed.split_at(2);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        if header[0] != VERSION {
            return Err(Error::Internal(anyhow!(
                "sealed id number has unknown version {}",
                header[0]
            )));
        }
        let key_id = header[1];
        let key = self.keys.get(&key_id).ok_or_else(|| {
            Error::Internal(anyhow!(
                "sealed id number uses key {key_id}, which NUANXIN_ID_KEYS does not hold"
            ))
        })?;
        let payload = Payload {
            msg: ciphertext,
            aad: header,
        };
        let plain = key
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| {
                Error::Internal(anyhow!(
                "sealed id number failed authentication under key {key_id} (tampered or wrong key)"
            ))
            })?;
        String::from_utf8(plain)
            .ok()
            .and_then(|s| ResidentId::from_trusted(s).ok())
            .ok_or_else(|| {
                Error::Internal(anyhow!(
                    "sealed id number under key {key_id} is not a valid id number"
                ))
            })
    }

    /// HMAC-SHA256 of the 18-character number under the hash key, as 64 lower-case hex digits:
    /// equal numbers give equal hashes, so it is the index for "find by ID number" and the unique
    /// key of one active membership per person.
    pub fn lookup_hash(&self, id: &ResidentId) -> String {
        self.hmac_hex(&[id.as_str().as_bytes()])
    }

    /// HMAC-SHA256 under the hash key of `parts` one after the other, as 64 lower-case hex digits.
    fn hmac_hex(&self, parts: &[&[u8]]) -> String {
        let mut mac = self.hash.clone();
        for p in parts {
            mac.update(p);
        }
        mac.finalize()
            .into_bytes()
            .iter()
            .fold(String::with_capacity(64), |mut hex, b| {
                let _ = write!(hex, "{b:02x}");
                hex
            })
    }

    /// HMAC-SHA256 under the hash key of `text` in a `domain` of its own, as hex: for short
    /// secrets such as a six-digit SMS code, which a reader of the database could otherwise try
    /// in a million guesses. The domain keeps it apart from [`IdVault::lookup_hash`].
    pub fn keyed_hash(&self, domain: &str, text: &str) -> String {
        self.hmac_hex(&[domain.as_bytes(), &[0], text.as_bytes()])
    }

    /// A fresh key set in the environment format (`NUANXIN_ID_KEYS=1:BASE64` and
    /// `NUANXIN_ID_HASH_KEY=BASE64`), 32 random bytes each from the operating system.
    pub fn new_key_pair() -> (String, String) {
        use rand::RngCore;
        let mut key = [0u8; KEY_LEN];
        let mut hash = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut key);
        rand::rngs::OsRng.fill_bytes(&mut hash);
        let b64 = |k: &[u8]| BASE64.encode(k);
        (format!("1:{}", b64(&key)), b64(&hash))
    }

    /// True when the value is not sealed with the newest key (also when it cannot be read at
    /// all), so the re-seal command should open and seal it again.
    pub fn needs_reseal(&self, sealed: &[u8]) -> bool {
        sealed.first() != Some(&VERSION) || sealed.get(1) != Some(&self.sealing_key_id)
    }
}

impl fmt::Debug for IdVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<u8> = self.keys.keys().copied().collect();
        f.debug_struct("IdVault")
            .field("keys", &ids)
            .finish_non_exhaustive()
    }
}

fn decode_key(b64: &str) -> anyhow::Result<Vec<u8>> {
    let b64 = b64.trim();
    if b64.is_empty() {
        bail!("the key is empty");
    }
    let key = BASE64
        .decode(b64)
        .map_err(|_| anyhow!("the key is not valid standard base64"))?;
    if key.len() != KEY_LEN {
        bail!("the key must be {KEY_LEN} bytes, got {}", key.len());
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const NUMBER: &str = "11010519491231002X";

    fn id() -> ResidentId {
        ResidentId::parse(NUMBER, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()).unwrap()
    }

    fn key(byte: u8) -> String {
        BASE64.encode([byte; KEY_LEN])
    }

    fn vault(ids: &[u8]) -> IdVault {
        let keys: Vec<String> = ids.iter().map(|i| format!("{i}:{}", key(*i))).collect();
        IdVault::from_env_values(&keys.join(","), &key(0xAA)).unwrap()
    }

    fn config_error(keys: &str, hash_key: &str) -> String {
        format!(
            "{:#}",
            IdVault::from_env_values(keys, hash_key).unwrap_err()
        )
    }

    #[test]
    fn sealed_ids_open_to_the_same_number() {
        let v = IdVault::development();
        let sealed = v.seal(&id());
        assert_eq!(sealed[..2], [VERSION, 1]);
        assert_eq!(sealed.len(), HEADER_LEN + NUMBER.len() + TAG_LEN);
        assert_eq!(v.open(&sealed).unwrap(), id());
        assert!(!v.needs_reseal(&sealed));
    }

    #[test]
    fn two_seals_differ_but_hash_alike() {
        let v = IdVault::development();
        let (a, b) = (v.seal(&id()), v.seal(&id()));
        assert_ne!(a, b);
        assert_eq!(v.lookup_hash(&id()), v.lookup_hash(&id()));
        let hash = v.lookup_hash(&id());
        assert_eq!(hash.len(), 64);
        assert!(hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        let other = ResidentId::from_trusted("341524198001011232".into()).unwrap();
        assert_ne!(v.lookup_hash(&other), hash);
        assert_ne!(vault(&[1]).lookup_hash(&id()), hash);
    }

    #[test]
    fn any_tampered_byte_fails_to_open_without_revealing_the_number() {
        let v = vault(&[1, 2]);
        let sealed = v.seal(&id());
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            let e = v.open(&bad).unwrap_err();
            assert!(matches!(e, Error::Internal(_)), "byte {i}");
            assert!(!format!("{e:#} {e:?}").contains("19491231"), "byte {i}");
        }
        assert!(v.open(&sealed[..sealed.len() - 1]).is_err());
        assert!(v.open(&[]).is_err());
    }

    #[test]
    fn a_vault_with_a_newer_key_opens_old_seals_and_asks_to_reseal_them() {
        let old = vault(&[1]);
        let new = vault(&[1, 2]);
        let sealed = old.seal(&id());
        assert_eq!(new.open(&sealed).unwrap(), id());
        assert!(new.needs_reseal(&sealed));
        let resealed = new.seal(&new.open(&sealed).unwrap());
        assert_eq!(resealed[1], 2);
        assert!(!new.needs_reseal(&resealed));
        assert_eq!(new.lookup_hash(&id()), old.lookup_hash(&id()));
        let e = old.open(&resealed).unwrap_err();
        assert!(e.to_string().contains("key 2"), "{e}");
    }

    #[test]
    fn sealed_bytes_do_not_contain_the_number() {
        let sealed = IdVault::development().seal(&id());
        for part in [NUMBER, "110105", "19491231"] {
            assert!(!sealed.windows(part.len()).any(|w| w == part.as_bytes()));
        }
    }

    #[test]
    fn debug_output_shows_no_secrets() {
        let v = vault(&[2, 1]);
        assert_eq!(format!("{v:?}"), "IdVault { keys: [1, 2], .. }");
        let dev = format!("{:?}", IdVault::development());
        assert_eq!(dev, "IdVault { keys: [1], .. }");
        let shown = format!("{:?} {}", id(), id());
        assert_eq!(shown, "1101**********002X 1101**********002X");
        assert!(!shown.contains("0519491231"));
    }

    #[test]
    fn bad_configuration_is_refused_with_a_clear_message() {
        let good = format!("1:{}", key(1));
        let hash = key(0xAA);
        for (keys, hash_key, expected) in [
            ("", hash.as_str(), "NUANXIN_ID_KEYS is empty"),
            (" , ", hash.as_str(), "NUANXIN_ID_KEYS is empty"),
            ("abc", hash.as_str(), "each entry must be ID:BASE64KEY"),
            ("x:abc", hash.as_str(), "key id \"x\" is not a number"),
            ("256:abc", hash.as_str(), "key id \"256\" is not a number"),
            (
                "1:not base64!",
                hash.as_str(),
                "key 1: the key is not valid standard base64",
            ),
            (
                "1:AAAA",
                hash.as_str(),
                "key 1: the key must be 32 bytes, got 3",
            ),
            ("1:", hash.as_str(), "key 1: the key is empty"),
            (good.as_str(), "", "NUANXIN_ID_HASH_KEY: the key is empty"),
            (
                good.as_str(),
                "%%%",
                "NUANXIN_ID_HASH_KEY: the key is not valid",
            ),
            (
                good.as_str(),
                "AAAA",
                "NUANXIN_ID_HASH_KEY: the key must be 32 bytes",
            ),
            (good.as_str(), &key(1), "must differ from every key"),
        ] {
            let message = config_error(keys, hash_key);
            assert!(message.contains(expected), "{keys:?}: {message}");
        }
        let twice = format!("1:{},1:{}", key(1), key(2));
        assert!(config_error(&twice, &hash).contains("key id 1 appears more than once"));
        let message = config_error(&format!("1:{}", &key(1)[..20]), &hash);
        assert!(!message.contains(&key(1)[..20]), "{message}");
    }

    #[test]
    fn the_highest_key_id_seals_whatever_the_order() {
        let keys = format!(" 7:{} , 3:{} ,", key(7), key(3));
        let v = IdVault::from_env_values(&keys, &key(0xAA)).unwrap();
        assert_eq!(v.seal(&id())[1], 7);
    }
}
