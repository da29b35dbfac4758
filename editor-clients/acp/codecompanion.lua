-- Wave as a CodeCompanion ACP adapter (see README.md).
require("codecompanion").setup({
  adapters = {
    acp = {
      wave = function()
        return require("codecompanion.adapters").extend("gemini_cli", {
          name = "wave",
          formatted_name = "Wave",
          commands = { default = { "/path/to/wave-lsp/.venv/bin/wave", "acp" } },
          defaults = { auth_method = nil, mcpServers = {}, timeout = 20000 },
          env = {},
        })
      end,
    },
  },
  strategies = { chat = { adapter = "wave" } },
})
