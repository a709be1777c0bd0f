import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileError } from '../errors.js';

const versions = new Map<string, Promise<string>>();

/** Written beside the bundle by scripts/bundle.mjs: a hash of all of the bundle's code. */
export const CODE_VERSION_FILE = 'code-version.txt';

/**
 * A hash of the code in the given module folders (their .js or .ts files):
 * a new Gazette makes every cache entry it wrote before a miss. Run from
 * the bundle (dist/bundle/, which holds all of Gazette's code), it is the
 * bundle's hash, taken when it was made, instead of reading it all again.
 */
export function codeVersion(...moduleUrls: string[]): Promise<string> {
  const key = moduleUrls.join('\n');
  let version = versions.get(key);
  if (!version) {
    // This module in the bundle means all of Gazette's code is in it: the bundle's hash covers any folders asked for.
    const stamp = bundleStamp(path.dirname(fileURLToPath(import.meta.url)));
    version = (async () => {
      if (stamp) return stamp;
      const hash = createHash('sha256');
      for (const url of moduleUrls) {
        const dir = path.dirname(fileURLToPath(url));
        for (const name of (await readdir(dir)).filter((n) => /\.(js|ts)$/.test(n)).sort()) {
          hash.update(name).update(await readFile(path.join(dir, name)));
        }
      }
      return hash.digest('hex');
    })();
    versions.set(key, version);
  }
  return version;
}

const stamps = new Map<string, string | undefined>();

/** The bundle's hash written beside it (read once per folder, synchronously: a build waits for it), if any. */
function bundleStamp(dir: string): string | undefined {
  if (!stamps.has(dir)) {
    let stamp: string | undefined;
    try {
      stamp = readFileSync(path.join(dir, CODE_VERSION_FILE), 'utf8');
    } catch {
      // Not bundled (the TypeScript sources in tests, or tsc's dist/): the code is hashed.
    }
    stamps.set(dir, stamp && /^[0-9a-f]{64}\n?$/.test(stamp) ? stamp.trim() : undefined);
  }
  return stamps.get(dir);
}

/** sha256 of the parts, in order, each length-prefixed so that no two lists collide. */
export function cacheKey(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${Buffer.byteLength(part)}:`).update(part);
  return hash.digest('hex');
}

const ENTRY = /^([0-9a-f]{64})\.json$/;
const TEMPORARY = /^\.[0-9a-f]{64}\.[0-9a-f]{8}\.tmp$/;

/**
 * JSON values kept in files between runs, one file per key. Entries are
 * written under a temporary name and renamed, so a crash never leaves half
 * of one; an unreadable or invalid entry is a miss.
 */
export class DiskCache<T> {
  private readonly used = new Set<string>();
  private made = false;

  constructor(
    private readonly dir: string,
    private readonly valid: (value: unknown) => value is T,
  ) {}

  async get(key: string): Promise<T | undefined> {
    this.used.add(key);
    try {
      // Synchronous: far cheaper than a promise and a file handle per entry.
      const value: unknown = JSON.parse(readFileSync(path.join(this.dir, `${key}.json`), 'utf8'));
      return this.valid(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /** Keep an entry at the next prune, as if it had been read. */
  keep(key: string): void {
    this.used.add(key);
  }

  async put(key: string, value: T): Promise<void> {
    this.used.add(key);
    const temp = path.join(this.dir, `.${key}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      if (!this.made) {
        mkdirSync(this.dir, { recursive: true });
        this.made = true;
      }
      writeFileSync(temp, JSON.stringify(value));
      renameSync(temp, path.join(this.dir, `${key}.json`));
    } catch (err) {
      throw fileError(err, 'OUTPUT', 'write the cache (build.cache)', this.dir);
    }
  }

  /**
   * Forget the entries this run did not use. Only files named as this
   * cache names its own (`<sha256>.json`, and the temporary files of a
   * crashed write) are ever removed: whatever else is in the folder was not
   * written by it, and stays.
   */
  async prune(): Promise<void> {
    // Synchronous: a few small entries, and a build waits for it.
    let names: string[] = [];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const entry = ENTRY.exec(name);
      if (entry ? !this.used.has(entry[1]!) : TEMPORARY.test(name)) rmSync(path.join(this.dir, name), { force: true });
    }
  }
}
