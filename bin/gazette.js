#!/usr/bin/env node
import { main } from '../dist/bundle/index.js';

let finished = false;
// A safety net: if the event loop ever empties while a command is still waiting, say so and fail.
process.on('exit', (code) => {
  if (!finished && code === 0) {
    process.stderr.write('error: gazette stopped before the command finished (an internal error); nothing reported success\n');
    process.exitCode = 70;
  }
});

main(process.argv).then((code) => {
  finished = true;
  process.exitCode = code;
});
