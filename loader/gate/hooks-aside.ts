// secnode's load hook, taken off Node's chain for one CommonJS read that secnode answers itself
// (backends/cjs-direct.ts), and put back by whichever comes first: that read or the module's compile.
let putBack: (() => void) | undefined;
let aside: string | undefined;

/** How the hook is taken off and put back; `spare` puts a second copy on and takes it off again. */
export interface HookSwitch {
  off(): void;
  on(): void;
  spare(): void;
}

/** One frame more than `hooksBack` takes, so that the spare copy is put on deeper in the stack than the hook ever is. */
function trySpare(hooks: HookSwitch): void {
  hooks.spare();
}

/**
 * Takes the hook off until `hooksBack` runs. Putting a spare copy on first, one frame deeper, makes sure that
 * with the stack nearly full (a program recursing to its limit) putting the hook back is not the step that fails.
 */
export function setHooksAside(hooks: HookSwitch, filename: string): void {
  trySpare(hooks);
  hooks.off();
  putBack = hooks.on;
  aside = filename;
}

/** The file whose load Node's handler is in while the hook is off, if it is off. */
export function asideFor(): string | undefined {
  return aside;
}

/** Puts the hook back if it is off (before any program code can run); if that throws, it stays due and is tried again. */
export function hooksBack(): void {
  const on = putBack;
  if (on === undefined) return;
  on();
  putBack = undefined;
  aside = undefined;
}
