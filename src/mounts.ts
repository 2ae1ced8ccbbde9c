// The mount behind an open fd, from /proc/self/fdinfo and /proc/self/mountinfo.
import { readFileSync } from './own-fs.js';

/** A mount: its mount point, whether it forbids executing (`noexec`) and whether it is read-only (mount or superblock). */
export interface Mount { readonly point: string; readonly noexec: boolean; readonly readOnly: boolean }

/** The mount behind an open fd, or undefined when /proc does not name it. */
export function mountOf(fd: number): Mount | undefined {
  const id = /^mnt_id:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'))?.[1];
  if (id === undefined) return undefined;
  for (const line of readFileSync('/proc/self/mountinfo', 'latin1').split('\n')) {
    const fields = line.split(' ');
    if (fields[0] !== id) continue;
    const options = (fields[5] ?? '').split(',');
    const superOptions = (fields[fields.indexOf('-') + 3] ?? '').split(',');
    return {
      point: (fields[4] ?? '').replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))),
      noexec: options.includes('noexec'),
      readOnly: options.includes('ro') || superOptions.includes('ro'),
    };
  }
  return undefined;
}
