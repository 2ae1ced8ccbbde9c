// secnode's library API: securebits, the exec check, the pure decision, audit records.
export * from './constants.js';
export { readSecurebits, writeSecurebits, checkFd, probeCheck, SyscallError } from './kernel.js';
export { decodeBits, encodeBits, bitsHex, bitNames, type ExecBits } from './securebits.js';
export { decide, type Decision, type InputKind, type CheckOutcome, type Forced } from './policy.js';
export { checkOpenFd, checkPath, openChecked, emulatedCheck, outcomeOf, type CheckResult } from './check.js';
export { errnoName, errnoWords } from './errno.js';
export { SecnodeError, type SecnodeCode } from './errors.js';
export { readSettings, type Settings, type SettingsInput, type AuditSink } from './settings.js';
export { DECISION_CHANNEL, makeRecord, Auditor, type AuditRecord, type Subject } from './audit.js';
export { scan, isCodeFile, type ScanReport, type ScannedFile, type Unresolved, type ScanOptions } from './scan.js';
