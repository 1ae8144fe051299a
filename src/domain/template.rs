//! The seed's three session templates, shipped in `assets/templates/`, as checklists.

use super::session::ChecklistItem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    Development,
    Strategic,
    Execution,
}

impl Template {
    pub fn name(self) -> &'static str {
        match self {
            Template::Development => "development",
            Template::Strategic => "strategic",
            Template::Execution => "execution",
        }
    }

    pub fn parse(name: &str) -> Option<Template> {
        [
            Template::Development,
            Template::Strategic,
            Template::Execution,
        ]
        .into_iter()
        .find(|t| t.name().eq_ignore_ascii_case(name.trim()))
    }

    pub fn markdown(self) -> &'static str {
        match self {
            Template::Development => include_str!("../../assets/templates/development.md"),
            Template::Strategic => include_str!("../../assets/templates/strategic.md"),
            Template::Execution => include_str!("../../assets/templates/execution.md"),
        }
    }

    /// Every list item, with the heading it sits under.
    pub fn checklist(self) -> Vec<ChecklistItem> {
        let mut section = String::new();
        let mut items = Vec::new();
        for line in self.markdown().lines() {
            let line = line.trim();
            if let Some(h) = line.strip_prefix('#') {
                section = h.trim_start_matches('#').trim().to_string();
            } else if let Some(item) = line.strip_prefix("- ") {
                let item = item
                    .trim_start_matches("[ ]")
                    .trim_start_matches("[x]")
                    .trim();
                items.push(ChecklistItem {
                    section: section.clone(),
                    item: item.to_string(),
                    done: false,
                });
            }
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_checklists() {
        let dev = Template::Development.checklist();
        assert_eq!(dev.len(), 11);
        assert_eq!(dev[0].section, "Session Start Checklist");
        assert_eq!(dev[0].item, "Load UNIFIED_KNOWLEDGE.json");
        assert_eq!(dev[10].item, "List next steps clearly");
        assert_eq!(Template::Execution.checklist()[3].section, "Session Goals");
        assert_eq!(Template::parse("Strategic"), Some(Template::Strategic));
    }
}
