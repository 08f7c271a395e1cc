"""Text and markup shared by every stage: how lines are counted, scraped text repaired,
and curator files (YAML, front matter, Markdown) read, each with file lines kept.

- `lines`: line breaks as an editor counts them;
- `repair`: repair and normalise scraped titles and abstracts; their match keys and slugs;
- `weblinks`: URLs found in scraped text, cleaned and classified (`ExternalLink`);
- `yamlscan`, `yamlsafe`: size- and alias-capped YAML that remembers the line of each value;
- `frontmatter`: split a curator file into YAML data and a Markdown body, read typed fields;
- `markdown`, `autolink`: curator Markdown to HTML, with linear-time bare-URL autolinks.
"""
