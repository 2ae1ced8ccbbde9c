// How secnode patches a builtin: the property keeps exactly the descriptor node gives it, so programs
// may assign, redefine, spy on and restore it as under node. Protection comes from node's originals
// living only in secnode's closures (out of the program's reach), never from freezing.

type Fn = (...args: unknown[]) => unknown;

/** Sets `target[key]` to `value`, keeping the property's writable, configurable and enumerable flags. */
export function replace(target: object, key: PropertyKey, value: unknown): void {
  const d = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, {
    value, writable: d?.writable ?? true, configurable: d?.configurable ?? true, enumerable: d?.enumerable ?? false,
  });
}

/** Replaces the function `obj[name]` with `wrap(original)`, keeping its name, length and descriptor. */
export function wrapMethod(obj: object, name: string, wrap: (original: Fn) => Fn): void {
  const original = (obj as Record<string, unknown>)[name];
  if (typeof original !== 'function') return;
  const replacement = wrap(original as Fn);
  Object.defineProperty(replacement, 'name', { value: original.name });
  Object.defineProperty(replacement, 'length', { value: original.length });
  replace(obj, name, replacement);
}
