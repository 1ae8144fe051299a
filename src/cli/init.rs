use super::{CliResult, Env, print};

pub fn run(env: &Env) -> CliResult {
    let created = env.store.init()?;
    let lines: String = created
        .iter()
        .map(|p| format!("created {}\n", p.display()))
        .collect();
    print(&lines)
}
