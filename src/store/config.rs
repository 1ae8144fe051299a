//! `.baton/config.json`: settings that travel with the sessions directory.
//! `{"redact": {"allow": ["exact string"], "allow_patterns": ["regex"]}}`

use serde::Deserialize;

use crate::domain::json_doc::parse_object_strict;
use crate::domain::problem::Problem;
use crate::domain::redact::Allowlist;
use crate::domain::text::decode;

use super::fsio::{FsError, read_optional};
use super::layout::Layout;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RedactConfig {
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub allow_patterns: Vec<String>,
}

/// `{"sync": {"memory_url", "flavour": "seed"|"mem0", "user_id", "agent_id",
/// "machine_ids", "stale_after_days"}}`: the memory server and team sync. The API key is
/// never kept here (this file travels with the directory): `$BATON_MEMORY_KEY`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SyncConfig {
    #[serde(default)]
    pub memory_url: Option<String>,
    #[serde(default)]
    pub flavour: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub agent_id: Option<String>,
    /// New session ids carry the machine's name (`2025-11-15-001-alice`); `baton sync
    /// --git` turns it on.
    #[serde(default)]
    pub machine_ids: Option<bool>,
    /// `baton validate` reports a sync older than this many days (default 7).
    #[serde(default)]
    pub stale_after_days: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub redact: RedactConfig,
    #[serde(default)]
    pub sync: SyncConfig,
}

#[derive(Debug)]
pub enum ConfigError {
    Fs(FsError),
    Invalid(Problem),
}

pub fn load(layout: &Layout) -> Result<(Config, Allowlist), ConfigError> {
    let path = layout.config();
    let shown = layout.display(&path);
    let Some(bytes) = read_optional(&path).map_err(ConfigError::Fs)? else {
        return Ok((Config::default(), Allowlist::default()));
    };
    let (text, _) = decode(&bytes);
    let map = parse_object_strict(&shown, &text).map_err(ConfigError::Invalid)?;
    let config: Config = serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| ConfigError::Invalid(Problem::error(&shown, 1, 1, format!("{e}"))))?;
    let allow = Allowlist::new(
        config.redact.allow.clone(),
        config.redact.allow_patterns.clone(),
    )
    .map_err(|e| {
        ConfigError::Invalid(Problem::error(
            &shown,
            1,
            1,
            format!("bad allow_patterns regex: {e}"),
        ))
    })?;
    Ok((config, allow))
}
