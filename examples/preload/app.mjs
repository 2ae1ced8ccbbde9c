#!/usr/bin/env node
// Keep your own `node` command line: run with `node --import secnode/register examples/preload/app.mjs`.
// secnode/register checks every later preload, import and require; run it from the package (or an app
// that depends on secnode) so that `secnode/register` resolves.
import { readSecurebits, bitNames } from 'secnode';
import { describe } from './describe.cjs';

console.log(describe(bitNames(readSecurebits())));
