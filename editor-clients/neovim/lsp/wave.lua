-- Wave LSP for Neovim >= 0.11: `vim.lsp.config` reads this file from the runtimepath
-- (`lsp/wave.lua`); enable it with `vim.lsp.enable('wave')`. nvim-lspconfig users get the same
-- configuration through lspconfig, which also reads `lsp/*.lua` files.
---@type vim.lsp.Config
return {
  cmd = { 'wave', 'lsp' },
  filetypes = require('wave.filetypes'),
  root_markers = { '.wave', '.git' },
  -- Settings (see the server's ClientSettings): persona, model ("provider:model"), logLevel,
  -- debounceMs, actionTimeoutMs, disabledActions. Sent as initializationOptions and answered
  -- to workspace/configuration (section "wave").
  init_options = {},
  settings = { wave = {} },
}
