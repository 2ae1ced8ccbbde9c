// secnode's load hook, taken off Node's chain for one CommonJS read that secnode answers itself
// (backends/cjs-direct.ts), and put back by whichever comes first: that read or the module's compile.
let putBack: (() => void) | undefined;

/** Takes the hook off (`off`) until `hooksBack` runs `on`. */
export function setHooksAside(off: () => void, on: () => void): void {
  off();
  putBack = on;
}

/** Puts the hook back if it is off (before any program code can run). */
export function hooksBack(): void {
  const on = putBack;
  if (on === undefined) return;
  putBack = undefined;
  on();
}
