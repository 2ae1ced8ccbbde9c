// Types for install-fixture.mjs (plain ESM, shared with .ci/run and the bench).
/** Returns `.cache/<name>` holding the fixture's node_modules, running `npm ci` first if the lockfile changed. */
export declare function ensureFixture(name: string): string;
