// The lazily required chunk for native objects (loader/lazy.ts): opening, checking and mapping a shared object
// and the libraries it needs, with the ELF reader behind it.
export { openChecked, renamed, uncheckable, RTLD_LAZY } from './shared-object.js';
export { NotMatchable } from './addon-libs.js';
export { definesSymbol } from '../../src/elf.js';
