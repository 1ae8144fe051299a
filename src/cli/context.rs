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
    /// Ask the memory server about this (Mem0: `POST /search`; the seed's server gets it as
    /// `?query=`)
    #[arg(long, value_name = "TEXT")]
    pub query: Option<String>,
    /// Do not ask the memory server
    #[arg(long)]
    pub no_memory: bool,
}

pub fn run(env: &Env, args: &ContextArgs) -> CliResult {
    let memory = (!args.no_memory).then_some(args.query.as_deref());
    print(&pack_text_opts(
        env,
        args.format,
        args.budget,
        !args.no_health,
        memory,
    )?)?;
    super::sync::retry_due(env);
    Ok(())
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
    pack_text_opts(env, format, budget, health, Some(None))
}

/// The pack; `memory`: ask the configured memory server (with this query), or not (`None`).
pub fn pack_text_opts(
    env: &Env,
    format: PackFormat,
    budget: Option<usize>,
    health: bool,
    memory: Option<Option<&str>>,
) -> Result<String, Failure> {
    let mut pack = context_pack(&env.store)?;
    if health {
        pack.health = health_lines(env);
    }
    if let Some(query) = memory {
        pack.memory = memory_lines(env, query);
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

/// What the configured memory server says (bounded by `$BATON_SYNC_TIMEOUT_MS`); `None`
/// when none is configured. A failure is one line saying so: the pack is never held up.
fn memory_lines(env: &Env, query: Option<&str>) -> Option<Vec<String>> {
    let target = match crate::store::outbox::target(&env.store.layout, None, None) {
        Ok(Some(t)) => t,
        Ok(None) => return None,
        Err(e) => return Some(vec![format!("(memory server not asked: {e})")]),
    };
    let budget = crate::sync::memory::auto_budget();
    Some(
        match crate::sync::memory::fetch_context(&env.store, &target, query, budget) {
            Ok(lines) => lines,
            Err(e) => vec![format!("({} did not answer: {e})", target.url)],
        },
    )
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
