// Renders the kiosk's status page.
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTML page: title, uptime and the plugins found. */
export function renderPage({ title, plugins, started }) {
  const items = plugins.map((p) => `<li><a href="/plugins/${escape(p)}">${escape(p)}</a></li>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body><h1>${escape(title)}</h1><p>up since ${escape(started.toISOString())}</p><ul>${items}</ul></body></html>\n`;
}
