// How secnode patches a builtin: the property keeps exactly the descriptor node gives it, so programs
// may assign, redefine, spy on, delete and restore it as under node. A function put in place of a
// function keeps its `name` and `length`. Protection comes from node's originals living only in
// secnode's closures (out of the program's reach), never from freezing.

type Fn = (...args: unknown[]) => unknown;

/** Gives `replacement` the `name` and `length` of `original` (own, configurable properties of every function). */
function keepIdentity(replacement: object, original: object): void {
  for (const key of ['name', 'length'] as const) {
    const want = Reflect.get(original, key) as unknown;
    if (Reflect.get(replacement, key) !== want) Object.defineProperty(replacement, key, { value: want });
  }
}

/** The value a descriptor holds, or undefined (an accessor, or no property). */
function ownValueOf(d: PropertyDescriptor | undefined): unknown {
  return d !== undefined && 'value' in d ? d.value as unknown : undefined;
}

/** The value of an own data property of `target`, or undefined (an accessor, or none): what a patch sits on. */
export function ownValue(target: object, key: PropertyKey): unknown {
  return ownValueOf(Object.getOwnPropertyDescriptor(target, key));
}

/**
 * Sets `target[key]` to `value`, keeping the property's writable, configurable and enumerable flags;
 * a function replacing a function also keeps its name and length.
 */
export function replace(target: object, key: PropertyKey, value: unknown): void {
  const d = Object.getOwnPropertyDescriptor(target, key);
  const previous = ownValueOf(d);
  if (typeof value === 'function' && typeof previous === 'function') keepIdentity(value, previous);
  Object.defineProperty(target, key, {
    value, writable: d?.writable ?? true, configurable: d?.configurable ?? true, enumerable: d?.enumerable ?? false,
  });
}

/** Replaces the function `obj[name]` with `wrap(original)`, keeping its name, length and descriptor. */
export function wrapMethod(obj: object, name: string, wrap: (original: Fn) => Fn): void {
  const original = (obj as Record<string, unknown>)[name];
  if (typeof original !== 'function') return;
  replace(obj, name, wrap(original as Fn));
}
