-- Loaded by Neovim's plugin manager (or `:packadd`): the Wave user commands. Configure the
-- server itself with `vim.lsp.config('wave', {...})` and start it with `vim.lsp.enable('wave')`.
if vim.g.loaded_wave then
  return
end
vim.g.loaded_wave = true
require('wave').setup(vim.g.wave or {})
