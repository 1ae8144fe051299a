use clap::{Args, ValueEnum};

use crate::domain::context::{fit_budget, render_markdown};
use crate::health::config::read_services;
use crate::health::{ServiceReport, check_services};
use crate::store::snapshot::context_pack;

use super::{CliResult, Env, Failure, print};

#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum PackFormat {
    #[default]
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct ContextArgs {
    #[arg(long, value_enum, default_value_t)]
    pub format: PackFormat,
    /// Trim to about this many tokens (4 characters ≈ 1 token); pending work and the last
    /// handoff's summary are never cut
    #[arg(long, value_name = "TOKENS")]
    pub budget: Option<usize>,
    /// Skip service health checks
    #[arg(long)]
    pub no_health: bool,
}

pub fn run(env: &Env, args: &ContextArgs) -> CliResult {
    print(&pack_text_with(
        env,
        args.format,
        args.budget,
        !args.no_health,
    )?)
}

/// The pack with service health (what `start` prints).
pub fn pack_text(env: &Env, format: PackFormat, budget: Option<usize>) -> Result<String, Failure> {
    pack_text_with(env, format, budget, true)
}

pub fn pack_text_with(
    env: &Env,
    format: PackFormat,
    budget: Option<usize>,
    health: bool,
) -> Result<String, Failure> {
    let mut pack = context_pack(&env.store)?;
    if health {
        pack.health = health_lines(env);
    }
    if let Some(tokens) = budget {
        fit_budget(&mut pack, tokens);
    }
    Ok(match format {
        PackFormat::Markdown => render_markdown(&pack),
        PackFormat::Json => {
            let mut s = serde_json::to_string_pretty(&pack).unwrap_or_default();
            s.push('\n');
            s
        }
    })
}

/// Every enabled service checked once, all at the same time (so at most the longest
/// `timeout_ms`); `None` without a `SERVICES.json` or with nothing enabled. A file that does
/// not parse is already among the pack's problems.
fn health_lines(env: &Env) -> Option<Vec<String>> {
    let read = read_services(&env.store.layout).ok()?;
    if read.broken.is_some() {
        return None;
    }
    let reports = check_services(&read.services);
    (!reports.is_empty()).then(|| reports.iter().map(ServiceReport::line).collect())
}
