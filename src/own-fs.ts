// secnode's own file operations: node:fs's functions as they were when secnode's code was loaded, before
// any program code ran. A program or package manager that replaces fs.readFileSync, fs.openSync and the
// like (Yarn Plug'n'Play serves files from zip archives that way) then neither sees nor answers secnode's
// opens, checks and reads of the fds it checked.
import fs from 'node:fs';

/** Node's fs.closeSync, taken at load. */
export const closeSync: typeof fs.closeSync = fs.closeSync;
/** Node's fs.existsSync, taken at load. */
export const existsSync: typeof fs.existsSync = fs.existsSync;
/** Node's fs.fstatSync, taken at load. */
export const fstatSync: typeof fs.fstatSync = fs.fstatSync;
/** Node's fs.lstatSync, taken at load. */
export const lstatSync: typeof fs.lstatSync = fs.lstatSync;
/** Node's fs.openSync, taken at load. */
export const openSync: typeof fs.openSync = fs.openSync;
/** Node's fs.readFileSync, taken at load: also how secnode tells a program's replacement from Node's. */
export const readFileSync: typeof fs.readFileSync = fs.readFileSync;
/** Node's fs.readSync, taken at load. */
export const readSync: typeof fs.readSync = fs.readSync;
/** Node's fs.readdirSync, taken at load. */
export const readdirSync: typeof fs.readdirSync = fs.readdirSync;
/** Node's fs.realpathSync, taken at load. */
export const realpathSync: typeof fs.realpathSync = fs.realpathSync;
/** Node's fs.renameSync, taken at load. */
export const renameSync: typeof fs.renameSync = fs.renameSync;
/** Node's fs.rmSync, taken at load. */
export const rmSync: typeof fs.rmSync = fs.rmSync;
/** Node's fs.statSync, taken at load. */
export const statSync: typeof fs.statSync = fs.statSync;
/** Node's fs.writeFileSync, taken at load. */
export const writeFileSync: typeof fs.writeFileSync = fs.writeFileSync;
/** Node's fs.writeSync, taken at load. */
export const writeSync: typeof fs.writeSync = fs.writeSync;
/** Node's fs.realpathSync.native, taken at load (a property a program could replace on the shared function). */
export const realpathNative: typeof fs.realpathSync.native = fs.realpathSync.native;
