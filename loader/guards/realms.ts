// ShadowRealm (`--experimental-shadow-realm`): a realm loads modules with its own loader, which no hook
// sees, and has its own `eval` and Function constructors, which secnode's guards do not reach.
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SecnodeError } from '../../src/errors.js';
import { enforcingRule } from '../../src/policy.js';
import type { Context } from '../context.js';
import { gateFile, gateGenerated } from '../gate/gate.js';
import { previewGenerated } from './generated-preview.js';
import { mapStack } from '../stack.js';
import { replace, wrapMethod } from './patch.js';

type Fn = (...args: unknown[]) => unknown;

/** The file an `importValue` specifier names, when it names one (a file: URL or an absolute path). */
function fileOf(specifier: unknown): string | undefined {
  if (typeof specifier !== 'string') return undefined;
  if (/^file:/i.test(specifier)) {
    try {
      return fileURLToPath(specifier);
    } catch {
      return undefined;
    }
  }
  return isAbsolute(specifier) ? specifier : undefined;
}

/**
 * Under RF (a realm's imports cannot be checked, nor the bytes it evaluates chosen) and under hardening
 * (its own `eval` is out of reach), `new ShadowRealm()` is refused. Otherwise `importValue` checks and
 * records the file it names (permissive: it runs), and `evaluate(string)` is generated code (recorded in
 * the hardening preview).
 */
export function guardShadowRealm(ctx: Context): void {
  const Realm = (globalThis as { ShadowRealm?: Fn & { prototype: object } }).ShadowRealm;
  if (typeof Realm !== 'function') return;
  const fileRule = enforcingRule('file', ctx.bits, ctx.settings.forced);
  if (fileRule !== null || ctx.settings.forced.hardenGenerated) {
    const refuse = function ShadowRealm(): never {
      if (fileRule === null) gateGenerated(ctx, 'ShadowRealm');
      throw mapStack(new SecnodeError('ERR_SECNODE_EXEC_DENIED',
        `secnode: refused new ShadowRealm(): a realm loads modules outside secnode's hooks, so they cannot be checked (enforced by ${fileRule ?? ''})`,
        'hint: run without --experimental-shadow-realm', { path: 'ShadowRealm', errno: null, securebits: ctx.hex, rule: fileRule }));
    };
    Object.defineProperty(refuse, 'length', { value: 0 });
    Object.defineProperty(refuse, 'prototype', { value: Realm.prototype, writable: false });
    replace(Realm.prototype, 'constructor', refuse);
    replace(globalThis, 'ShadowRealm', refuse);
    return;
  }
  if (ctx.auditor.active) {
    wrapMethod(Realm.prototype, 'evaluate', (evaluate) => function evaluate_(this: unknown, ...args: unknown[]) {
      previewGenerated(ctx, 'ShadowRealm#evaluate', args);
      return Reflect.apply(evaluate, this, args);
    });
  }
  wrapMethod(Realm.prototype, 'importValue', (importValue) => function importValue_(this: unknown, ...args: unknown[]) {
    const file = fileOf(args[0]);
    if (file !== undefined) {
      try {
        gateFile(ctx, file, 'import');
      } catch {
        // Only recorded here (nothing is enforced); the realm reports a missing file itself.
      }
    }
    return Reflect.apply(importValue, this, args);
  });
}
