#!/usr/bin/env node
// The lifeos-mission executable: wires the process to main() and nothing else.
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
