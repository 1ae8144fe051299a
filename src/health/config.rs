//! Reading `SERVICES.json` for a one-off check (`baton health`, the context pack). The
//! dashboard gets the same list through the board (`store::snapshot::load_board`).

use crate::domain::json_doc::{Doc, parse_object};
use crate::domain::problem::Problem;
use crate::domain::services::{ServiceConfig, parse_services};
use crate::store::Layout;
use crate::store::fsio::FsError;
use crate::store::layout::SERVICES;
use crate::store::read::read_text;

/// What `SERVICES.json` holds.
#[derive(Debug, Clone, Default)]
pub struct ServicesRead {
    /// False when there is no `SERVICES.json`.
    pub exists: bool,
    /// Every entry that parsed, enabled or not, in file order.
    pub services: Vec<ServiceConfig>,
    /// The file does not parse (`PATH:LINE:COL`): nothing could be read.
    pub broken: Option<Problem>,
    /// Entries that were skipped, and lossy reading.
    pub warnings: Vec<Problem>,
}

pub fn read_services(layout: &Layout) -> Result<ServicesRead, FsError> {
    let path = layout.path(SERVICES);
    let mut out = ServicesRead::default();
    let Some(text) = read_text(layout, &path, &mut out.warnings)? else {
        return Ok(out);
    };
    out.exists = true;
    let shown = layout.display(&path);
    match parse_object(&shown, &text) {
        Doc::Ok(map) => {
            let (services, errors) = parse_services(serde_json::Value::Object(map));
            out.services = services;
            out.warnings
                .extend(errors.into_iter().map(|e| Problem::error(&shown, 1, 1, e)));
        }
        Doc::Broken { problem, .. } => out.broken = Some(problem),
    }
    Ok(out)
}
