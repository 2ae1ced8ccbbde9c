// Unit tests for secnode's pure parts: the decision table, securebits, errno names, settings, preload
// parsing, start-input classification, backend choice and error objects.
import { describe, expect, it } from 'vitest';
import { backendFor } from '../../loader/backends/backend.js';
import { startInput, type StartInput } from '../../loader/gate/start-input.js';
import { outcomeOf } from '../../src/check.js';
import {
  SECBIT_EXEC_DENY_INTERACTIVE, SECBIT_EXEC_DENY_INTERACTIVE_LOCKED, SECBIT_EXEC_RESTRICT_FILE,
  SECBIT_EXEC_RESTRICT_FILE_LOCKED,
} from '../../src/constants.js';
import { errnoName, errnoWords, isUnavailableErrno } from '../../src/errno.js';
import {
  checkUnavailable, execDenied, interactiveDenied, invalidConfig, optionRefused, preloadOrder, SecnodeError,
} from '../../src/errors.js';
import { decide, type CheckOutcome, type Decision, type Forced, type InputKind } from '../../src/policy.js';
import { preloadOptions, preloadsInOrder, splitAroundSelf, splitNodeOptions, type Preload } from '../../src/preloads.js';
import { bitNames, bitsHex, decodeBits, encodeBits, type ExecBits } from '../../src/securebits.js';
import { readSettings } from '../../src/settings.js';

// ---------------------------------------------------------------------------------------------------
// The decision table
// ---------------------------------------------------------------------------------------------------

/**
 * The oracle: the README's decision table and the kernel's result table (docs/design.md, "The kernel contract"), written out cell by cell as
 * literals (nothing here is computed the way policy.ts computes it).
 *
 * Each cell is "verdict reason rule", for the four policies the kernel documents. `rule` is the bit
 * that governs the input (`-` = none); `enforced` is true exactly when a rule is named (README's
 * audit fields: "whether a bit or setting governs this input").
 */
type Cell = string;
type PolicyName = 'none' | 'RF' | 'DI' | 'RF+DI';
const TABLE: ReadonlyArray<readonly [InputKind, CheckOutcome, Cell, Cell, Cell, Cell]> = [
  // kind          outcome        no bits                           RF                                DI                                  RF+DI
  ['file',        'allowed',     'run allowed -',                  'run allowed RF',                 'run allowed -',                    'run allowed RF'],
  ['file',        'EACCES',      'record not-executable -',        'refuse not-executable RF',       'record not-executable -',          'refuse not-executable RF'],
  ['file',        'ETXTBSY',     'record busy -',                  'refuse busy RF',                 'record busy -',                    'refuse busy RF'],
  ['file',        'failed',      'record check-failed -',          'refuse check-failed RF',         'record check-failed -',            'refuse check-failed RF'],
  ['file',        'unavailable', 'record check-unavailable -',     'refuse check-unavailable RF',    'record check-unavailable -',       'refuse check-unavailable RF'],
  ['stream',      'allowed',     'run allowed -',                  'run allowed -',                  'run allowed DI',                   'run allowed DI'],
  ['stream',      'EACCES',      'record not-executable -',        'record not-executable -',        'refuse not-executable DI',         'refuse not-executable DI'],
  ['stream',      'ETXTBSY',     'record busy -',                  'record busy -',                  'refuse busy DI',                   'refuse busy DI'],
  ['stream',      'failed',      'record check-failed -',          'record check-failed -',          'refuse check-failed DI',           'refuse check-failed DI'],
  ['stream',      'unavailable', 'record check-unavailable -',     'record check-unavailable -',     'refuse check-unavailable DI',      'refuse check-unavailable DI'],
  ['path-stream', 'allowed',     'run allowed -',                  'run allowed RF',                 'run allowed DI',                   'run allowed RF'],
  ['path-stream', 'EACCES',      'record not-executable -',        'refuse not-executable RF',       'refuse not-executable DI',         'refuse not-executable RF'],
  ['path-stream', 'ETXTBSY',     'record busy -',                  'refuse busy RF',                 'refuse busy DI',                   'refuse busy RF'],
  ['path-stream', 'failed',      'record check-failed -',          'refuse check-failed RF',         'refuse check-failed DI',           'refuse check-failed RF'],
  ['path-stream', 'unavailable', 'record check-unavailable -',     'refuse check-unavailable RF',    'refuse check-unavailable DI',      'refuse check-unavailable RF'],
  ['inline',      'none',        'run interactive -',              'run interactive -',              'refuse interactive DI',            'refuse interactive DI'],
  // generated code: no bit governs it; only SECNODE_HARDEN_GENERATED (the HG rows below).
  ['generated',   'none',        'run generated -',                'run generated -',                'run generated -',                  'run generated -'],
];
/** Generated code with SECNODE_HARDEN_GENERATED=1: refused under every policy. */
const GENERATED_HARDENED: Cell = 'refuse generated HG';

/** The names a rule is written with: the kernel bit's name when the bit is set, else the setting's. */
const BIT_NAME = { RF: 'SECBIT_EXEC_RESTRICT_FILE', DI: 'SECBIT_EXEC_DENY_INTERACTIVE' } as const;
const SETTING_NAME = { RF: 'SECNODE_RESTRICT_FILE', DI: 'SECNODE_DENY_INTERACTIVE', HG: 'SECNODE_HARDEN_GENERATED' } as const;

/** Every securebits value of the four exec bits (0x000…0xf00), by name. */
const ALL_RAW = Array.from({ length: 16 }, (_, i) => i << 8);
const NOTHING: Forced = { restrictFile: false, denyInteractive: false, hardenGenerated: false };
/** Every combination of the three forced settings. */
const ALL_FORCED: Forced[] = Array.from({ length: 8 }, (_, i) => ({
  restrictFile: (i & 1) !== 0, denyInteractive: (i & 2) !== 0, hardenGenerated: (i & 4) !== 0,
}));

/**
 * The expected decision, from the literal table and three spelled-out rules:
 * 1. locks never change a decision: only 0x100 (RF) and 0x400 (DI) pick the column;
 * 2. a forced setting acts as its bit (SECNODE_RESTRICT_FILE as RF, SECNODE_DENY_INTERACTIVE as DI);
 * 3. the rule is named after the bit when the bit is set, else after the setting that forced it.
 */
function expected(kind: InputKind, outcome: CheckOutcome, raw: number, forced: Forced): Decision {
  const rfBit = (raw & 0x100) !== 0;
  const diBit = (raw & 0x400) !== 0;
  const rf = rfBit || forced.restrictFile;
  const di = diBit || forced.denyInteractive;
  const column: PolicyName = rf && di ? 'RF+DI' : rf ? 'RF' : di ? 'DI' : 'none';
  const row = TABLE.find(([k, o]) => k === kind && o === outcome);
  if (!row) throw new Error(`no row for ${kind} ${outcome}`);
  const cell = kind === 'generated' && forced.hardenGenerated
    ? GENERATED_HARDENED
    : row[{ none: 2, RF: 3, DI: 4, 'RF+DI': 5 }[column] as 2 | 3 | 4 | 5];
  const [verdict, reason, r] = cell.split(' ') as [Decision['verdict'], Decision['reason'], string];
  const rule = r === '-' ? null
    : r === 'HG' ? SETTING_NAME.HG
      : r === 'RF' ? (rfBit ? BIT_NAME.RF : SETTING_NAME.RF)
        : (diBit ? BIT_NAME.DI : SETTING_NAME.DI);
  return { verdict, enforced: rule !== null, reason, rule };
}

const forcedName = (f: Forced) => [f.restrictFile && 'RF', f.denyInteractive && 'DI', f.hardenGenerated && 'HG'].filter(Boolean).join('+') || 'nothing';
const cases = TABLE.flatMap(([kind, outcome]) => ALL_RAW.flatMap((raw) => ALL_FORCED.map((forced) =>
  ({ kind, outcome, raw, bits: bitsHex(raw), forced, forcedName: forcedName(forced) }))));

describe('decide(): every row of the literal table, every lock and forced combination', () => {
  it('the table covers every kind and outcome once', () => {
    expect(TABLE.map(([k, o]) => `${k} ${o}`)).toEqual([
      ...['allowed', 'EACCES', 'ETXTBSY', 'failed', 'unavailable'].flatMap((o) => [`file ${o}`]),
      ...['allowed', 'EACCES', 'ETXTBSY', 'failed', 'unavailable'].flatMap((o) => [`stream ${o}`]),
      ...['allowed', 'EACCES', 'ETXTBSY', 'failed', 'unavailable'].flatMap((o) => [`path-stream ${o}`]),
      'inline none', 'generated none',
    ]);
  });

  it.each(cases)('$kind $outcome, bits $bits, forced $forcedName', ({ kind, outcome, raw, forced }) => {
    expect(decide(kind, decodeBits(raw), outcome, forced)).toEqual(expected(kind, outcome, raw, forced));
  });

  it('defaults to nothing forced', () => {
    expect(decide('generated', decodeBits(0xf00), 'none')).toEqual({ verdict: 'run', enforced: false, reason: 'generated', rule: null });
    expect(decide('file', decodeBits(0), 'EACCES')).toEqual({ verdict: 'record', enforced: false, reason: 'not-executable', rule: null });
  });

  // A few cells in full, as a reader would check them against the README.
  it.each([
    ['file', 0x300, 'EACCES', NOTHING, { verdict: 'refuse', enforced: true, reason: 'not-executable', rule: 'SECBIT_EXEC_RESTRICT_FILE' }],
    ['file', 0xc00, 'EACCES', NOTHING, { verdict: 'record', enforced: false, reason: 'not-executable', rule: null }],
    ['file', 0x000, 'ETXTBSY', { ...NOTHING, restrictFile: true }, { verdict: 'refuse', enforced: true, reason: 'busy', rule: 'SECNODE_RESTRICT_FILE' }],
    ['stream', 0x300, 'EACCES', NOTHING, { verdict: 'record', enforced: false, reason: 'not-executable', rule: null }],
    ['stream', 0x400, 'allowed', NOTHING, { verdict: 'run', enforced: true, reason: 'allowed', rule: 'SECBIT_EXEC_DENY_INTERACTIVE' }],
    ['path-stream', 0x400, 'EACCES', { ...NOTHING, restrictFile: true }, { verdict: 'refuse', enforced: true, reason: 'not-executable', rule: 'SECNODE_RESTRICT_FILE' }],
    ['path-stream', 0xc00, 'EACCES', NOTHING, { verdict: 'refuse', enforced: true, reason: 'not-executable', rule: 'SECBIT_EXEC_DENY_INTERACTIVE' }],
    ['inline', 0x300, 'none', NOTHING, { verdict: 'run', enforced: false, reason: 'interactive', rule: null }],
    ['inline', 0x000, 'none', { ...NOTHING, denyInteractive: true }, { verdict: 'refuse', enforced: true, reason: 'interactive', rule: 'SECNODE_DENY_INTERACTIVE' }],
    ['generated', 0xf00, 'none', NOTHING, { verdict: 'run', enforced: false, reason: 'generated', rule: null }],
    ['generated', 0x000, 'none', { ...NOTHING, hardenGenerated: true }, { verdict: 'refuse', enforced: true, reason: 'generated', rule: 'SECNODE_HARDEN_GENERATED' }],
  ] as const)('%s, bits 0x%s, %s', (kind, raw, outcome, forced, decision) => {
    expect(decide(kind, decodeBits(raw), outcome, forced)).toEqual(decision);
  });
});

// ---------------------------------------------------------------------------------------------------
// securebits
// ---------------------------------------------------------------------------------------------------

describe('securebits', () => {
  it('has the kernel values', () => {
    expect([SECBIT_EXEC_RESTRICT_FILE, SECBIT_EXEC_RESTRICT_FILE_LOCKED, SECBIT_EXEC_DENY_INTERACTIVE, SECBIT_EXEC_DENY_INTERACTIVE_LOCKED])
      .toEqual([0x100, 0x200, 0x400, 0x800]);
  });

  it.each(ALL_RAW.map((raw) => ({ raw, hex: bitsHex(raw) })))('decode/encode round-trips $hex', ({ raw }) => {
    const bits = decodeBits(raw);
    expect(bits).toEqual({
      restrictFile: (raw & 0x100) !== 0, restrictFileLocked: (raw & 0x200) !== 0,
      denyInteractive: (raw & 0x400) !== 0, denyInteractiveLocked: (raw & 0x800) !== 0,
    });
    expect(encodeBits(bits)).toBe(raw);
    // Other securebits (noroot, keep-caps…) are ignored by decode and never produced by encode.
    expect(decodeBits(raw | 0x2f)).toEqual(bits);
  });

  it.each([
    [0, '0x0', []],
    [0x100, '0x100', ['SECBIT_EXEC_RESTRICT_FILE']],
    [0x300, '0x300', ['SECBIT_EXEC_RESTRICT_FILE', 'SECBIT_EXEC_RESTRICT_FILE_LOCKED']],
    [0x400, '0x400', ['SECBIT_EXEC_DENY_INTERACTIVE']],
    [0xc00, '0xc00', ['SECBIT_EXEC_DENY_INTERACTIVE', 'SECBIT_EXEC_DENY_INTERACTIVE_LOCKED']],
    [0xf00, '0xf00', ['SECBIT_EXEC_RESTRICT_FILE', 'SECBIT_EXEC_RESTRICT_FILE_LOCKED', 'SECBIT_EXEC_DENY_INTERACTIVE', 'SECBIT_EXEC_DENY_INTERACTIVE_LOCKED']],
    [0x12f, '0x12f', ['SECBIT_EXEC_RESTRICT_FILE']],
  ] as const)('0x%s: hex %s, names %j', (raw, hex, names) => {
    expect(bitsHex(raw)).toBe(hex);
    expect(bitNames(raw)).toEqual(names);
  });
});

// ---------------------------------------------------------------------------------------------------
// errno
// ---------------------------------------------------------------------------------------------------

describe('errno', () => {
  it.each([
    [1, 'EPERM', 'unavailable', true],
    [5, 'EIO', 'failed', false],
    [7, 'E2BIG', 'failed', false],
    [9, 'EBADF', 'failed', false],
    [13, 'EACCES', 'EACCES', false],
    [22, 'EINVAL', 'unavailable', true],
    [26, 'ETXTBSY', 'ETXTBSY', false],
    [38, 'ENOSYS', 'unavailable', true],
    [40, 'ELOOP', 'failed', false],
  ] as const)('%i is %s (outcome %s, unavailable %s)', (errno, name, outcome, unavailable) => {
    expect(errnoName(errno)).toBe(name);
    expect(errnoWords(errno)).not.toBe(`error ${errno}`);
    expect(outcomeOf(errno)).toBe(outcome);
    expect(isUnavailableErrno(errno)).toBe(unavailable);
  });

  it('0 is allowed; unknown numbers get a generic name', () => {
    expect(outcomeOf(0)).toBe('allowed');
    expect(errnoName(999)).toBe('E999');
    expect(errnoWords(999)).toBe('error 999');
    expect(outcomeOf(999)).toBe('failed');
  });

  it('explains EACCES and ETXTBSY in words', () => {
    expect(errnoWords(13)).toMatch(/noexec/);
    expect(errnoWords(26)).toMatch(/writ/);
    expect(errnoWords(22)).toMatch(/6\.14/);
  });
});

// ---------------------------------------------------------------------------------------------------
// settings
// ---------------------------------------------------------------------------------------------------

function invalid(fn: () => unknown): Record<string, unknown> {
  try {
    fn();
  } catch (e) {
    return { ...(e as object), message: (e as Error).message };
  }
  throw new Error('expected ERR_SECNODE_INVALID_CONFIG, nothing was thrown');
}

describe('readSettings', () => {
  it('defaults to nothing forced, no audit, every source default', () => {
    expect(readSettings({ PATH: '/bin', NODE_OPTIONS: '--require x' })).toEqual({
      forced: NOTHING, emulate: false, audit: [], launcher: null,
      sources: {
        SECNODE_RESTRICT_FILE: 'default', SECNODE_DENY_INTERACTIVE: 'default', SECNODE_HARDEN_GENERATED: 'default',
        SECNODE_EMULATE_CHECK: 'default', SECNODE_AUDIT: 'default',
      },
    });
  });

  it('SECNODE_LAUNCHER=sh (set by the sh fallback launcher) is read as launcher sh and forces nothing; other values are refused', () => {
    const s = readSettings({ SECNODE_LAUNCHER: 'sh' });
    expect({ launcher: s.launcher, forced: s.forced, emulate: s.emulate }).toEqual({ launcher: 'sh', forced: NOTHING, emulate: false });
    expect(() => readSettings({ SECNODE_LAUNCHER: 'static' })).toThrow(expect.objectContaining({ code: 'ERR_SECNODE_INVALID_CONFIG', setting: 'SECNODE_LAUNCHER' }));
  });

  it.each([
    ['SECNODE_RESTRICT_FILE', { forced: { ...NOTHING, restrictFile: true }, emulate: false }],
    ['SECNODE_DENY_INTERACTIVE', { forced: { ...NOTHING, denyInteractive: true }, emulate: false }],
    ['SECNODE_HARDEN_GENERATED', { forced: { ...NOTHING, hardenGenerated: true }, emulate: false }],
    ['SECNODE_EMULATE_CHECK', { forced: NOTHING, emulate: true }],
  ] as const)('%s=1 turns it on (source env); =0 leaves it off', (name, on) => {
    const s = readSettings({ [name]: '1' });
    expect({ forced: s.forced, emulate: s.emulate }).toEqual(on);
    expect(s.sources[name]).toBe('env');
    const off = readSettings({ [name]: '0' });
    expect({ forced: off.forced, emulate: off.emulate }).toEqual({ forced: NOTHING, emulate: false });
    expect(off.sources[name]).toBe('default');
  });

  it.each(['yes', 'true', 'on', '', ' 1', '2', 'TRUE'])('rejects the value %j with ERR_SECNODE_INVALID_CONFIG', (value) => {
    expect(invalid(() => readSettings({ SECNODE_RESTRICT_FILE: value })))
      .toMatchObject({ code: 'ERR_SECNODE_INVALID_CONFIG', value, message: expect.stringContaining('SECNODE_RESTRICT_FILE') });
  });

  it.each(['SECNODE_RESTRICTFILE', 'SECNODE_DISABLE', 'SECNODE_'])('rejects the unknown name %s', (name) => {
    const e = invalid(() => readSettings({ [name]: '1' }));
    expect(e).toMatchObject({ code: 'ERR_SECNODE_INVALID_CONFIG', value: '1' });
    expect(e.message).toContain(name);
  });

  it('options strengthen and can never be weakened by the environment (or the reverse)', () => {
    const a = readSettings({ SECNODE_RESTRICT_FILE: '0' }, { restrictFile: true });
    expect(a.forced.restrictFile).toBe(true);
    expect(a.sources.SECNODE_RESTRICT_FILE).toBe('option');
    const b = readSettings({ SECNODE_DENY_INTERACTIVE: '1' }, { denyInteractive: false });
    expect(b.forced.denyInteractive).toBe(true);
    expect(b.sources.SECNODE_DENY_INTERACTIVE).toBe('env');
    expect(invalid(() => readSettings({}, { hardenGenerated: 'yes' as unknown as boolean })))
      .toMatchObject({ code: 'ERR_SECNODE_INVALID_CONFIG', message: expect.stringContaining('hardenGenerated') });
  });

  it.each([
    ['stderr', [{ kind: 'stderr' }]],
    ['syslog', [{ kind: 'syslog' }]],
    ['file:/var/log/secnode.jsonl', [{ kind: 'file', path: '/var/log/secnode.jsonl' }]],
    ['stderr,file:/tmp/a b.jsonl,syslog', [{ kind: 'stderr' }, { kind: 'file', path: '/tmp/a b.jsonl' }, { kind: 'syslog' }]],
  ] as const)('SECNODE_AUDIT=%s', (value, sinks) => {
    const s = readSettings({ SECNODE_AUDIT: value });
    expect(s.audit).toEqual(sinks);
    expect(s.sources.SECNODE_AUDIT).toBe('env');
  });

  it('audit sinks from the environment and the options add up', () => {
    expect(readSettings({ SECNODE_AUDIT: 'stderr' }, { audit: 'file:/tmp/x.jsonl' }).audit)
      .toEqual([{ kind: 'stderr' }, { kind: 'file', path: '/tmp/x.jsonl' }]);
  });

  it.each(['stdout', 'file:relative.jsonl', 'file:', 'stderr,', 'stderr,,syslog', 'journald', 'file:/tmp/a\0b'])(
    'rejects the audit list %j', (value) => {
      expect(invalid(() => readSettings({ SECNODE_AUDIT: value })))
        .toMatchObject({ code: 'ERR_SECNODE_INVALID_CONFIG', value, message: expect.stringContaining('SECNODE_AUDIT') });
    });
});

// ---------------------------------------------------------------------------------------------------
// NODE_OPTIONS and preloads
// ---------------------------------------------------------------------------------------------------

describe('splitNodeOptions (Node\'s own rules)', () => {
  it.each([
    ['', []],
    ['--require a.js', ['--require', 'a.js']],
    ['   --require    a.js   --no-warnings  ', ['--require', 'a.js', '--no-warnings']],
    ['--require "/opt/my app/a.js"', ['--require', '/opt/my app/a.js']],
    ['--require="/opt/my app/a.js" -r b', ['--require=/opt/my app/a.js', '-r', 'b']],
    ['"a\\"b"', ['a"b']],
    ['"back\\\\slash"', ['back\\slash']],
    ['a\\b', ['a\\b']],
    ['""', []],
    ['a "" b', ['a', 'b']],
    ['--""inspect-brk', ['--inspect-brk']],
    ['a\tb\nc', ['a\tb\nc']],
    ['x"y z"w', ['xy zw']],
  ] as const)('%j', (value, tokens) => {
    expect(splitNodeOptions(value)).toEqual(tokens);
  });
});

describe('preloadOptions', () => {
  it.each([
    [['-r', 'x'], [{ flag: 'require', spec: 'x' }]],
    [['--require', 'x'], [{ flag: 'require', spec: 'x' }]],
    [['--require=x'], [{ flag: 'require', spec: 'x' }]],
    [['--import', 'x'], [{ flag: 'import', spec: 'x' }]],
    [['--import=./x.mjs'], [{ flag: 'import', spec: './x.mjs' }]],
    [['--loader', 'x'], [{ flag: 'loader', spec: 'x' }]],
    [['--experimental-loader=x'], [{ flag: 'loader', spec: 'x' }]],
    [['--experimental-loader', 'x'], [{ flag: 'loader', spec: 'x' }]],
    [['--import=data:text/javascript,1'], [{ flag: 'import', spec: 'data:text/javascript,1' }]],
    [['--no-warnings', '-r', 'a', '--inspect=9229', '--import', 'b', '--title=x'],
      [{ flag: 'require', spec: 'a' }, { flag: 'import', spec: 'b' }]],
    [['--stack-size=100', '--require'], []],
    [['--requires', 'x', '--imports=y'], []],
  ] as const)('%j', (tokens, found) => {
    expect(preloadOptions(tokens)).toEqual(found);
  });
});

describe('preloadsInOrder', () => {
  it('orders NODE_OPTIONS requires, argv requires, loaders, NODE_OPTIONS imports, argv imports', () => {
    const env = '--import /e/imp1.mjs --require /e/req1.cjs --loader /e/load.mjs -r /e/req2.cjs --import=/e/imp2.mjs';
    const argv = ['--import', '/a/imp.mjs', '--experimental-loader=/a/load.mjs', '--require', '/a/req.cjs'];
    expect(preloadsInOrder(env, argv, '/w').map((p) => `${p.flag} ${p.spec}`)).toEqual([
      'require /e/req1.cjs', 'require /e/req2.cjs', 'require /a/req.cjs',
      'loader /e/load.mjs', 'loader /a/load.mjs',
      'import /e/imp1.mjs', 'import /e/imp2.mjs', 'import /a/imp.mjs',
    ]);
  });

  it('resolves paths from the cwd; URLs it cannot map stay without a path', () => {
    const found = preloadsInOrder('--import "file:///opt/x y.mjs"', ['-r', './rel.cjs', '--import', 'data:text/javascript,1'], '/nonexistent/cwd');
    expect(found).toEqual([
      { flag: 'require', spec: './rel.cjs', path: '/nonexistent/cwd/rel.cjs' },
      { flag: 'import', spec: 'file:///opt/x y.mjs', path: '/opt/x y.mjs' },
      { flag: 'import', spec: 'data:text/javascript,1', path: undefined },
    ]);
  });
});

describe('splitAroundSelf', () => {
  const p = (spec: string): Preload => ({ flag: 'require', spec, path: `/p/${spec}` });
  const self = (x: Preload) => x.spec === 'self';
  const specs = (r: { before: Preload[]; after: Preload[] }) => ({ before: r.before.map((x) => x.spec), after: r.after.map((x) => x.spec) });
  it.each([
    [['self', 'a', 'b'], { before: [], after: ['a', 'b'] }],
    [['a', 'self', 'b'], { before: ['a'], after: ['b'] }],
    [['a', 'self', 'b', 'self', 'c'], { before: ['a'], after: ['b', 'c'] }],
    [['a', 'b'], { before: ['a', 'b'], after: [] }],
    [[], { before: [], after: [] }],
  ] as const)('%j', (list, expected) => {
    expect(specs(splitAroundSelf(list.map(p), self))).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------------
// Start input
// ---------------------------------------------------------------------------------------------------

describe('startInput', () => {
  const tty = () => true;
  const pipe = () => false;
  it.each([
    ['node -e code', ['-e', 'code'], undefined, false, false, pipe, { kind: 'inline', source: 'eval' }],
    ['node --eval=code', ['--eval=code'], undefined, true, false, pipe, { kind: 'inline', source: 'eval' }],
    ['node -p 1', ['-p', '1'], undefined, true, false, tty, { kind: 'inline', source: 'print' }],
    ['node --print 1', ['--print', '1'], undefined, true, false, tty, { kind: 'inline', source: 'print' }],
    ['node -pe 1', ['-pe', '1'], undefined, true, false, tty, { kind: 'inline', source: 'print' }],
    ['node -i', ['-i'], undefined, false, true, tty, { kind: 'inline', source: 'interactive' }],
    ['node -i < file', ['-i'], undefined, true, true, pipe, { kind: 'inline', source: 'interactive' }],
    ['node - < file', [], '-', false, false, pipe, { kind: 'stdin', source: 'stdin' }],
    ['node < file (seen from --import)', [], undefined, true, false, pipe, { kind: 'stdin', source: 'stdin' }],
    ['node < file (seen from --require)', [], undefined, false, false, pipe, { kind: 'stdin', source: 'stdin' }],
    ['node on a tty (REPL)', [], undefined, false, false, tty, { kind: 'stdin', source: 'repl' }],
    ['node app.js', ['--no-warnings'], 'app.js', false, false, tty, { kind: 'entry', path: 'app.js' }],
    ['node /dev/stdin', [], '/dev/stdin', false, false, pipe, { kind: 'entry', path: '/dev/stdin' }],
    ['node --test', ['--test'], undefined, false, false, pipe, { kind: 'none' }],
    ['node --run build', ['--run', 'build'], undefined, false, false, tty, { kind: 'none' }],
    ['node --watch-path=. (no script)', ['--watch-path=.'], undefined, false, false, pipe, { kind: 'none' }],
  ] as const)('%s', (_, execArgv, script, evalSet, forceRepl, stdinIsTty, expected: StartInput) => {
    expect(startInput(execArgv, script, evalSet, forceRepl, stdinIsTty)).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------------
// Backend choice
// ---------------------------------------------------------------------------------------------------

describe('backendFor', () => {
  it.each([
    ['20.19.0', 'async-hooks+cjs'],
    ['v20.20.2', 'async-hooks+cjs'],
    ['22.15.0', 'async-hooks+cjs'],
    ['22.22.2', 'async-hooks+cjs'],
    ['22.22.3', 'sync-hooks'],
    ['v22.23.0', 'sync-hooks'],
    ['24.0.0', 'sync-hooks'],
    ['24.22.3', 'sync-hooks'],
    ['26.0.0', 'sync-hooks'],
    ['26.3.1', 'sync-hooks'],
  ] as const)('%s → %s', (version, backend) => {
    expect(backendFor(version)).toBe(backend);
  });
});

// ---------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------

describe('errors carry a stable code and plain own fields', () => {
  it.each([
    ['execDenied', () => execDenied('/app/x.js', 13, '0x300', 'SECBIT_EXEC_RESTRICT_FILE'), 'ERR_SECNODE_EXEC_DENIED',
      { path: '/app/x.js', errno: 'EACCES', securebits: '0x300', rule: 'SECBIT_EXEC_RESTRICT_FILE' }, ['/app/x.js', 'EACCES']],
    ['execDenied (busy)', () => execDenied('/app/x.js', 26, '0x100', 'SECBIT_EXEC_RESTRICT_FILE'), 'ERR_SECNODE_EXEC_DENIED',
      { path: '/app/x.js', errno: 'ETXTBSY', securebits: '0x100' }, ['ETXTBSY']],
    ['interactiveDenied (inline)', () => interactiveDenied('-e', '0xc00', 'SECBIT_EXEC_DENY_INTERACTIVE'),
      'ERR_SECNODE_INTERACTIVE_DENIED', { source: '-e', securebits: '0xc00', rule: 'SECBIT_EXEC_DENY_INTERACTIVE' }, ['-e']],
    ['interactiveDenied (stream)', () => interactiveDenied('stdin', '0x400', 'SECBIT_EXEC_DENY_INTERACTIVE', 13),
      'ERR_SECNODE_INTERACTIVE_DENIED', { source: 'stdin', errno: 'EACCES' }, ['stdin', 'EACCES']],
    ['checkUnavailable', () => checkUnavailable('/app/x.js', 22, '0x100', 'SECBIT_EXEC_RESTRICT_FILE'),
      'ERR_SECNODE_CHECK_UNAVAILABLE', { path: '/app/x.js', errno: 'EINVAL', securebits: '0x100' }, ['/app/x.js']],
    ['preloadOrder', () => preloadOrder(['./early.cjs', '/x/y.mjs'], '0x100'), 'ERR_SECNODE_PRELOAD_ORDER',
      { before: ['./early.cjs', '/x/y.mjs'], securebits: '0x100' }, ['./early.cjs']],
    ['optionRefused', () => optionRefused('--snapshot-blob', 'a snapshot is code', '0x100'), 'ERR_SECNODE_OPTION_REFUSED',
      { option: '--snapshot-blob', securebits: '0x100' }, ['--snapshot-blob']],
    ['invalidConfig', () => invalidConfig('SECNODE_AUDIT', 'nope', 'a list'), 'ERR_SECNODE_INVALID_CONFIG',
      { value: 'nope' }, ['SECNODE_AUDIT']],
  ] as const)('%s', (_, make, code, fields, inMessage) => {
    const e: SecnodeError = make();
    expect(e).toBeInstanceOf(Error);
    // `name` stays the class name (an own field called `name` would replace it in every stack trace).
    expect(e.name).toBe('SecnodeError');
    // Own enumerable fields: what survives a structured copy or a JSON dump across threads.
    expect({ ...e }).toMatchObject({ code, ...fields });
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({ code, ...fields });
    expect(e.hint).toMatch(/^hint: /);
    expect(e.message).toMatch(/^secnode: /);
    for (const text of inMessage) expect(e.message).toContain(text);
  });
});
