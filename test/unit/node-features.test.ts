// The named Node-version facts in src/node-features.ts, at the edges of each threshold.
import { describe, expect, it } from 'vitest';
import { hasCryptoBindingSecureContext, hasModuleSyncCondition, hasSafeSyncHooks, parseNodeVersion, loadResultsNameReload }
  from '../../src/node-features.js';

const at = (version: string): ReturnType<typeof parseNodeVersion> => parseNodeVersion(version);

describe('Node-version flags', () => {
  it.each([
    ['20.19.0', false, false, true, false],
    ['22.9.0', false, true, true, false],
    ['22.10.0', false, true, true, true],
    ['22.22.2', false, true, true, true],
    ['v22.22.3', true, true, true, true],
    ['23.11.0', false, false, false, true],
    ['24.0.0', true, false, false, true],
    ['26.1.0', true, false, false, true],
  ] as const)('%s: sync hooks %s, reload field %s, crypto binding %s, module-sync %s', (version, sync, reload, crypto, moduleSync) => {
    expect(hasSafeSyncHooks(at(version))).toBe(sync);
    expect(loadResultsNameReload(at(version))).toBe(reload);
    expect(hasCryptoBindingSecureContext(at(version))).toBe(crypto);
    expect(hasModuleSyncCondition(at(version))).toBe(moduleSync);
  });
});
