// Where a record comes from: the machine (machine id, else host name) and the systemd unit, read once.
import { readFileSync } from './own-fs.js';
import { ownRequire } from './own-require.js';

/** The systemd unit in a `/proc/self/cgroup` text: the innermost `.service` or `.scope`, or undefined. */
export function unitFromCgroup(text: string): string | undefined {
  const lines = text.split('\n');
  const line = lines.find((l) => l.startsWith('0::')) ?? lines.find((l) => l.includes(':name=systemd:'));
  const path = line?.slice(line.indexOf(':', line.indexOf(':') + 1) + 1) ?? '';
  return path.split('/').reverse().find((s) => /^[\w.@\\:-]+\.(service|scope)$/.test(s) && s !== 'init.scope');
}

/** The machine id from /etc/machine-id, else the host name. */
export function readHost(): string {
  try {
    const id = readFileSync('/etc/machine-id', 'latin1').trim();
    if (/^[0-9a-f]{32}$/.test(id)) return id;
  } catch { /* no machine id: use the host name */ }
  return (ownRequire('node:os') as typeof import('node:os')).hostname();
}

/** The systemd unit this process runs in, from /proc/self/cgroup; undefined outside one. */
export function readUnit(): string | undefined {
  try {
    return unitFromCgroup(readFileSync('/proc/self/cgroup', 'latin1'));
  } catch {
    return undefined;
  }
}
