// The start-up refusal every front door prints (the preload, `secnodectl preflight` and, generated into its table
// header, the static launcher): one line saying what and why with the error's code, one hint line, exit status 126.

/** Exit status for a refused start (the shell's "found but not executable"). */
export const EXIT_REFUSED = 126;

/** The hint line when an error brings none. */
export const DEFAULT_HINT = 'hint: see the secnode README';

/** The two lines of a refusal: `secnode: <what and why> [ERR_SECNODE_…]`, then the hint. Only secnode codes are shown. */
export function refusalText(message: string, code: string | undefined, hint: string | undefined): string {
  const shown = code !== undefined && code.startsWith('ERR_SECNODE_') ? ` [${code}]` : '';
  return `${message.startsWith('secnode:') ? '' : 'secnode: '}${message}${shown}\n${hint ?? DEFAULT_HINT}\n`;
}

/** The two lines for anything thrown at start-up (a SecnodeError, or any other value). */
export function refusalOf(err: unknown): string {
  const e = err as { message?: unknown; hint?: unknown; code?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return refusalText(message, typeof e?.code === 'string' ? e.code : undefined, typeof e?.hint === 'string' ? e.hint : undefined);
}
