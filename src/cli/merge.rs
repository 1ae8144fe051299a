use super::{CliResult, Env, Failure, print};

pub fn run(env: &Env) -> CliResult {
    let (merged, problems) = env.store.finish_merges()?;
    let lines: String = merged.iter().map(|id| format!("merged {id}\n")).collect();
    print(&lines)?;
    if problems.is_empty() {
        return Ok(());
    }
    let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
    Err(Failure::usage(format!(
        "{}\nbaton: fix the file, then run `baton merge` again.",
        problems.join("\nbaton: ")
    )))
}
