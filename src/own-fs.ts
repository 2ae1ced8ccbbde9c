// secnode's own file operations: node:fs's functions as they were when secnode's code was loaded, before
// any program code ran. A program or package manager that replaces fs.readFileSync, fs.openSync and the
// like (Yarn Plug'n'Play serves files from zip archives that way) then neither sees nor answers secnode's
// opens, checks and reads of the fds it checked.
import {
  closeSync as nodeCloseSync,
  existsSync as nodeExistsSync,
  fstatSync as nodeFstatSync,
  lstatSync as nodeLstatSync,
  openSync as nodeOpenSync,
  readFileSync as nodeReadFileSync,
  readSync as nodeReadSync,
  readdirSync as nodeReaddirSync,
  realpathSync as nodeRealpathSync,
  renameSync as nodeRenameSync,
  rmSync as nodeRmSync,
  statSync as nodeStatSync,
  writeFileSync as nodeWriteFileSync,
  writeSync as nodeWriteSync,
} from 'node:fs';

/** Node's fs.closeSync, taken at load. */
export const closeSync: typeof nodeCloseSync = nodeCloseSync;
/** Node's fs.existsSync, taken at load. */
export const existsSync: typeof nodeExistsSync = nodeExistsSync;
/** Node's fs.fstatSync, taken at load. */
export const fstatSync: typeof nodeFstatSync = nodeFstatSync;
/** Node's fs.lstatSync, taken at load. */
export const lstatSync: typeof nodeLstatSync = nodeLstatSync;
/** Node's fs.openSync, taken at load. */
export const openSync: typeof nodeOpenSync = nodeOpenSync;
/** Node's fs.readFileSync, taken at load: also how secnode tells a program's replacement from Node's. */
export const readFileSync: typeof nodeReadFileSync = nodeReadFileSync;
/** Node's fs.readSync, taken at load. */
export const readSync: typeof nodeReadSync = nodeReadSync;
/** Node's fs.readdirSync, taken at load. */
export const readdirSync: typeof nodeReaddirSync = nodeReaddirSync;
/** Node's fs.realpathSync, taken at load. */
export const realpathSync: typeof nodeRealpathSync = nodeRealpathSync;
/** Node's fs.renameSync, taken at load. */
export const renameSync: typeof nodeRenameSync = nodeRenameSync;
/** Node's fs.rmSync, taken at load. */
export const rmSync: typeof nodeRmSync = nodeRmSync;
/** Node's fs.statSync, taken at load. */
export const statSync: typeof nodeStatSync = nodeStatSync;
/** Node's fs.writeFileSync, taken at load. */
export const writeFileSync: typeof nodeWriteFileSync = nodeWriteFileSync;
/** Node's fs.writeSync, taken at load. */
export const writeSync: typeof nodeWriteSync = nodeWriteSync;
/** Node's fs.realpathSync.native, taken at load (a property a program could replace on the shared function). */
export const realpathNative: typeof nodeRealpathSync.native = nodeRealpathSync.native;
