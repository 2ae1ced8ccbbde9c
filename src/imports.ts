// Static imports of a JavaScript file, found with acorn: import/export-from, import(), require(),
// createRequire(...)() calls, workers (`new Worker`, `new ns.Worker`), `child_process.fork`, and the
// paths they are given when those are known without running the code (literals, `new URL(lit,
// import.meta.url)`, `require.resolve(lit)`, `import.meta.resolve(lit)`, `path.join(__dirname, lit…)`,
// and constants bound to one of these).
import { parse, type Node } from 'acorn';
import { posix } from 'node:path';

/** One place that loads (or names) another module. */
export interface ImportRef {
  /** The specifier (relative to this file when it starts with ./ or ../), or null when it is computed at run time. */
  readonly specifier: string | null;
  /** What loads it: ESM import, CommonJS require, a worker, a forked child, or a reference (`require.resolve` and the like, not a load by itself). */
  readonly kind: 'import' | 'require' | 'worker' | 'fork' | 'reference';
  /** Which resolution rules find the file: ESM (no extension guessing) or CommonJS. */
  readonly rules: 'import' | 'require';
  readonly line: number;
}

type AnyNode = Node & Record<string, unknown>;
type Kind = ImportRef['kind'];
type Rules = ImportRef['rules'];

/** A value known statically: text, whether it is relative to this file's directory, and rules it was resolved with. */
interface Known { readonly text: string; readonly dir: boolean; readonly rules?: Rules; readonly unknown?: true }
/** One alternative of a value that is not known (the other side of `a || b`, `c ? a : b`). */
const UNKNOWN: Known = { text: '', dir: false, unknown: true };
/** `self` for values naming this very file (`__filename`, `import.meta.url`): nothing to follow. */
type Value = Known[] | 'self' | null;

/** Node types that may load or name a module (visited after every declaration is known). */
const SITES = new Set(['ImportDeclaration', 'ExportAllDeclaration', 'ExportNamedDeclaration', 'ImportExpression', 'CallExpression', 'NewExpression']);
const CHILD_PROCESS = new Set(['child_process', 'node:child_process']);
const REQUIRE_MAKERS = new Set(['createRequire', 'createRequireFromPath']);

function str(node: unknown): string | null {
  const n = node as AnyNode | undefined;
  if (n?.type === 'Literal' && typeof n.value === 'string') return n.value;
  if (n?.type === 'TemplateLiteral' && (n.expressions as unknown[]).length === 0) {
    return ((n.quasis as { value: { cooked: string } }[])[0]?.value.cooked) ?? null;
  }
  return null;
}

const isId = (n: unknown, name?: string): boolean => (n as AnyNode | undefined)?.type === 'Identifier' && (name === undefined || (n as AnyNode).name === name);
/** `import.meta.<prop>`. */
const isMeta = (n: unknown, prop: string): boolean => {
  const m = n as AnyNode | undefined;
  return m?.type === 'MemberExpression' && (m.object as AnyNode).type === 'MetaProperty' && isId(m.property, prop) && m.computed !== true;
};
/** The property name of a non-computed member expression. */
const member = (n: unknown): string | null => {
  const m = n as AnyNode | undefined;
  return m?.type === 'MemberExpression' && m.computed !== true && isId(m.property) ? (m.property as AnyNode).name as string : null;
};
/** A callee as written, without TypeScript's `(0, ns.f)` wrapper. */
const unwrap = (callee: AnyNode): AnyNode => (callee.type === 'SequenceExpression' ? (callee.expressions as AnyNode[]).at(-1) ?? callee : callee);
/** The name a call calls: `f(…)` → f, `a.b.f(…)` → f. */
const calleeName = (callee: AnyNode): string | null => (isId(unwrap(callee)) ? unwrap(callee).name as string : member(unwrap(callee)));
/** `x` of TypeScript's `__importStar(x)` / `__importDefault(x)`. */
const interop = (n: AnyNode | null | undefined): AnyNode | null | undefined => (n?.type === 'CallExpression' && isId(n.callee) && /^__import(Star|Default)$/.test((n.callee as AnyNode).name as string)
  ? (n.arguments as AnyNode[])[0] : n);
/** `path`, `path_1`, `node_path`, `posix`, `path.posix`, `path_1.default`: a namespace of node:path. */
const isPathNs = (n: AnyNode): boolean => (isId(n) ? /path|posix/i.test(n.name as string)
  : (member(n) === 'default' || member(n) === 'posix') && isPathNs(n.object as AnyNode));

/** './x' for a path relative to this file's directory. */
function relative(text: string): string {
  const n = posix.normalize(text);
  return n.startsWith('../') || n === '..' || n.startsWith('/') ? n : `./${n === '.' ? '' : n}`;
}

/** A specifier as Worker and fork take it: a path (relative ones made relative to this file, as an approximation of the working directory). */
function asPath(text: string): string {
  return text.startsWith('/') || text.startsWith('./') || text.startsWith('../') || text.startsWith('file:') || /^[a-z]+:/i.test(text) ? text : `./${text}`;
}

/** Parses `source` (module or script, whichever it is) and lists what it loads; throws a SyntaxError. */
export function findImports(source: string, preferModule: boolean): ImportRef[] {
  const opts = { ecmaVersion: 'latest', locations: true, allowHashBang: true, allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true } as const;
  let ast: Node;
  try {
    ast = parse(source, { ...opts, sourceType: preferModule ? 'module' : 'script' });
  } catch (first) {
    try {
      ast = parse(source, { ...opts, sourceType: preferModule ? 'script' : 'module' });
    } catch {
      throw first;
    }
  }
  return new Finder(ast).refs;
}

class Finder {
  readonly refs: ImportRef[] = [];
  private readonly requirers = new Set(['require']);
  private readonly childProcess = new Set<string>();
  private readonly forks = new Set<string>();
  /** Names bound once to an initial value, and names bound more than once (not known). */
  private readonly bound = new Map<string, AnyNode>();
  private readonly rebound = new Set<string>();
  private readonly seen = new Set<AnyNode>();

  constructor(ast: Node) {
    const sites: AnyNode[] = [];
    walk(ast, (n) => {
      this.declare(n);
      if (SITES.has(n.type)) sites.push(n);
    });
    for (const n of sites) this.visit(n);
  }

  private isRequireCall(n: unknown, from?: ReadonlySet<string>): boolean {
    const c = interop(n as AnyNode | undefined);
    if (c?.type !== 'CallExpression') return false;
    const callee = c.callee as AnyNode;
    const arg = str((c.arguments as unknown[])[0]);
    return (isId(callee) && this.requirers.has(callee.name as string)) && (from === undefined || (arg !== null && from.has(arg)));
  }

  private declare(n: AnyNode): void {
    if (n.type === 'VariableDeclarator') {
      const id = n.id as AnyNode;
      const init = n.init as AnyNode | null;
      if (isId(id)) {
        const name = id.name as string;
        if (this.bound.has(name)) this.rebound.add(name);
        if (init) this.bound.set(name, init);
        if (init?.type === 'CallExpression' && isId(init.callee) && REQUIRE_MAKERS.has((init.callee as AnyNode).name as string)) this.requirers.add(name);
        if (this.isRequireCall(init, CHILD_PROCESS)) this.childProcess.add(name);
      } else if (id.type === 'ObjectPattern' && this.isRequireCall(init, CHILD_PROCESS)) {
        for (const p of id.properties as AnyNode[]) {
          if (p.type === 'Property' && isId(p.key, 'fork') && isId(p.value)) this.forks.add((p.value as AnyNode).name as string);
        }
      }
    } else if (n.type === 'AssignmentExpression' && isId(n.left)) {
      this.rebound.add((n.left as AnyNode).name as string);
    } else if (n.type === 'ImportDeclaration' && CHILD_PROCESS.has(str(n.source) ?? '')) {
      for (const s of n.specifiers as AnyNode[]) {
        const local = (s.local as AnyNode).name as string;
        if (s.type === 'ImportSpecifier') {
          if (isId(s.imported, 'fork') || str(s.imported) === 'fork') this.forks.add(local);
        } else {
          this.childProcess.add(local);
        }
      }
    }
  }

  /** The statically known value(s) of an expression that names a file. */
  private value(node: unknown, depth = 0): Value {
    const n = node as AnyNode | undefined;
    if (!n || depth > 8) return null;
    const s = str(n);
    if (s !== null) return [{ text: s, dir: false }];
    if (isId(n, '__dirname') || isMeta(n, 'dirname')) return [{ text: '.', dir: true }];
    if (isId(n, '__filename') || isMeta(n, 'filename') || isMeta(n, 'url')) return 'self';
    switch (n.type) {
      case 'Identifier': {
        const name = n.name as string;
        const init = this.bound.get(name);
        return init && !this.rebound.has(name) ? this.value(init, depth + 1) : null;
      }
      case 'ConditionalExpression': return union(this.value(n.consequent, depth + 1), this.value(n.alternate, depth + 1));
      case 'LogicalExpression': return union(this.value(n.left, depth + 1), this.value(n.right, depth + 1));
      case 'BinaryExpression':
        return n.operator === '+' ? concat([this.value(n.left, depth + 1), this.value(n.right, depth + 1)]) : null;
      case 'TemplateLiteral': {
        const quasis = (n.quasis as { value: { cooked: string } }[]).map((q): Value => [{ text: q.value.cooked, dir: false }]);
        const parts: Value[] = [];
        (n.expressions as unknown[]).forEach((e, i) => parts.push(quasis[i] ?? null, this.value(e, depth + 1)));
        parts.push(quasis.at(-1) ?? null);
        return concat(parts);
      }
      case 'NewExpression': {
        const [spec, base] = n.arguments as unknown[];
        if (!isId(n.callee, 'URL') || !(isMeta(base, 'url') || this.isFileUrl(base))) return null;
        const lit = str(spec);
        return lit === null ? null : [{ text: asPath(lit), dir: false, rules: 'import' }];
      }
      case 'MemberExpression': {
        const prop = member(n);
        return prop === 'href' || prop === 'pathname' ? this.value(n.object, depth + 1) : null;
      }
      case 'AwaitExpression': return this.value(n.argument, depth + 1);
      case 'CallExpression': return this.callValue(n, depth);
      default: return null;
    }
  }

  /** `pathToFileURL(__filename)` (what CommonJS uses as import.meta.url). */
  private isFileUrl(n: unknown): boolean {
    const c = n as AnyNode | undefined;
    return c?.type === 'CallExpression' && calleeName(c.callee as AnyNode) === 'pathToFileURL' && this.value((c.arguments as unknown[])[0]) === 'self';
  }

  private callValue(n: AnyNode, depth: number): Value {
    const callee = unwrap(n.callee as AnyNode);
    const args = n.arguments as unknown[];
    const name = calleeName(callee);
    const resolver = this.resolverRules(callee);
    if (resolver) {
      const lit = str(args[0]);
      return lit === null ? null : [{ text: lit, dir: false, rules: resolver }];
    }
    if (name === 'fileURLToPath' || name === 'pathToFileURL' || name === 'String' || name === 'normalize') return this.value(args[0], depth + 1);
    if ((name === 'join' || name === 'resolve') && (isId(callee) || isPathNs(callee.object as AnyNode))) {
      const parts = args.map((a) => this.value(a, depth + 1));
      if (parts.length === 0 || parts.some((p) => p === null || p === 'self')) return null;
      const known = parts as Known[][];
      if (known.some((p) => p.some((k) => k.rules !== undefined || k.unknown))) return null;
      const first = known[0] ?? [];
      // path.resolve from a relative first part depends on the working directory: not known.
      if (name === 'resolve' && first.some((k) => !k.dir && !k.text.startsWith('/'))) return null;
      return combine(known, (texts, dir) => {
        // path.resolve starts again at the last absolute part.
        let from = -1;
        if (name === 'resolve') texts.forEach((t, i) => { if (i > 0 && t.startsWith('/')) from = i; });
        if (from > 0) return { text: posix.join(...texts.slice(from)), dir: false };
        return { text: dir ? relative(posix.join(...texts)) : posix.join(...texts), dir };
      });
    }
    return null;
  }

  /** `require.resolve` (with any require made here) → CommonJS rules, `import.meta.resolve` → ESM rules. */
  private resolverRules(callee: AnyNode): Rules | null {
    if (callee.type !== 'MemberExpression' || member(callee) !== 'resolve') return null;
    if (isId(callee.object) && this.requirers.has((callee.object as AnyNode).name as string)) return 'require';
    const o = callee.object as AnyNode;
    return o.type === 'MetaProperty' ? 'import' : null;
  }

  private push(kind: Kind, defaultRules: Rules, arg: unknown, line: number, asFile: boolean): void {
    if (kind !== 'reference') this.markSeen(arg);
    const v = this.value(arg);
    if (v === 'self') return;
    if (v === null) {
      this.refs.push({ specifier: null, kind, rules: defaultRules, line });
      return;
    }
    for (const k of v) {
      if (k.unknown) {
        this.refs.push({ specifier: null, kind, rules: defaultRules, line });
        continue;
      }
      const specifier = k.dir ? relative(k.text) : asFile && k.rules === undefined ? asPath(k.text) : k.text;
      this.refs.push({ specifier, kind, rules: k.rules ?? defaultRules, line });
    }
  }

  private visit(n: AnyNode): void {
    const line = n.loc?.start.line ?? 0;
    switch (n.type) {
      case 'ImportDeclaration': case 'ExportAllDeclaration': case 'ExportNamedDeclaration':
        if (n.source) this.refs.push({ specifier: str(n.source), kind: 'import', rules: 'import', line });
        break;
      case 'ImportExpression':
        this.push('import', 'import', n.source, line, false);
        break;
      case 'CallExpression': {
        const callee = unwrap(n.callee as AnyNode);
        const args = n.arguments as unknown[];
        const isRequire = (isId(callee) && this.requirers.has(callee.name as string))
          || (callee.type === 'CallExpression' && isId(callee.callee) && REQUIRE_MAKERS.has((callee.callee as AnyNode).name as string))
          || (member(callee) === 'require' && isId(callee.object, 'module'));
        if (isRequire) {
          this.push('require', 'require', args[0], line, false);
        } else if (this.isFork(callee)) {
          this.push('fork', 'require', args[0], line, true);
        } else if (this.resolverRules(callee) && !this.seen.has(n)) {
          this.push('reference', 'require', n, line, false);
        }
        break;
      }
      case 'NewExpression': {
        const callee = n.callee as AnyNode;
        const [first, options] = n.arguments as unknown[];
        if ((isId(callee, 'Worker') || member(callee) === 'Worker') && !evalOption(options)) {
          this.push('worker', 'import', first, line, true);
        } else if (isId(callee, 'URL') && !this.seen.has(n) && str((n.arguments as unknown[])[0]) !== null) {
          const v = this.value(n);
          if (v !== null && v !== 'self') this.push('reference', 'import', n, line, false);
        }
        break;
      }
      default:
    }
  }

  /** `fork` imported from child_process, or `<child_process namespace>.fork`, or `require('child_process').fork`. */
  private isFork(callee: AnyNode): boolean {
    if (isId(callee)) return this.forks.has(callee.name as string);
    if (member(callee) !== 'fork') return false;
    const o = callee.object as AnyNode;
    return (isId(o) && this.childProcess.has(o.name as string)) || this.isRequireCall(o, CHILD_PROCESS);
  }

  /** A worker's argument is a load already: the URL or resolve call in it is not listed again as a reference. */
  private markSeen(n: unknown): void {
    walk(n, (c) => this.seen.add(c));
  }
}

/** True when Worker options say `eval: true` (the first argument is code, not a file). */
function evalOption(options: unknown): boolean {
  const o = options as AnyNode | undefined;
  return o?.type === 'ObjectExpression'
    && (o.properties as AnyNode[]).some((p) => p.type === 'Property' && isId(p.key, 'eval') && (p.value as AnyNode).type === 'Literal' && (p.value as AnyNode).value === true);
}

/** Both alternatives; one that is not known stays in the list as UNKNOWN (listed as not followed). */
function union(a: Value, b: Value): Value {
  if (a === null || b === null) {
    const other = a ?? b;
    return other === null || other === 'self' ? null : [...other, UNKNOWN];
  }
  if (a === 'self') return b;
  if (b === 'self') return a;
  return [...a, ...b];
}

/** Every combination of the parts' values, joined by `join` (at most 16 results). */
function combine(parts: Known[][], join: (texts: string[], dir: boolean) => Known): Known[] | null {
  let acc: { texts: string[]; dir: boolean }[] = [{ texts: [], dir: false }];
  for (const [i, part] of parts.entries()) {
    const next: { texts: string[]; dir: boolean }[] = [];
    for (const a of acc) {
      for (const k of part) {
        // Only the first part may be a directory: `lit + __dirname` is not a path we know.
        if (k.dir && i > 0) return null;
        next.push({ texts: [...a.texts, k.text], dir: a.dir || k.dir });
      }
    }
    if (next.length > 16) return null;
    acc = next;
  }
  return acc.map((a) => join(a.texts, a.dir));
}

function concat(parts: Value[]): Value {
  const known: Known[][] = [];
  for (const p of parts) {
    if (p === null || p === 'self') return null;
    if (p.some((k) => k.rules !== undefined || k.unknown)) return null;
    if (!p.every((k) => k.text === '' && !k.dir)) known.push(p);
  }
  return combine(known, (texts, dir) => ({ text: texts.join(''), dir }));
}

function walk(node: unknown, visit: (n: AnyNode) => void): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
    return;
  }
  const n = node as AnyNode;
  if (typeof n.type !== 'string') return;
  visit(n);
  for (const key in n) {
    const child = n[key];
    if (child !== null && typeof child === 'object' && key !== 'loc') walk(child, visit);
  }
}
