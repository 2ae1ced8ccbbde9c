export function scanCommand(_a: readonly string[]): number { return 2; }
