-- The languages Wave's rules check (LSP language identifiers as Neovim names them), and YAML
-- for `.wave/` configuration.
return {
  'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust',
  'java', 'ruby', 'sh', 'bash', 'c', 'cpp', 'cs', 'php', 'sql', 'yaml', 'json', 'toml',
  'markdown', 'dockerfile', 'make',
}
