use clap::{Args, ValueEnum};

use crate::domain::context::{fit_budget, render_markdown};
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
    print(&pack_text(env, args.format, args.budget)?)
}

pub fn pack_text(env: &Env, format: PackFormat, budget: Option<usize>) -> Result<String, Failure> {
    let mut pack = context_pack(&env.store)?;
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
