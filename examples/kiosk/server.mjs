#!/usr/bin/env secnode
// A small HTTP kiosk app: a status page, a health check, and plugins loaded from a directory on request.
// Under secnode with SECBIT_EXEC_RESTRICT_FILE a plugin that is not executable is refused (and recorded).
import { createServer } from 'node:http';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderPage } from './lib/render.mjs';

const pluginDir = process.env.KIOSK_PLUGINS ?? join(import.meta.dirname, 'plugins');
const started = new Date();

async function loadPlugin(name) {
  if (!/^[a-z0-9-]+$/.test(name)) return { status: 400, body: { error: 'bad plugin name' } };
  try {
    const plugin = await import(pathToFileURL(join(pluginDir, `${name}.mjs`)).href);
    return { status: 200, body: { plugin: name, output: plugin.run() } };
  } catch (e) {
    return { status: e.code === 'ERR_SECNODE_EXEC_DENIED' ? 403 : 404, body: { plugin: name, error: e.code ?? 'ERR_PLUGIN' } };
  }
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://kiosk');
  if (url.pathname === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, since: started.toISOString(), pid: process.pid }));
  } else if (url.pathname.startsWith('/plugins/')) {
    const { status, body } = await loadPlugin(url.pathname.slice('/plugins/'.length));
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  } else if (url.pathname === '/') {
    const plugins = readdirSync(pluginDir).filter((f) => f.endsWith('.mjs')).map((f) => f.slice(0, -4));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(renderPage({ title: process.env.KIOSK_TITLE ?? 'secnode kiosk', plugins, started }));
  } else {
    res.writeHead(404).end();
  }
});

server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1', () => {
  const { port } = server.address();
  console.log(`kiosk listening on http://${process.env.HOST ?? '127.0.0.1'}:${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
