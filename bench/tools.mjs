// The real tools the benchmark times, from the registry at pinned versions (test/fixtures/bench-tools,
// installed with npm ci): `tsc -p` on a small project, eslint on one file, prettier on one file, and a
// fastify app that serves one request. Copied with every code file 0755, so they also run under RF+DI.
import { chmodSync, cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { ensureFixture } from '../test/install-fixture.mjs';

const CODE = new Set(['.js', '.cjs', '.mjs']);

/** Gives every code file (and every package bin, which may have no extension) under `dir` mode 0755. */
function markCode(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(e.parentPath ?? e.path, e.name);
    if (e.isFile() && (CODE.has(extname(e.name)) || /[/\\]bin[/\\]/.test(path))) chmodSync(path, 0o755);
  }
}

/** Writes a file; code gets 0755. */
function put(path, text) {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, CODE.has(extname(path)) ? 0o755 : 0o644);
}

const TS = {
  'tsproj/tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', noEmit: true }, include: ['src'] }),
  'tsproj/src/shapes.ts': 'export interface Shape { area(): number }\nexport class Square implements Shape {\n  constructor(private readonly side: number) {}\n  area(): number { return this.side * this.side; }\n}\n',
  'tsproj/src/sum.ts': "import type { Shape } from './shapes.js';\nexport function total(shapes: readonly Shape[]): number {\n  return shapes.reduce((n, s) => n + s.area(), 0);\n}\n",
  'tsproj/src/main.ts': "import { Square } from './shapes.js';\nimport { total } from './sum.js';\nconsole.log(total([new Square(2), new Square(3)]));\n",
};

const LINTED = 'export function add(a, b) {\n  return a + b;\n}\n';
const FORMATTED = "const  point = {x:1,y : 2}\nfunction   norm(p){return Math.sqrt(p.x*p.x+p.y*p.y)}\nconsole.log( norm(point) )\n";
const SERVER = `import Fastify from 'fastify';
const app = Fastify();
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: 0, host: '127.0.0.1' });
const res = await fetch(\`http://127.0.0.1:\${app.server.address().port}/\`);
console.log(res.status, await res.text());
await app.close();
`;

/** Writes the tools' workspace under `dir`; returns the cases (name, args, cwd) to time. */
export function writeTools(dir) {
  cpSync(join(ensureFixture('bench-tools'), 'node_modules'), join(dir, 'node_modules'), { recursive: true });
  markCode(join(dir, 'node_modules'));
  for (const [file, text] of Object.entries(TS)) put(join(dir, file), `${text}\n`);
  put(join(dir, 'package.json'), '{ "private": true, "type": "commonjs" }\n');
  put(join(dir, 'eslint.config.mjs'), "import js from '@eslint/js';\nexport default [js.configs.recommended];\n");
  put(join(dir, 'lint-me.js'), LINTED);
  put(join(dir, 'format-me.js'), FORMATTED);
  put(join(dir, 'serve.mjs'), SERVER);
  const bin = (pkg, file) => join(dir, 'node_modules', pkg, file);
  return [
    { name: 'tsc -p', args: [bin('typescript', 'bin/tsc'), '-p', 'tsproj', '--listFiles'], cwd: dir, slow: true },
    { name: 'eslint', args: [bin('eslint', 'bin/eslint.js'), '--format', 'json', 'lint-me.js'], cwd: dir },
    { name: 'prettier', args: [bin('prettier', 'bin/prettier.cjs'), 'format-me.js'], cwd: dir },
    { name: 'fastify', args: ['serve.mjs'], cwd: dir },
  ];
}
