// A pure reader for the dynamic section of an ELF shared object: what the dynamic linker reads to find
// the libraries an object needs (DT_NEEDED), where it looks (DT_RPATH, DT_RUNPATH) and its own name.

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export type ReadAt = (position: number, length: number) => Buffer;

/** The dynamic-linking facts of one ELF object. */
export interface ElfDynamic {
  /** ELF class (1 = 32-bit, 2 = 64-bit) and machine (e_machine), to match objects like the linker does. */
  readonly elfClass: number;
  readonly machine: number;
  /** DT_NEEDED names, in order. */
  readonly needed: readonly string[];
  readonly soname: string | undefined;
  readonly rpath: string | undefined;
  readonly runpath: string | undefined;
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const DT = { NULL: 0, NEEDED: 1, STRTAB: 5, STRSZ: 10, SONAME: 14, RPATH: 15, RUNPATH: 29 } as const;
/** Bounds that keep a hostile file from making the reader allocate or loop without end. */
const MAX_PHDRS = 4096;
const MAX_DYNAMIC = 1 << 20;
const MAX_STRING = 1 << 16;

/** Thrown for a file that is not an ELF object this reader understands. */
export class ElfError extends Error {}

/** The ELF class and machine of the running process (what the dynamic linker accepts). */
export function hostElf(): { elfClass: number; machine: number } | undefined {
  const machine = ({ x64: 62, arm64: 183, riscv64: 243, ppc64: 21, s390x: 22, ia32: 3, arm: 40 } as Record<string, number>)[process.arch];
  const elfClass = ['x64', 'arm64', 'riscv64', 'ppc64', 's390x'].includes(process.arch) ? 2 : 1;
  return machine === undefined ? undefined : { elfClass, machine };
}

/** Reads the dynamic section; returns undefined for a file that is not ELF, throws ElfError when it is malformed. */
export function readElfDynamic(read: ReadAt): ElfDynamic | undefined {
  try {
    return parseDynamic(read);
  } catch (err) {
    // A read past the end of a truncated or lying file.
    if (err instanceof RangeError) throw new ElfError(`truncated ELF object (${err.message})`);
    throw err;
  }
}

function parseDynamic(read: ReadAt): ElfDynamic | undefined {
  const ident = read(0, 64);
  if (ident.length < 52 || ident.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const elfClass = ident[4] ?? 0;
  const little = ident[5] === 1;
  if ((elfClass !== 1 && elfClass !== 2) || (ident[5] !== 1 && ident[5] !== 2)) throw new ElfError('unknown ELF class or byte order');
  const wide = elfClass === 2;
  const u16 = (b: Buffer, o: number): number => (little ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number): number => (little ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const word = (b: Buffer, o: number): number => {
    if (!wide) return u32(b, o);
    const v = little ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError('value out of range');
    return Number(v);
  };
  const sword = (b: Buffer, o: number): bigint => (wide ? (little ? b.readBigInt64LE(o) : b.readBigInt64BE(o)) : BigInt(little ? b.readInt32LE(o) : b.readInt32BE(o)));
  const machine = u16(ident, 18);
  const phoff = word(ident, wide ? 32 : 28);
  const phentsize = u16(ident, wide ? 54 : 42);
  const phnum = u16(ident, wide ? 56 : 44);
  if (phnum > MAX_PHDRS || phentsize < (wide ? 56 : 32)) throw new ElfError('bad program headers');
  const phdrs = read(phoff, phentsize * phnum);
  if (phdrs.length < phentsize * phnum) throw new ElfError('truncated program headers');

  const loads: { vaddr: number; offset: number; filesz: number }[] = [];
  let dynamic: { offset: number; size: number } | undefined;
  for (let i = 0; i < phnum; i++) {
    const p = i * phentsize;
    const type = u32(phdrs, p);
    const offset = word(phdrs, p + (wide ? 8 : 4));
    const vaddr = word(phdrs, p + (wide ? 16 : 8));
    const filesz = word(phdrs, p + (wide ? 32 : 16));
    if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
    else if (type === PT_DYNAMIC) dynamic = { offset, size: Math.min(filesz, MAX_DYNAMIC) };
  }
  const empty = { elfClass, machine, needed: [], soname: undefined, rpath: undefined, runpath: undefined };
  if (dynamic === undefined) return empty;

  const entrySize = wide ? 16 : 8;
  const dyn = read(dynamic.offset, dynamic.size);
  const entries: { tag: bigint; value: number }[] = [];
  for (let o = 0; o + entrySize <= dyn.length; o += entrySize) {
    const tag = sword(dyn, o);
    if (tag === BigInt(DT.NULL)) break;
    entries.push({ tag, value: word(dyn, o + entrySize / 2) });
  }
  const one = (tag: number): number | undefined => entries.find((e) => e.tag === BigInt(tag))?.value;
  const strtab = one(DT.STRTAB);
  const strsz = one(DT.STRSZ);
  if (strtab === undefined || strsz === undefined) return empty;
  const segment = loads.find((l) => strtab >= l.vaddr && strtab < l.vaddr + l.filesz);
  if (segment === undefined) throw new ElfError('string table outside the file');
  const strOffset = segment.offset + (strtab - segment.vaddr);
  const string = (index: number): string => {
    if (index >= strsz) throw new ElfError('string outside the string table');
    const bytes = read(strOffset + index, Math.min(MAX_STRING, strsz - index));
    const end = bytes.indexOf(0);
    if (end < 0) throw new ElfError('unterminated string');
    return bytes.toString('utf8', 0, end);
  };
  const named = (tag: number): string | undefined => {
    const v = one(tag);
    return v === undefined ? undefined : string(v);
  };
  return {
    elfClass,
    machine,
    needed: entries.filter((e) => e.tag === BigInt(DT.NEEDED)).map((e) => string(e.value)),
    soname: named(DT.SONAME),
    rpath: named(DT.RPATH),
    runpath: named(DT.RUNPATH),
  };
}

const SHT_DYNSYM = 11;
const MAX_SYMBOLS = 1 << 20;

/**
 * Whether the object defines `name` in its dynamic symbol table (from the section headers); undefined
 * when it has no readable section headers, so the answer is unknown.
 */
export function definesSymbol(read: ReadAt, name: string): boolean | undefined {
  try {
    return findSymbol(read, name);
  } catch (err) {
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

function findSymbol(read: ReadAt, name: string): boolean | undefined {
  const h = read(0, 64);
  if (h.length < 52 || h.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const wide = h[4] === 2;
  const little = h[5] === 1;
  const u16 = (b: Buffer, o: number): number => (little ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number): number => (little ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const word = (b: Buffer, o: number): number => (wide ? Number(little ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
  const shoff = word(h, wide ? 40 : 32);
  const shentsize = u16(h, wide ? 58 : 46);
  const shnum = u16(h, wide ? 60 : 48);
  if (shoff === 0 || shnum === 0 || shentsize < (wide ? 64 : 40)) return undefined;
  const sh = read(shoff, shentsize * shnum);
  if (sh.length < shentsize * shnum) return undefined;
  const section = (i: number) => {
    const o = i * shentsize;
    return { type: u32(sh, o + 4), offset: word(sh, o + (wide ? 24 : 16)), size: word(sh, o + (wide ? 32 : 20)), link: u32(sh, o + (wide ? 40 : 24)) };
  };
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (s.type !== SHT_DYNSYM || s.link >= shnum) continue;
    const strings = section(s.link);
    const entsize = wide ? 24 : 16;
    const count = Math.min(Math.floor(s.size / entsize), MAX_SYMBOLS);
    const syms = read(s.offset, count * entsize);
    const strtab = read(strings.offset, Math.min(strings.size, 1 << 24));
    const wanted = Buffer.from(`${name}\0`);
    for (let o = 0; o + entsize <= syms.length; o += entsize) {
      const shndx = u16(syms, o + (wide ? 6 : 14));
      if (shndx === 0) continue; // undefined here: needed from elsewhere
      const at = u32(syms, o);
      if (at + wanted.length <= strtab.length && strtab.compare(wanted, 0, wanted.length, at, at + wanted.length) === 0) return true;
    }
    return false;
  }
  return undefined;
}
