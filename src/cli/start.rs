use clap::Args;

use crate::domain::template::Template;
use crate::store::ops::StartRequest;

use super::context::{PackFormat, pack_text};
use super::{CliResult, Env, Failure, print, report_redactions};

#[derive(Debug, Args)]
pub struct StartArgs {
    /// What this session is for
    #[arg(long, value_name = "TEXT")]
    pub goal: Option<String>,
    /// Attach the seed's checklist for this kind of session
    #[arg(long, value_name = "development|strategic|execution", value_parser = parse_template)]
    pub template: Option<Template>,
    /// Use this id instead of the next YYYY-MM-DD-NNN
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// Print only the id
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_template(s: &str) -> Result<Template, String> {
    Template::parse(s)
        .ok_or_else(|| format!("unknown template {s:?}; use development, strategic or execution"))
}

pub fn run(env: &Env, args: &StartArgs) -> CliResult {
    let req = StartRequest {
        goal: args.goal.clone().unwrap_or_default(),
        template: args.template,
        id: args.id.clone(),
    };
    let (id, notes) = env.store.start(req, env.now)?;
    report_redactions(&notes);
    let mut out = format!("{id}\n");
    if !args.quiet {
        out.push('\n');
        out.push_str(
            &pack_text(env, PackFormat::Markdown, None).map_err(|f| Failure {
                code: f.code,
                message: format!("started {id}, but {}", f.message),
            })?,
        );
    }
    print(&out)?;
    super::sync::retry_due(env);
    Ok(())
}
