// Headless Chromium (Debian's package) driven over the DevTools protocol on a pipe (no port): opens a page,
// records every dialog, navigation, request, console message and CSP report, reads the visible text and
// takes a screenshot. The browser runs in its own process group, which is killed however the run ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { commandPath } from './sandbox.js';

/** The Chromium binary, or null (the test says why it skips). */
export const CHROMIUM = ['chromium', 'chromium-browser'].map(commandPath).find((p) => p !== '') ?? null;

/** What happened while the page was open. */
export interface PageVisit {
  readonly dialogs: string[];
  readonly navigations: string[];
  readonly requests: string[];
  readonly console: string[];
  readonly log: string[];
  readonly text: string;
  readonly scripts: number;
  readonly png: Buffer;
}

type Message = { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: unknown; sessionId?: string };

/** Opens `file` (a local HTML file) at `width`×`height`, waits until it has loaded and settled, and returns what it did. */
export async function visit(file: string, width = 1280, height = 900): Promise<PageVisit> {
  if (CHROMIUM === null) throw new Error('chromium not found');
  const profile = mkdtempSync(join(tmpdir(), 'secnode-chromium-'));
  const args = ['--headless', '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--disable-background-networking',
    '--disable-dev-shm-usage', '--remote-debugging-pipe', `--user-data-dir=${profile}`, ...(process.geteuid?.() === 0 ? ['--no-sandbox'] : [])];
  const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const out = child.stdio[3] as Writable;
  const input = child.stdio[4] as Readable;
  let next = 0;
  const waiting = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Message) => void)[] = [];
  let buffered = '';
  const exited = new Promise<never>((_, reject) => child.on('exit', (code, signal) => reject(new Error(`chromium ended (${code ?? signal}): ${stderr}`))));
  exited.catch(() => {});
  input.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let at = buffered.indexOf('\0'); at >= 0; at = buffered.indexOf('\0')) {
      const m = JSON.parse(buffered.slice(0, at)) as Message;
      buffered = buffered.slice(at + 1);
      if (m.id !== undefined) {
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.error) w?.reject(new Error(`${JSON.stringify(m.error)}`));
        else w?.resolve(m);
      } else for (const l of listeners) l(m);
    }
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Message> => {
    const id = ++next;
    out.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    return Promise.race([new Promise<Message>((resolve, reject) => waiting.set(id, { resolve, reject })), exited]);
  };
  const once = (method: string, sessionId: string) => Promise.race([new Promise<Message>((resolve) => listeners.push((m) => {
    if (m.method === method && m.sessionId === sessionId) resolve(m);
  })), exited]);
  try {
    const target = await send('Target.createTarget', { url: 'about:blank' });
    const attached = await send('Target.attachToTarget', { targetId: target.result!.targetId, flatten: true });
    const session = attached.result!.sessionId as string;
    const visit = { dialogs: [] as string[], navigations: [] as string[], requests: [] as string[], console: [] as string[], log: [] as string[] };
    const url = pathToFileURL(file).href;
    listeners.push((m) => {
      if (m.sessionId !== session) return;
      const p = m.params ?? {};
      if (m.method === 'Page.javascriptDialogOpening') {
        visit.dialogs.push(String(p.message));
        void send('Page.handleJavaScriptDialog', { accept: true }, session);
      } else if (m.method === 'Page.frameNavigated') visit.navigations.push(String((p.frame as { url: string }).url));
      else if (m.method === 'Network.requestWillBeSent') visit.requests.push(String((p.request as { url: string }).url));
      else if (m.method === 'Runtime.consoleAPICalled') visit.console.push(JSON.stringify(p.args));
      else if (m.method === 'Log.entryAdded') visit.log.push(String((p.entry as { text: string }).text));
    });
    for (const domain of ['Page', 'Network', 'Runtime', 'Log']) await send(`${domain}.enable`, {}, session);
    await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, session);
    const loaded = once('Page.loadEventFired', session);
    await send('Page.navigate', { url }, session);
    await loaded;
    // Let a meta refresh, a late request or a timer fire if the page had any (none may).
    await new Promise((r) => setTimeout(r, 1500));
    const evaluate = async (expression: string) => (await send('Runtime.evaluate', { expression, returnByValue: true }, session)).result!.result as { value: unknown };
    const text = String((await evaluate('document.body.innerText')).value);
    const scripts = Number((await evaluate('document.scripts.length')).value);
    const shot = await send('Page.captureScreenshot', { format: 'png' }, session);
    return { ...visit, navigations: visit.navigations.filter((n) => n !== url), requests: visit.requests.filter((r) => r !== url), text, scripts,
      png: Buffer.from(String(shot.result!.data), 'base64') };
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch { /* already gone */ }
    rmSync(profile, { recursive: true, force: true });
  }
}
