#!/usr/bin/env secnode
// The README's first example: an ES module that imports a CommonJS helper and a JSON file.
import { greet } from './greet.cjs';
import data from './data.json' with { type: 'json' };

console.log(greet(data.name));
