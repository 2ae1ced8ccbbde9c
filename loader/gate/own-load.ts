// Lets secnode load its own helper modules (already trusted like its own files) without gating them.
let depth = 0;

/** True while secnode itself is loading one of its own dependencies. */
export function ownLoad(): boolean {
  return depth > 0;
}

/** Runs `fn` (synchronously) with the gate open for secnode's own loads. */
export function asOwnLoad<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}
