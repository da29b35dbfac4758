-- Wave LSP user commands for Neovim >= 0.11. Every command is a `workspace/executeCommand`
-- request for one of the server's `wave.*` commands; choices go through `vim.ui.select` and
-- `vim.ui.input` (so pickers such as telescope or fzf-lua take over when installed), and
-- `$/progress` is shown from the `LspProgress` event.
local M = {}

M.config = {
  -- Echo `$/progress` messages of the Wave server in the command line.
  progress = true,
  -- Ghost-text completions (textDocument/inlineCompletion) where Neovim has them (0.12+,
  -- `vim.lsp.inline_completion`); accept one with `vim.lsp.inline_completion.get()`.
  inline_completion = true,
  -- How often a running pipeline's status is asked for, in milliseconds.
  poll_ms = 500,
}

local function notify(message, level)
  vim.notify('Wave: ' .. message, level or vim.log.levels.INFO)
end

--- The Wave client of the current buffer, else any running Wave client.
local function wave_client()
  local clients = vim.lsp.get_clients({ name = 'wave', bufnr = 0 })
  if #clients == 0 then
    clients = vim.lsp.get_clients({ name = 'wave' })
  end
  return clients[1]
end

--- Run the server command `command` with one argument object; `callback(result)` on success.
function M.execute(command, argument, callback)
  local client = wave_client()
  if not client then
    notify('the language server is not running (vim.lsp.enable("wave"))', vim.log.levels.ERROR)
    return
  end
  local params = { command = command, arguments = { argument or vim.empty_dict() } }
  client:request('workspace/executeCommand', params, function(err, result)
    if err then
      notify(command .. ': ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if callback then
      callback(result)
    end
  end, 0)
end

--- Where the cursor or a visual selection is, as the arguments a command takes.
local function focus(opts)
  local argument = { uri = vim.uri_from_bufnr(0) }
  if opts and opts.range and opts.range > 0 then
    argument.range = {
      start = { line = opts.line1 - 1, character = 0 },
      ['end'] = { line = opts.line2 - 1, character = 0 },
    }
  end
  return argument
end

local function scratch(name, text, filetype)
  vim.cmd('botright new')
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'wipe'
  vim.bo[buf].swapfile = false
  pcall(vim.api.nvim_buf_set_name, buf, name)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(text, '\n', { plain = true }))
  vim.bo[buf].filetype = filetype or 'markdown'
  vim.bo[buf].modifiable = false
  return buf
end

-- Pipelines ---------------------------------------------------------------------------------

local function watch_run(run_id)
  local timer = assert(vim.uv.new_timer())
  timer:start(M.config.poll_ms, M.config.poll_ms, vim.schedule_wrap(function()
    M.execute('wave.pipeline.status', { runId = run_id }, function(status)
      if status.state == 'queued' or status.state == 'running' or not status.report then
        return
      end
      timer:stop()
      timer:close()
      local level = status.state == 'succeeded' and vim.log.levels.INFO or vim.log.levels.WARN
      local extra = status.proposal and (' — proposal ' .. status.proposal .. ' (:WaveProposals)') or ''
      notify(('run %s of %s: %s%s'):format(run_id, status.pipeline, status.state, extra), level)
      M.last_run = status
      vim.api.nvim_exec_autocmds('User', { pattern = 'WavePipelineDone', data = status })
    end)
  end))
end

local function ask_inputs(inputs, values, done)
  local pending = vim.tbl_filter(function(spec)
    return values[spec.name] == nil
  end, inputs)
  if #pending == 0 then
    return done(values)
  end
  local spec = pending[1]
  local label = ('%s (%s%s): '):format(spec.name, spec.type, spec.required and '' or ', optional')
  vim.ui.input({ prompt = label }, function(value)
    if value == nil then
      return notify('pipeline not started')
    end
    values[spec.name] = value
    ask_inputs(inputs, values, done)
  end)
end

--- :WaveRunPipeline [id] — choose a pipeline, fill its inputs, run it, report when it ends.
function M.run_pipeline(opts)
  local argument = focus(opts)
  M.execute('wave.pipeline.list', nil, function(pipelines)
    if not pipelines or #pipelines == 0 then
      return notify('no pipelines in .wave/pipelines', vim.log.levels.WARN)
    end
    local function start(pipeline)
      if not pipeline then
        return
      end
      -- Inputs of type file/text are filled by the server from the focused document.
      local wanted = vim.tbl_filter(function(spec)
        return spec.type ~= 'file' and spec.type ~= 'file_list' and spec.type ~= 'text'
      end, pipeline.inputs or {})
      ask_inputs(wanted, {}, function(values)
        argument.pipeline = pipeline.id
        argument.inputs = next(values) and values or vim.empty_dict()
        M.execute('wave.pipeline.run', argument, function(started)
          notify(('run %s of %s: %s'):format(started.runId, pipeline.id, started.state))
          watch_run(started.runId)
        end)
      end)
    end
    local wanted_id = opts and opts.args ~= '' and opts.args or nil
    if wanted_id then
      for _, pipeline in ipairs(pipelines) do
        if pipeline.id == wanted_id then
          return start(pipeline)
        end
      end
      return notify('no pipeline ' .. wanted_id, vim.log.levels.ERROR)
    end
    vim.ui.select(pipelines, {
      prompt = 'Run pipeline',
      format_item = function(p)
        return p.id .. (p.description and p.description ~= vim.NIL and (' — ' .. p.description) or '')
      end,
    }, start)
  end)
end

-- Proposals ---------------------------------------------------------------------------------

local function choose_proposal(prompt, opts, then_do)
  if opts and opts.args and opts.args ~= '' then
    return then_do(opts.args)
  end
  M.execute('wave.proposal.list', nil, function(proposals)
    local open = vim.tbl_filter(function(p)
      return p.status == 'pending'
    end, proposals or {})
    if #open == 0 then
      return notify('no pending proposals')
    end
    vim.ui.select(open, {
      prompt = prompt,
      format_item = function(p)
        return ('%s  %s  %s'):format(p.id, p.origin, p.summary)
      end,
    }, function(choice)
      if choice then
        then_do(choice.id)
      end
    end)
  end)
end

--- Apply or reject (`verb`) a proposal: the one named, else one chosen.
local function decide(verb, title)
  return function(opts)
    choose_proposal(title, opts, function(id)
      M.execute('wave.proposal.' .. verb, { id = id }, function(result)
        notify(('proposal %s: %s'):format(id, result.status))
      end)
    end)
  end
end

M.apply = decide('apply', 'Apply proposal')
M.reject = decide('reject', 'Reject proposal')

--- :WaveProposals — choose a pending proposal, read its diff, then apply or reject it.
function M.proposals(opts)
  choose_proposal('Proposal', opts, function(id)
    M.execute('wave.proposal.show', { id = id }, function(shown)
      if not shown.shown then
        scratch('wave://proposal/' .. id, shown.diff, 'diff')
      end
      vim.ui.select({ 'apply', 'reject', 'later' }, { prompt = 'Proposal ' .. id }, function(what)
        if what == 'apply' or what == 'reject' then
          M[what]({ args = id })
        end
      end)
    end)
  end)
end

-- Context, checkpoints, persona --------------------------------------------------------------

local function show_context(report)
  local lines = {
    ('# Context for persona %s: %d of %d tokens'):format(report.persona, report.totalTokens, report.budget),
    '',
  }
  for _, file in ipairs(report.files or {}) do
    local reason = file.reason ~= vim.NIL and file.reason and (' — ' .. file.reason) or ''
    table.insert(lines, ('- %s: %s, %d tokens%s'):format(file.path, file.status, file.tokens, reason))
  end
  for _, r in ipairs(report.redactions or {}) do
    table.insert(lines, ('- redacted %s in %s line %s'):format(r.kind, r.path, r.line))
  end
  scratch('wave://context', table.concat(lines, '\n'))
end

--- :WaveContext [show|add|remove|clear] — the context an AI action would send, or change it.
function M.context(opts)
  local what = opts and opts.fargs and opts.fargs[1] or 'show'
  local argument = focus(opts)
  if what == 'show' then
    M.execute('wave.context.show', argument, show_context)
  elseif what == 'add' or what == 'remove' then
    if opts.fargs[2] then
      argument = { path = vim.fn.fnamemodify(opts.fargs[2], ':p') }
    end
    M.execute('wave.context.' .. what, argument, function(result)
      notify('context files: ' .. (#result.files > 0 and table.concat(result.files, ', ') or 'none'))
    end)
  elseif what == 'clear' then
    M.execute('wave.context.clear', nil, function()
      notify('context cleared')
    end)
  else
    notify('usage: :WaveContext [show|add [file]|remove [file]|clear]', vim.log.levels.ERROR)
  end
end

--- :WaveCheckpoint [save NAME|restore|delete|list]
function M.checkpoint(opts)
  local what = opts and opts.fargs and opts.fargs[1] or 'list'
  local function pick(prompt, then_do)
    M.execute('wave.checkpoint.list', nil, function(checkpoints)
      if not checkpoints or #checkpoints == 0 then
        return notify('no checkpoints')
      end
      vim.ui.select(checkpoints, {
        prompt = prompt,
        format_item = function(c)
          return ('%s  %s  %s'):format(c.id, c.name, c.createdAt or '')
        end,
      }, function(choice)
        if choice then
          then_do(choice)
        end
      end)
    end)
  end
  if what == 'save' then
    local function save(name)
      if name and name ~= '' then
        M.execute('wave.checkpoint.save', { name = name }, function(saved)
          notify(('checkpoint %s saved (%d messages)'):format(saved.name, saved.messageCount))
        end)
      end
    end
    if opts.fargs[2] then
      save(table.concat(vim.list_slice(opts.fargs, 2), ' '))
    else
      vim.ui.input({ prompt = 'Checkpoint name: ' }, save)
    end
  elseif what == 'restore' or what == 'delete' or what == 'list' then
    pick(what == 'list' and 'Checkpoints' or ('Checkpoint to ' .. what), function(choice)
      if what == 'list' then
        return
      end
      M.execute('wave.checkpoint.' .. what, { id = choice.id }, function()
        notify(('checkpoint %s: %sd'):format(choice.name, what == 'restore' and 'restore' or 'delete'))
      end)
    end)
  else
    notify('usage: :WaveCheckpoint [save NAME|restore|delete|list]', vim.log.levels.ERROR)
  end
end

--- :WavePersona [name]
function M.persona(opts)
  local function select(name)
    if name and name ~= '' then
      M.execute('wave.persona.select', { name = name }, function(result)
        notify('persona: ' .. (result.persona or name))
      end)
    end
  end
  if opts and opts.args ~= '' then
    return select(opts.args)
  end
  vim.ui.input({ prompt = 'Persona: ' }, select)
end

--- :WaveAsk {question} — a free-form request about the current buffer (or the selection).
function M.ask(opts)
  local argument = focus(opts)
  local function send(question)
    if question and question ~= '' then
      argument.prompt = question
      M.execute('wave.ask', argument, function(result)
        local text = result.text or ''
        if result.proposal then
          text = text .. '\n\n```diff\n' .. result.diff .. '\n```\n'
          notify('proposal ' .. result.proposal .. ': :WaveProposals to apply or reject it')
        end
        scratch('wave://answer', text)
      end)
    end
  end
  if opts and opts.args ~= '' then
    return send(opts.args)
  end
  vim.ui.input({ prompt = 'Ask Wave: ' }, send)
end

--- :WaveAgent {instruction} — the built-in agent on the workspace; its changes become a proposal.
function M.agent(opts)
  local argument = focus(opts)
  local function send(instruction)
    if instruction and instruction ~= '' then
      argument.instruction = instruction
      M.execute('wave.agent.run', argument, function(result)
        local text = result.text or ''
        if result.denials and #result.denials > 0 then
          text = text .. '\n\nRefused:\n- ' .. table.concat(result.denials, '\n- ')
        end
        if result.proposal then
          text = text .. '\n\n```diff\n' .. result.diff .. '\n```\n'
          notify('proposal ' .. result.proposal .. ': :WaveProposals to apply or reject it')
        end
        scratch('wave://agent', text)
      end)
    end
  end
  if opts and opts.args ~= '' then
    return send(opts.args)
  end
  vim.ui.input({ prompt = 'Wave agent: ' }, send)
end

-- Setup -------------------------------------------------------------------------------------

local function complete(choices)
  return function(lead)
    return vim.tbl_filter(function(c)
      return c:find(lead, 1, true) == 1
    end, choices)
  end
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', M.config, opts or {})
  local command = vim.api.nvim_create_user_command
  command('WaveRunPipeline', M.run_pipeline, { nargs = '?', range = true, desc = 'Wave: run a pipeline' })
  command('WaveProposals', M.proposals, { nargs = '?', desc = 'Wave: review a proposal' })
  command('WaveApply', M.apply, { nargs = '?', desc = 'Wave: apply a proposal' })
  command('WaveReject', M.reject, { nargs = '?', desc = 'Wave: reject a proposal' })
  command('WaveContext', M.context, {
    nargs = '*', range = true, complete = complete({ 'show', 'add', 'remove', 'clear' }),
    desc = 'Wave: show or change the AI context',
  })
  command('WaveCheckpoint', M.checkpoint, {
    nargs = '*', complete = complete({ 'save', 'restore', 'delete', 'list' }),
    desc = 'Wave: save or restore a checkpoint',
  })
  command('WavePersona', M.persona, { nargs = '?', desc = 'Wave: select the persona' })
  command('WaveAsk', M.ask, { nargs = '*', range = true, desc = 'Wave: ask about this code' })
  command('WaveAgent', M.agent, { nargs = '*', range = true, desc = 'Wave: run the agent' })

  local group = vim.api.nvim_create_augroup('wave', { clear = true })
  vim.api.nvim_create_autocmd('LspProgress', {
    group = group,
    callback = function(event)
      if not M.config.progress then
        return
      end
      local client = vim.lsp.get_client_by_id(event.data.client_id)
      local value = event.data.params and event.data.params.value or {}
      if not client or client.name ~= 'wave' or type(value) ~= 'table' then
        return
      end
      local text = value.title or value.message or ''
      if value.kind == 'end' then
        text = (value.message or 'done')
      end
      M.last_progress = value
      vim.api.nvim_echo({ { 'Wave: ' .. text } }, false, {})
    end,
  })
  vim.api.nvim_create_autocmd('LspAttach', {
    group = group,
    callback = function(event)
      local client = vim.lsp.get_client_by_id(event.data.client_id)
      M.inline_completion = M.enable_inline_completion(client, event.buf)
    end,
  })
end

--- Turn on ghost-text completions for `bufnr` when Neovim has them (0.12+) and the server
--- offers them; returns whether it did (Neovim 0.11 has no inline completion: nothing).
function M.enable_inline_completion(client, bufnr)
  if not (M.config.inline_completion and client and client.name == 'wave') then
    return false
  end
  local inline = vim.lsp.inline_completion
  if not inline or not client:supports_method('textDocument/inlineCompletion', bufnr) then
    return false
  end
  inline.enable(true, { bufnr = bufnr })
  return true
end

return M
