// `install()` for programs that start themselves (a kiosk shell, an Electron main process).
import type { SettingsInput } from '../src/settings.js';
import { boot, type Installed } from './boot.js';
import { thread } from './thread.js';

const INSTALLED = Symbol.for('secnode.installed');

/** Options for `install()`: strengthen-only settings, the same as the SECNODE_* variables. */
export type InstallOptions = SettingsInput;

/**
 * Installs secnode's checks in this process from now on: every later import, require, preload and worker
 * file goes through the kernel check. Settings only add restrictions. Throws a SecnodeError (by `code`).
 */
export function install(options: InstallOptions = {}): Installed {
  (globalThis as { [INSTALLED]?: boolean })[INSTALLED] = true;
  return boot('install', thread() === 'main', options);
}
