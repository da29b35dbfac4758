// An ACP client written on the protocol's TypeScript SDK (npm @agentclientprotocol/sdk), so
// `wave acp` is checked by an implementation that is not ours. It starts the agent, opens a
// session in the project, prompts once, answers permission requests with ANSWER (or cancels
// the turn at the first message chunk when ANSWER is "cancel"), serves fs/read_text_file from
// the disk and records fs/write_text_file (writing it, as an editor saving the buffer would).
// Prints what it saw as one JSON object.
//   node ts_client.mjs CWD ANSWER PROMPT COMMAND [ARGS...]
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { Readable, Writable } from "node:stream";
import { client, ndJsonStream } from "@agentclientprotocol/sdk";

const [cwd, answer, text, command, ...args] = process.argv.slice(2);
const seen = { updates: [], permissions: [], writes: [], reads: [], text: "" };
const child = spawn(command, args, { cwd, stdio: ["pipe", "pipe", "inherit"] });
const stream = ndJsonStream(Writable.toWeb(child.stdin), Readable.toWeb(child.stdout));

const app = client({ name: "wave-tests" })
  .onRequest("session/request_permission", async ({ params }) => {
    seen.permissions.push(params.toolCall);
    seen.options = params.options.map((o) => o.optionId);
    return { outcome: { outcome: "selected", optionId: answer } };
  })
  .onRequest("fs/read_text_file", async ({ params }) => {
    seen.reads.push(params.path);
    return { content: readFileSync(params.path, "utf8") };
  })
  .onRequest("fs/write_text_file", async ({ params }) => {
    seen.writes.push([params.path, params.content]);
    writeFileSync(params.path, params.content);
    return {};
  });

await app.connectWith(stream, async (ctx) => {
  const init = await ctx.request("initialize", {
    protocolVersion: 1,
    clientCapabilities: { fs: { readTextFile: true, writeTextFile: true } },
  });
  seen.agent = init.agentInfo;
  const session = await ctx.buildSession(cwd).start();
  seen.modes = (session.modes?.availableModes ?? []).map((m) => m.id);
  const done = session.prompt(text);
  let cancelledAt = null;
  for (;;) {
    const message = await session.nextUpdate();
    if (message.kind === "stop") {
      seen.stopReason = message.stopReason;
      break;
    }
    seen.updates.push(message.update);
    if (message.update.sessionUpdate === "agent_message_chunk") {
      seen.text += message.update.content.text;
      if (answer === "cancel" && cancelledAt === null) {
        cancelledAt = performance.now();
        await ctx.notify("session/cancel", { sessionId: session.sessionId });
      }
    }
  }
  await done;
  if (cancelledAt !== null) seen.cancelMs = performance.now() - cancelledAt;
});
child.stdin.end();
process.stdout.write(JSON.stringify(seen) + "\n");
process.exit(0);
