// The package's main entry (`import … from 'secnode'`): the library, plus `install()`. No side effects on import.
import { createRequire } from 'node:module';
import type { Installed } from './boot.js';
import type { InstallOptions } from './install.js';

export * from '../src/index.js';
export type { Installed } from './boot.js';
export type { InstallOptions } from './install.js';
export type { Backend } from './backends/backend-choice.js';

/**
 * Installs secnode's checks in this process (see docs/reference.md, "The library"): later imports, requires and
 * workers are checked; settings can only add restrictions. Throws errors with a `code`.
 */
export function install(options: InstallOptions = {}): Installed {
  const bundle = createRequire(import.meta.url)('./install.cjs') as { install(o: InstallOptions): Installed };
  return bundle.install(options);
}
