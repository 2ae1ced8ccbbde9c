// Static imports of a JavaScript file, found with acorn: import/export-from, import(), require(),
// createRequire(...)() calls and worker entries given as literals.
import { parse, type Node } from 'acorn';

/** One place that loads another module. */
export interface ImportRef {
  /** The literal specifier, or null when it is computed at run time. */
  readonly specifier: string | null;
  /** How it is loaded: ESM import, CommonJS require, or a worker entry. */
  readonly kind: 'import' | 'require' | 'worker';
  readonly line: number;
}

type AnyNode = Node & Record<string, unknown>;

function literal(node: unknown): string | null {
  const n = node as AnyNode | undefined;
  if (n?.type === 'Literal' && typeof n.value === 'string') return n.value;
  if (n?.type === 'TemplateLiteral' && (n.expressions as unknown[]).length === 0) {
    return ((n.quasis as { value: { cooked: string } }[])[0]?.value.cooked) ?? null;
  }
  return null;
}

/** `new URL('lit', import.meta.url)` → 'lit'. */
function urlLiteral(node: unknown): string | null {
  const n = node as AnyNode | undefined;
  if (n?.type !== 'NewExpression' || (n.callee as AnyNode).type !== 'Identifier' || (n.callee as AnyNode).name !== 'URL') return null;
  return literal((n.arguments as unknown[])[0]);
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
  for (const key of Object.keys(n)) {
    if (key !== 'loc' && key !== 'start' && key !== 'end') walk(n[key], visit);
  }
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
  const refs: ImportRef[] = [];
  const requirers = new Set(['require']);
  const line = (n: AnyNode) => n.loc?.start.line ?? 0;
  walk(ast, (n) => {
    if (n.type === 'VariableDeclarator') {
      const init = n.init as AnyNode | null;
      if (init?.type === 'CallExpression' && (init.callee as AnyNode).type === 'Identifier'
        && ((init.callee as AnyNode).name === 'createRequire' || (init.callee as AnyNode).name === 'createRequireFromPath')
        && (n.id as AnyNode).type === 'Identifier') {
        requirers.add((n.id as AnyNode).name as string);
      }
    }
  });
  walk(ast, (n) => {
    switch (n.type) {
      case 'ImportDeclaration': case 'ExportAllDeclaration': case 'ExportNamedDeclaration':
        if (n.source) refs.push({ specifier: literal(n.source), kind: 'import', line: line(n) });
        break;
      case 'ImportExpression':
        refs.push({ specifier: literal(n.source), kind: 'import', line: line(n) });
        break;
      case 'CallExpression': {
        const callee = n.callee as AnyNode;
        const args = n.arguments as unknown[];
        const isRequire = callee.type === 'Identifier' && requirers.has(callee.name as string);
        const isCreated = callee.type === 'CallExpression' && (callee.callee as AnyNode).type === 'Identifier'
          && (callee.callee as AnyNode).name === 'createRequire';
        if (isRequire || isCreated) refs.push({ specifier: literal(args[0]), kind: 'require', line: line(n) });
        break;
      }
      case 'NewExpression': {
        const callee = n.callee as AnyNode;
        if (callee.type === 'Identifier' && callee.name === 'Worker') {
          const first = (n.arguments as unknown[])[0];
          const spec = literal(first) ?? urlLiteral(first);
          refs.push({ specifier: spec, kind: 'worker', line: line(n) });
        }
        break;
      }
      default:
    }
  });
  return refs;
}
