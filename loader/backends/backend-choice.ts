// Which hook backend a Node version gets (pure; shared by the loader and `secnodectl status`).

/** The backend names `status` reports. */
export type Backend = 'sync-hooks' | 'async-hooks+cjs';

/** Sync hooks work from Node 22.22.3 and 24 (earlier 22.x crash some apps; see NODE.md). */
export function backendFor(version: string): Backend {
  const [major = 0, minor = 0, patch = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (major >= 24) return 'sync-hooks';
  if (major === 22 && (minor > 22 || (minor === 22 && patch >= 3))) return 'sync-hooks';
  return 'async-hooks+cjs';
}
