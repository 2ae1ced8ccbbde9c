// Installs Node 24 before the suite so process-level tests run under both Node versions.
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM helper shared with the benchmark
import { ensureNode24 } from './install-node24.mjs';

export default function setup(project: TestProject): void {
  project.provide('node24Bin', ensureNode24() as string);
}

declare module 'vitest' {
  export interface ProvidedContext {
    node24Bin: string;
  }
}
