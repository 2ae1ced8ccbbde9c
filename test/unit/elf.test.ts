// Unit tests for the ELF dynamic-section reader and the linker's search-path expansion: real objects
// built with the C compiler, and hostile inputs that must fail cleanly (no throw other than ElfError).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definesSymbol, ElfError, hostElf, readElfDynamic, type ReadAt } from '../../src/elf.js';
import { expandSearchPath, originOf } from '../../src/ld-path.js';
import { buildLibrary } from '../helpers/addon.js';

const reader = (bytes: Buffer): ReadAt => (position, length) => bytes.subarray(position, position + length);

let dir: string;
let lib: Buffer;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'secnode-elf-'));
  buildLibrary(dir, 'libdep.so', 'int dep(void) { return 1; }\n', ['-Wl,-soname,libdep.so.1']);
  lib = readFileSync(buildLibrary(dir, 'libuser.so', 'int dep(void);\nint sqlite3_user_init(void) { return dep(); }\n',
    ['-Wl,-soname,libuser.so', `-L${dir}`, '-ldep', '-Wl,-rpath,$ORIGIN/lib:/opt/x', '-Wl,--enable-new-dtags']));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readElfDynamic', () => {
  it('reads DT_NEEDED, DT_SONAME and DT_RUNPATH of a real object', () => {
    const elf = readElfDynamic(reader(lib));
    expect(elf).toMatchObject({ soname: 'libuser.so', runpath: '$ORIGIN/lib:/opt/x', rpath: undefined, ...hostElf() });
    expect(elf?.needed).toContain('libdep.so.1');
  });

  it('returns undefined for a file that is not ELF, and throws only ElfError on a damaged one', () => {
    expect(readElfDynamic(reader(Buffer.from('#!/bin/sh\necho hi\n')))).toBeUndefined();
    for (const cut of [52, 64, 200, 1000]) {
      try {
        readElfDynamic(reader(lib.subarray(0, cut)));
      } catch (e) {
        expect(e).toBeInstanceOf(ElfError);
      }
    }
    const bad = Buffer.from(lib);
    bad[4] = 7; // unknown class
    expect(() => readElfDynamic(reader(bad))).toThrow(ElfError);
  });
});

describe('definesSymbol', () => {
  it('tells defined symbols from needed ones', () => {
    expect(definesSymbol(reader(lib), 'sqlite3_user_init')).toBe(true);
    expect(definesSymbol(reader(lib), 'dep')).toBe(false); // needed from libdep, not defined here
    expect(definesSymbol(reader(Buffer.from('not elf')), 'x')).toBeUndefined();
  });
});

describe('search paths', () => {
  it('expands $ORIGIN and ${ORIGIN}, keeps empty entries as the current directory, and gives up on other tokens', () => {
    expect(expandSearchPath('$ORIGIN/lib:${ORIGIN}/../x;/abs::$LIB/y:$PLATFORM', '/app/addon'))
      .toEqual(['/app/addon/lib', '/app/addon/../x', '/abs', '.', undefined, undefined]);
  });

  it('takes $ORIGIN from the path as opened, not resolved', () => {
    expect(originOf('/a/b/../c/x.node')).toBe('/a/b/../c');
    expect(originOf('/x.node')).toBe('/');
    expect(originOf('rel/x.node')).toBe(`${process.cwd()}/rel`);
  });
});

describe('ownLibraries', () => {
  it('lists the libraries an object brings along through its search paths, recursively, not the system\'s', async () => {
    const { mkdirSync } = await import('node:fs');
    const { ownLibraries } = await import('../../src/ld-path.js');
    mkdirSync(join(dir, 'pkg', 'lib'), { recursive: true });
    buildLibrary(dir, 'pkg/lib/libleaf.so', 'int leaf(void) { return 1; }\n', ['-Wl,-soname,libleaf.so']);
    buildLibrary(dir, 'pkg/lib/libtop.so', 'int leaf(void);\nint top(void) { return leaf(); }\n',
      ['-Wl,-soname,libtop.so', `-L${join(dir, 'pkg/lib')}`, '-lleaf', '-Wl,-rpath,$ORIGIN']);
    buildLibrary(dir, 'pkg/addon.node', 'int top(void);\nint f(void) { return top(); }\n',
      [`-L${join(dir, 'pkg/lib')}`, '-ltop', '-lm', '-Wl,-rpath,$ORIGIN/lib', '-Wl,--no-as-needed']);
    expect(ownLibraries(join(dir, 'pkg/addon.node'))).toEqual([join(dir, 'pkg/lib/libtop.so'), join(dir, 'pkg/lib/libleaf.so')]);
  });
});
