// Drives code-server (real VS Code in a browser) in Debian's headless Chromium with
// playwright-core: the Problems panel, a quick fix, "Wave: Run Pipeline…", and an AI code action
// resolved by the server. Writes what it saw as JSON to $WAVE_RESULT, a screenshot to
// $WAVE_SCREENSHOT; exits non-zero when a step fails.
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";

const require = createRequire(process.env.PLAYWRIGHT_FROM);
const { chromium } = require("playwright-core");

const url = process.env.WAVE_URL;
const root = process.env.WAVE_ROOT;
const out = { steps: [] };
const step = (name) => { out.steps.push(name); console.error(`vscode: ${name}`); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

async function palette(text, prefix = ">") {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(prefix + text);
  return input;
}

async function editorText() {
  const text = await page.locator(".monaco-editor .view-lines").first().innerText();
  return text.replace(/\u00a0/g, " ");
}

async function waitForText(what, predicate, timeout = 60000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (predicate(await editorText())) return;
    // VS Code asks before applying edits a server marked as needing confirmation.
    // The Refactor Preview panel: the edit to review, then Apply.
    const panel = page.locator(".pane-body", { has: page.locator(".monaco-button", { hasText: /^Apply$/ }) });
    if (await panel.count()) {
      out.previewed = await panel.first().innerText();
      const boxes = panel.first().locator(".monaco-checkbox, [role=checkbox]");
      for (let i = 0; i < await boxes.count(); i++) {
        const box = boxes.nth(i);
        if ((await box.getAttribute("aria-checked")) === "false") await box.click();
      }
      await panel.first().locator(".monaco-button", { hasText: /^Apply$/ }).click();
    }
    await page.waitForTimeout(200);
  }
  throw new Error(`timed out waiting for ${what}: ${await editorText()}`);
}

async function codeAction(title) {
  await page.keyboard.press("Control+.");
  const item = page.locator(".action-widget .monaco-list-row", { hasText: title });
  await item.first().waitFor({ state: "visible", timeout: 30000 });
  out.actions = (out.actions || []).concat([await page.locator(".action-widget .monaco-list-row").allInnerTexts()]);
  await item.first().click();
}

async function gotoLine(line) {
  const input = await palette(`:${line}`, "");
  await input.press("Enter");
}

try {
  await page.goto(`${url}/?folder=${encodeURIComponent(root)}`);
  await page.locator(".monaco-workbench").waitFor({ timeout: 60000 });
  step("workbench");

  const open = await palette("app.py", "");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "app.py" }).first().waitFor();
  await open.press("Enter");
  await page.locator(".tab", { hasText: "app.py" }).waitFor();
  await page.locator(".monaco-editor .view-lines").first().waitFor();
  step("opened app.py");

  // 1. The planted finding in the Problems panel.
  const problems = await palette("View: Focus Problems");
  await problems.press("Enter");
  const marker = page.locator(".markers-panel .monaco-list-row", { hasText: "yaml.load can build arbitrary objects" });
  await marker.first().waitFor({ timeout: 60000 });
  out.problems = await page.locator(".markers-panel .monaco-list-row").allInnerTexts();
  await page.screenshot({ path: process.env.WAVE_SCREENSHOT.replace(".png", "-problems.png") });
  step("problems");

  // 2. Its quick fix: go to the problem, then Ctrl+. and pick it.
  await marker.first().click();
  await marker.first().press("Enter");
  await page.waitForTimeout(300);
  await codeAction("security.yaml-load");
  await waitForText("the quick fix", (text) => text.includes("yaml.safe_load"));
  out.fixed = await editorText();
  step("quick fix applied");

  // 3. Wave: Run Pipeline… lists the pipelines (wave.pipeline.list) and runs the one picked.
  const run = await palette("Wave: Run Pipeline");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "Run Pipeline" }).first().waitFor();
  await run.press("Enter");
  const pick = page.locator(".quick-input-list .monaco-list-row", { hasText: "hello" });
  await pick.first().waitFor({ timeout: 30000 });
  out.pipelines = await page.locator(".quick-input-list .monaco-list-row").allInnerTexts();
  await pick.first().click();
  const done = page.locator(".notifications-toasts .notification-list-item", { hasText: /of hello: (succeeded|failed|cancelled)/ });
  await done.first().waitFor({ timeout: 60000 });
  out.runMessage = await done.first().innerText();
  step("pipeline ran");

  // 4. An AI action; VS Code resolves it (codeAction/resolve) and applies the edit.
  await page.locator(".monaco-editor .view-lines").first().click();
  await gotoLine(4);
  await codeAction("Add docstrings");
  await waitForText("the AI edit", (text) => text.includes("Parse one YAML document"));
  out.documented = await editorText();
  step("AI edit applied");
  await page.screenshot({ path: process.env.WAVE_SCREENSHOT });
  out.notifications = await page.locator(".notifications-toasts .notification-list-item").allInnerTexts();

  // 5. Ghost text (textDocument/inlineCompletion) while typing in calc.js; Tab accepts it.
  const calc = await palette("calc.js", "");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "calc.js" }).first().waitFor();
  await calc.press("Enter");
  await page.locator(".tab.active", { hasText: "calc.js" }).waitFor();
  await page.waitForTimeout(500);
  await gotoLine(2);
  await page.keyboard.press("End");
  await page.keyboard.type("r");
  const ghost = page.locator(".monaco-editor [class*='ghost-text']");
  await ghost.first().waitFor({ timeout: 30000 });
  out.ghost = (await ghost.allInnerTexts()).join("").replace(/\u00a0/g, " ");
  await page.screenshot({ path: process.env.WAVE_SCREENSHOT.replace(".png", "-ghost.png") });
  await page.keyboard.press("Tab");
  await page.waitForTimeout(300);
  await page.keyboard.press("Control+s");
  await page.waitForTimeout(500);
  step("ghost text accepted");

  // 6. Completion in a pipeline file: a new line in the task lists the keys it lacks.
  const pipeline = await palette("hello.yaml", "");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "hello.yaml" }).first().waitFor();
  await pipeline.press("Enter");
  await page.locator(".tab.active", { hasText: "hello.yaml" }).waitFor();
  await page.waitForTimeout(500);
  await gotoLine(8);
  await page.keyboard.press("End");
  await page.keyboard.press("Enter");
  const rows = page.locator(".suggest-widget .monaco-list-row");
  for (let tries = 1; ; tries++) {
    // under load the first request can come before the document reached the server: ask again
    await page.keyboard.press("Control+Space");
    try {
      await rows.first().waitFor({ timeout: 10000 });
      break;
    } catch (error) {
      if (tries >= 4) throw error;
      await page.keyboard.press("Escape");
    }
  }
  out.completion = await rows.allInnerTexts();
  await page.keyboard.press("Escape");
  step("pipeline keys completed");
} catch (error) {
  out.failure = String(error && error.stack || error);
  await page.screenshot({ path: process.env.WAVE_SCREENSHOT }).catch(() => {});
} finally {
  writeFileSync(process.env.WAVE_RESULT, JSON.stringify(out));
  await browser.close();
  process.exit(out.failure ? 1 : 0);
}
