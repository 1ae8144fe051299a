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

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub redact: RedactConfig,
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
