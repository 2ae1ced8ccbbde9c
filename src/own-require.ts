// One CommonJS require for secnode's own code (builtins and its dependencies): each
// createRequire(import.meta.url) costs a path-to-URL-to-path round trip and a Module object at start.
import { createRequire } from 'node:module';

/** `require` for secnode's own code, made once (the early chunk, loaded before this one, keeps its own). */
export const ownRequire: NodeJS.Require = createRequire(import.meta.url);
