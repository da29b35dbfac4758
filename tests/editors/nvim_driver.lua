-- Drives a real Neovim (headless) through Wave's client: our lsp/wave.lua config and the user
-- commands of lua/wave. Writes what it saw as JSON to $WAVE_RESULT and exits non-zero when a step
-- fails or times out. Run: nvim --headless -u NONE -i NONE -n -l nvim_driver.lua
local root = assert(os.getenv('WAVE_ROOT'))
local result_path = assert(os.getenv('WAVE_RESULT'))
local out = { steps = {}, methods = {}, notifications = {} }

local function finish(failure)
  out.failure = failure
  local file = assert(io.open(result_path, 'w'))
  file:write(vim.json.encode(out))
  file:close()
  for _, client in ipairs(vim.lsp.get_clients()) do
    client:stop(true)
  end
  os.exit(failure and 1 or 0)
end

vim.defer_fn(function()
  finish('timed out after 120 s at step ' .. #out.steps)
end, 120000)

local function wait(what, seconds, condition)
  if not vim.wait(seconds * 1000, condition, 50) then
    finish('timed out waiting for ' .. what)
  end
  table.insert(out.steps, what)
end

local function text()
  return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n') .. '\n'
end

local ok, err = xpcall(function()
  vim.opt.runtimepath:prepend(assert(os.getenv('WAVE_CLIENT_DIR')))
  vim.cmd('filetype on')
  vim.notify = function(message, level)
    table.insert(out.notifications, { message = message, level = level })
  end
  vim.cmd('runtime plugin/wave.lua') -- what a plugin manager does: the user commands
  vim.lsp.config('wave', { cmd = vim.json.decode(assert(os.getenv('WAVE_CMD'))) })
  vim.lsp.enable('wave')

  vim.cmd.edit(root .. '/app.py')
  local client
  wait('attached', 30, function()
    client = vim.lsp.get_clients({ name = 'wave', bufnr = 0 })[1]
    return client ~= nil and client.initialized
  end)
  out.root_dir = client.root_dir
  local request = client.request
  client.request = function(self, method, ...)
    table.insert(out.methods, method)
    return request(self, method, ...)
  end

  -- 1. Diagnostics from the planted file.
  wait('diagnostics', 30, function()
    return #vim.diagnostic.get(0) > 0
  end)
  out.diagnostics = vim.tbl_map(function(d)
    return { code = d.code, lnum = d.lnum, col = d.col, source = d.source, message = d.message }
  end, vim.diagnostic.get(0))

  -- 2. The rule's quick fix, through Neovim's own code-action path.
  vim.api.nvim_win_set_cursor(0, { 5, 14 })
  vim.lsp.buf.code_action({
    context = { only = { 'quickfix' } },
    filter = function(action)
      return action.title:find('security.yaml-load', 1, true) ~= nil
    end,
    apply = true,
  })
  wait('quick fix applied', 30, function()
    return text():find('yaml.safe_load', 1, true) ~= nil
  end)
  out.fixed = text()

  -- 3. :WaveRunPipeline lists the pipelines (wave.pipeline.list) and runs the one chosen.
  vim.ui.select = function(items, opts, on_choice)
    out.pipelines = vim.tbl_map(function(p)
      return opts.format_item and opts.format_item(p) or p
    end, items)
    for index, item in ipairs(items) do
      if item.id == 'hello' then
        return on_choice(item, index)
      end
    end
    on_choice(nil, nil)
  end
  local done
  vim.api.nvim_create_autocmd('User', {
    pattern = 'WavePipelineDone',
    callback = function(event)
      done = event.data
    end,
  })
  vim.cmd('WaveRunPipeline')
  wait('pipeline finished', 60, function()
    return done ~= nil
  end)
  out.run = { state = done.state, tasks = done.tasks, report = done.report }

  -- 4. An AI code action, edited through codeAction/resolve.
  vim.api.nvim_win_set_cursor(0, { 4, 0 })
  vim.lsp.buf.code_action({
    filter = function(action)
      return action.title == 'Add docstrings'
    end,
    apply = true,
  })
  wait('AI edit applied', 60, function()
    return text():find('Parse one YAML document', 1, true) ~= nil
  end)
  out.documented = text()
  out.progress = require('wave').last_progress

  -- 5. :WaveAgent: the built-in agent's answer and proposal in a scratch buffer.
  vim.cmd('WaveAgent write the notes')
  local agent_buf
  wait('agent answered', 60, function()
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_get_name(buf):find('wave://agent', 1, true) then
        agent_buf = buf
        return true
      end
    end
    return false
  end)
  out.agent = table.concat(vim.api.nvim_buf_get_lines(agent_buf, 0, -1, false), '\n')

  -- 6. Inline completion: offered by the server; turned on where Neovim has it (0.12+).
  out.server_inline = client.server_capabilities.inlineCompletionProvider ~= nil
  out.has_inline_api = vim.lsp.inline_completion ~= nil
  out.inline_enabled = require('wave').inline_completion == true

  -- 7. Completion in a pipeline file: a new line in the task lists the keys it lacks.
  vim.cmd.edit(root .. '/.wave/pipelines/hello.yaml')
  wait('attached to the pipeline file', 30, function()
    return #vim.lsp.get_clients({ name = 'wave', bufnr = 0 }) > 0
  end)
  local last = vim.api.nvim_buf_line_count(0)
  vim.api.nvim_buf_set_lines(0, last, last, false, { '      ' })
  local answers = vim.lsp.buf_request_sync(0, 'textDocument/completion', {
    textDocument = { uri = vim.uri_from_bufnr(0) },
    position = { line = last, character = 6 },
  }, 15000)
  out.completion = {}
  for _, answer in pairs(answers or {}) do
    local items = answer.result and (answer.result.items or answer.result) or {}
    for _, item in ipairs(items) do
      table.insert(out.completion, item.label)
    end
  end
end, debug.traceback)

finish(not ok and tostring(err) or nil)
