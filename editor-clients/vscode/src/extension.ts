// Wave LSP for VS Code: a thin client. It starts `wave lsp` (stdio), passes the `wave.*`
// settings as initializationOptions and answers workspace/configuration from them, and adds
// command-palette commands for the server commands that need a UI (quick picks and input boxes).
// Diagnostics, code actions (resolved lazily), progress and edits are the language client's own.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";

const LANGUAGES = [
  "python", "javascript", "javascriptreact", "typescript", "typescriptreact", "go", "rust",
  "java", "ruby", "shellscript", "c", "cpp", "csharp", "php", "sql", "yaml", "json",
  "dockerfile",
];

let client: LanguageClient | undefined;
// VS Code runs a resolved code action's command through a cache of converted commands that is
// gone by then ("Actual command not found") when the command has arguments. The server's
// `wave.proposal.applied {id}` (the edit was applied: the proposal can be rolled back) is held
// here and run by an argument-less command of the extension instead.
let appliedPending: unknown[] | undefined;
let output: vscode.LogOutputChannel;
let status: vscode.StatusBarItem;
let persona: string | undefined;

interface Pipeline { id: string; name: string; description?: string; inputs: { name: string; type: string; required: boolean }[] }
interface ProposalSummary { id: string; status: string; origin: string; summary: string }
interface RunStatus { runId: string; pipeline: string; state: string; proposal?: string | null; report?: string | null }

function settings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration("wave");
  return {
    persona: config.get<string | null>("persona") || undefined,
    model: config.get<string | null>("model") || undefined,
    logLevel: config.get<string | null>("logLevel") || undefined,
    debounceMs: config.get<number>("debounceMs"),
    actionTimeoutMs: config.get<number>("actionTimeoutMs"),
    disabledActions: config.get<string[]>("disabledActions"),
  };
}

function serverOptions(): ServerOptions {
  const config = vscode.workspace.getConfiguration("wave.server");
  const python = config.get<string>("python");
  const [command, ...args] = python
    ? [python, "-m", "wave_lsp", "lsp"]
    : config.get<string[]>("command") ?? ["wave", "lsp"];
  // The language client appends --stdio for TransportKind.stdio.
  return { command, args, transport: TransportKind.stdio };
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      ...LANGUAGES.map((language) => ({ scheme: "file", language })),
      { scheme: "untitled", language: "python" },
    ],
    initializationOptions: settings(),
    outputChannel: output,
    synchronize: { configurationSection: "wave" },
    middleware: {
      resolveCodeAction: async (item, token, next) => {
        const resolved = await next(item, token);
        if (resolved?.command?.command === "wave.proposal.applied") {
          appliedPending = resolved.command.arguments;
          resolved.command = { title: resolved.command.title, command: "waveLsp.proposalApplied" };
        }
        return resolved;
      },
      workspace: {
        // Answer the `wave` section with the settings in the server's shape.
        configuration: async (params, token, next) => {
          const result = await next(params, token);
          if (!Array.isArray(result)) {
            return result;
          }
          return params.items.map((item, index) =>
            item.section === "wave" ? settings() : result[index]);
        },
      },
    },
  };
  client = new LanguageClient("wave", "Wave LSP", serverOptions(), clientOptions);
  client.onDidChangeState((event) => updateStatus(event.newState));
  await client.start();
  context.subscriptions.push(client);
}

function updateStatus(state?: State): void {
  const config = vscode.workspace.getConfiguration("wave");
  const model = config.get<string | null>("model") || "default model";
  const who = persona || config.get<string | null>("persona") || "default persona";
  const running = state === undefined ? client?.state === State.Running : state === State.Running;
  status.text = `$(sparkle) Wave: ${who} · ${model}`;
  status.tooltip = running ? "Wave LSP is running — select persona" : "Wave LSP is not running";
  status.backgroundColor = running ? undefined : new vscode.ThemeColor("statusBarItem.warningBackground");
  status.show();
}

async function execute<T>(command: string, argument: Record<string, unknown> = {}): Promise<T> {
  if (!client || client.state !== State.Running) {
    throw new Error("the Wave language server is not running");
  }
  return client.sendRequest<T>("workspace/executeCommand", { command, arguments: [argument] });
}

function focus(): Record<string, unknown> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    return {};
  }
  const argument: Record<string, unknown> = { uri: editor.document.uri.toString() };
  if (!editor.selection.isEmpty) {
    const { start, end } = editor.selection;
    argument.range = {
      start: { line: start.line, character: start.character },
      end: { line: end.line, character: end.character },
    };
  }
  return argument;
}

async function runPipeline(): Promise<void> {
  const pipelines = await execute<Pipeline[]>("wave.pipeline.list");
  if (!pipelines.length) {
    void vscode.window.showInformationMessage("Wave: no pipelines in .wave/pipelines");
    return;
  }
  const picked = await vscode.window.showQuickPick(
    pipelines.map((p) => ({ label: p.id, description: p.name, detail: p.description, pipeline: p })),
    { title: "Wave: run pipeline", placeHolder: "Pipeline" },
  );
  if (!picked) {
    return;
  }
  const inputs: Record<string, string> = {};
  const fromEditor = Boolean(vscode.window.activeTextEditor);
  for (const input of picked.pipeline.inputs) {
    if (fromEditor && ["file", "file_list", "text"].includes(input.type)) {
      continue; // the server fills these from the focused document or selection
    }
    const value = await vscode.window.showInputBox({
      title: `Wave: ${picked.pipeline.id}`,
      prompt: `${input.name} (${input.type}${input.required ? "" : ", optional"})`,
      ignoreFocusOut: true,
    });
    if (value === undefined) {
      return;
    }
    inputs[input.name] = value;
  }
  const started = await execute<{ runId: string; state: string }>("wave.pipeline.run", {
    ...focus(), pipeline: picked.pipeline.id, inputs,
  });
  void vscode.window.showInformationMessage(`Wave: run ${started.runId} of ${picked.pipeline.id}: ${started.state}`);
  const finished = await new Promise<RunStatus>((resolve) => {
    const timer = setInterval(async () => {
      try {
        const run = await execute<RunStatus>("wave.pipeline.status", { runId: started.runId });
        if (!["queued", "running"].includes(run.state) && run.report) {
          clearInterval(timer);
          resolve(run);
        }
      } catch (error) {
        clearInterval(timer);
        resolve({ runId: started.runId, pipeline: picked.pipeline.id, state: `unknown (${error})` });
      }
    }, 500);
  });
  const actions = [finished.report ? "Open Report" : undefined, finished.proposal ? "Show Proposal" : undefined]
    .filter((a): a is string => Boolean(a));
  const message = `Wave: run ${finished.runId} of ${finished.pipeline}: ${finished.state}`;
  const show = finished.state === "succeeded"
    ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
  const chosen = await show(message, ...actions);
  if (chosen === "Open Report" && finished.report) {
    await vscode.window.showTextDocument(vscode.Uri.parse(finished.report));
  } else if (chosen === "Show Proposal" && finished.proposal) {
    await showProposal(finished.proposal);
  }
}

async function pickProposal(title: string): Promise<string | undefined> {
  const proposals = (await execute<ProposalSummary[]>("wave.proposal.list")).filter((p) => p.status === "pending");
  if (!proposals.length) {
    void vscode.window.showInformationMessage("Wave: no pending proposals");
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    proposals.map((p) => ({ label: p.id, description: p.origin, detail: p.summary })), { title },
  );
  return picked?.label;
}

async function showProposal(id?: string): Promise<void> {
  id = id ?? await pickProposal("Wave: show proposal");
  if (!id) {
    return;
  }
  const shown = await execute<{ diff: string; shown: boolean }>("wave.proposal.show", { id });
  if (!shown.shown) {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: shown.diff, language: "diff" }));
  }
  const choice = await vscode.window.showInformationMessage(`Wave: proposal ${id}`, "Apply", "Reject");
  if (choice === "Apply") {
    await applyProposal(id);
  } else if (choice === "Reject") {
    await rejectProposal(id);
  }
}

async function applyProposal(id?: string): Promise<void> {
  id = id ?? await pickProposal("Wave: apply proposal");
  if (id) {
    const result = await execute<{ status: string }>("wave.proposal.apply", { id });
    void vscode.window.showInformationMessage(`Wave: proposal ${id}: ${result.status}`);
  }
}

async function rejectProposal(id?: string): Promise<void> {
  id = id ?? await pickProposal("Wave: reject proposal");
  if (id) {
    const result = await execute<{ status: string }>("wave.proposal.reject", { id });
    void vscode.window.showInformationMessage(`Wave: proposal ${id}: ${result.status}`);
  }
}

async function showContext(): Promise<void> {
  const report = await execute<{
    persona: string; budget: number; totalTokens: number;
    files: { path: string; status: string; tokens: number; reason?: string | null }[];
    redactions: { path: string; kind: string; line: number }[];
  }>("wave.context.show", focus());
  const lines = [`# Context for persona ${report.persona}: ${report.totalTokens} of ${report.budget} tokens`, ""];
  for (const file of report.files) {
    lines.push(`- ${file.path}: ${file.status}, ${file.tokens} tokens${file.reason ? ` — ${file.reason}` : ""}`);
  }
  for (const redaction of report.redactions) {
    lines.push(`- redacted ${redaction.kind} in ${redaction.path} line ${redaction.line}`);
  }
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: lines.join("\n"), language: "markdown" }));
}

async function saveCheckpoint(): Promise<void> {
  const name = await vscode.window.showInputBox({ title: "Wave: save checkpoint", prompt: "Name" });
  if (name) {
    const saved = await execute<{ name: string; messageCount: number }>("wave.checkpoint.save", { name });
    void vscode.window.showInformationMessage(`Wave: checkpoint ${saved.name} saved (${saved.messageCount} messages)`);
  }
}

async function restoreCheckpoint(): Promise<void> {
  const checkpoints = await execute<{ id: string; name: string; createdAt?: string }[]>("wave.checkpoint.list");
  const picked = await vscode.window.showQuickPick(
    checkpoints.map((c) => ({ label: c.name, description: c.createdAt, id: c.id })),
    { title: "Wave: restore checkpoint" },
  );
  if (picked) {
    await execute("wave.checkpoint.restore", { id: picked.id });
    void vscode.window.showInformationMessage(`Wave: checkpoint ${picked.label} restored`);
  }
}

async function selectPersona(): Promise<void> {
  const name = await vscode.window.showInputBox({ title: "Wave: select persona", prompt: "Persona name" });
  if (name) {
    const result = await execute<{ persona: string }>("wave.persona.select", { name });
    persona = result.persona;
    updateStatus();
  }
}

async function selectModel(): Promise<void> {
  const config = vscode.workspace.getConfiguration("wave");
  const model = await vscode.window.showInputBox({
    title: "Wave: provider and model",
    prompt: "provider:model (e.g. openai:gpt-4o-mini, ollama:qwen2.5-coder:7b); empty for the default",
    value: config.get<string | null>("model") ?? "",
  });
  if (model !== undefined) {
    // didChangeConfiguration tells the server; the status bar follows.
    await config.update("model", model || null, vscode.ConfigurationTarget.Workspace);
    updateStatus();
  }
}

async function ask(): Promise<void> {
  const prompt = await vscode.window.showInputBox({ title: "Wave: ask", prompt: "Question or request" });
  if (!prompt) {
    return;
  }
  const answer = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "Wave: asking…", cancellable: false },
    () => execute<{ text: string; proposal?: string; diff?: string }>("wave.ask", { ...focus(), prompt }),
  );
  const text = answer.proposal ? `${answer.text}\n\n\`\`\`diff\n${answer.diff}\n\`\`\`\n` : answer.text;
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: text, language: "markdown" }));
  if (answer.proposal) {
    await showProposal(answer.proposal);
  }
}

async function runAgent(): Promise<void> {
  const instruction = await vscode.window.showInputBox({ title: "Wave: agent", prompt: "What should the agent do?" });
  if (!instruction) {
    return;
  }
  // The server reports each step in $/progress (shown by the client) and asks with
  // window/showMessageRequest before any call a rule says to ask about.
  const answer = await execute<{ text: string; proposal?: string; denials: string[] }>("wave.agent.run", {
    ...focus(),
    instruction,
  });
  const refused = answer.denials.length ? `\n\nRefused:\n${answer.denials.map((d) => `- ${d}`).join("\n")}` : "";
  await vscode.window.showTextDocument(
    await vscode.workspace.openTextDocument({ content: answer.text + refused, language: "markdown" }),
  );
  if (answer.proposal) {
    await showProposal(answer.proposal);
  }
}

function guarded(action: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await action();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      output.error(message);
      void vscode.window.showErrorMessage(`Wave: ${message}`);
    }
  };
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("Wave LSP", { log: true });
  status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  status.command = "waveLsp.selectPersona";
  context.subscriptions.push(output, status);
  const commands: Record<string, () => Promise<void>> = {
    "waveLsp.runPipeline": runPipeline,
    "waveLsp.showProposal": () => showProposal(),
    "waveLsp.applyProposal": () => applyProposal(),
    "waveLsp.rejectProposal": () => rejectProposal(),
    "waveLsp.showContext": showContext,
    "waveLsp.saveCheckpoint": saveCheckpoint,
    "waveLsp.restoreCheckpoint": restoreCheckpoint,
    "waveLsp.selectPersona": selectPersona,
    "waveLsp.selectModel": selectModel,
    "waveLsp.ask": ask,
    "waveLsp.runAgent": runAgent,
    "waveLsp.validateWorkspace": async () => { await execute("wave.validate.workspace", focus()); },
    "waveLsp.restartServer": async () => {
      // A new client, so a changed wave.server.command takes effect.
      const old = client;
      client = undefined;
      await old?.stop();
      await old?.dispose();
      await startClient(context);
      updateStatus();
    },
    "waveLsp.showOutput": async () => output.show(),
    "waveLsp.proposalApplied": async () => {
      const argument = appliedPending?.[0];
      appliedPending = undefined;
      if (argument && typeof argument === "object") {
        await execute("wave.proposal.applied", argument as Record<string, unknown>);
      }
    },
  };
  for (const [name, action] of Object.entries(commands)) {
    context.subscriptions.push(vscode.commands.registerCommand(name, guarded(action)));
  }
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((event) => {
    if (event.affectsConfiguration("wave.server")) {
      void vscode.window.showInformationMessage("Wave: the server command changed", "Restart Server")
        .then((choice) => choice && vscode.commands.executeCommand("waveLsp.restartServer"));
    }
    if (event.affectsConfiguration("wave")) {
      updateStatus();
    }
  }));
  updateStatus();
  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
