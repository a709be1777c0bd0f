import { rm } from 'node:fs/promises';
import { afterAll } from 'vitest';
import { madeFolders } from './site.js';

// Every test file removes the site folders it made, whether its tests passed or not.
afterAll(async () => {
  await Promise.all([...madeFolders].map((dir) => rm(dir, { recursive: true, force: true })));
  madeFolders.clear();
});
