// Secnode's patches are pinned: ordinary assignment cannot undo them, nor can redefinition.

/** Defines `value` on `target` non-writable and non-configurable, keeping the key's enumerability. */
export function pin(target: object, key: PropertyKey, value: unknown): void {
  const enumerable = Object.getOwnPropertyDescriptor(target, key)?.enumerable ?? false;
  Object.defineProperty(target, key, { value, writable: false, configurable: false, enumerable });
}
