import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileError } from '../errors.js';
import { processAlive } from './process.js';

/** Where each entry is: [segment number in `segments`, byte offset, byte length]. */
type Location = [number, number, number];

interface PackIndex {
  segments: string[];
  entries: Record<string, Location>;
}

/** More segments than this, or more dead bytes than live ones, and a save writes all live entries into one. */
const MAX_SEGMENTS = 8;
/** Segments are written in pieces of about this many bytes. */
const CHUNK = 1 << 20;

const SEGMENT = /^([a-z]+)-[0-9a-f]{16}\.pack$/;
const TEMPORARY = /^\.([a-z]+)(?:-[0-9a-f]{16}\.pack|\.json)\.(\d+)\.tmp$/;

function isIndex(value: unknown): value is PackIndex {
  const v = value as PackIndex;
  return Array.isArray(v?.segments) && v.segments.every((s) => typeof s === 'string' && SEGMENT.test(s)) && typeof v.entries === 'object' && v.entries !== null;
}

/**
 * JSON values kept between runs in a few large files instead of one file
 * each: a build that parses a thousand issues writes one segment file, not
 * a thousand entries (creating a file costs far more than its bytes).
 *
 * `<name>.json` indexes the segments (`<name>-<random>.pack`). A segment is
 * written whole under a temporary name, renamed, and never changed after,
 * so a value is either read as it was written or not found; an index that
 * names a missing or short segment makes its entries misses. Values put in
 * a run are kept in memory and written by `save`, which also drops what the
 * run did not use and, when dead bytes outweigh live ones, rewrites the
 * live ones into one segment. Only files named as this cache names its own
 * are ever removed.
 */
export class PackCache<T> {
  private readonly index: PackIndex;
  private readonly used = new Set<string>();
  private readonly added = new Map<string, T>();
  /** Per segment: its size, or undefined when it is missing. */
  private readonly sizes = new Map<number, number | undefined>();
  private readonly fds = new Map<number, number>();

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly valid: (value: unknown) => value is T,
    /** Files of this cache's former format in `dir`, removed by `save`. */
    private readonly former?: RegExp,
  ) {
    let index: PackIndex = { segments: [], entries: {} };
    try {
      const value: unknown = JSON.parse(readFileSync(this.indexFile, 'utf8'));
      if (isIndex(value)) index = value;
    } catch {
      // No index yet, or a damaged one: every entry is a miss.
    }
    this.index = index;
  }

  private get indexFile(): string {
    return path.join(this.dir, `${this.name}.json`);
  }

  private location(key: string): Location | undefined {
    const at = Object.hasOwn(this.index.entries, key) ? this.index.entries[key] : undefined;
    if (!Array.isArray(at) || at.length !== 3 || !at.every((n) => Number.isSafeInteger(n) && n >= 0)) return undefined;
    const [segment, offset, length] = at;
    if (segment >= this.index.segments.length) return undefined;
    if (!this.sizes.has(segment)) this.sizes.set(segment, statSync(this.segmentFile(segment), { throwIfNoEntry: false })?.size);
    const size = this.sizes.get(segment);
    return size !== undefined && offset + length <= size ? at : undefined;
  }

  private segmentFile(segment: number): string {
    return path.join(this.dir, this.index.segments[segment]!);
  }

  /** Whether there is a value for `key`, without reading it (kept by `save` as though it were read). */
  has(key: string): boolean {
    if (this.added.has(key)) return true;
    const found = this.location(key) !== undefined;
    if (found) this.used.add(key);
    return found;
  }

  private read([segment, offset, length]: Location): Buffer | undefined {
    let fd = this.fds.get(segment);
    if (fd === undefined) {
      fd = openSync(this.segmentFile(segment), 'r');
      this.fds.set(segment, fd);
    }
    const bytes = Buffer.allocUnsafe(length);
    return readSync(fd, bytes, 0, length, offset) === length ? bytes : undefined;
  }

  /**
   * The value for `key`, read now; undefined when there is none, or it
   * cannot be read. A segment holding something that is not what was
   * written (a damaged disk) is removed, so the next run makes its values
   * again.
   */
  getNow(key: string): T | undefined {
    const added = this.added.get(key);
    if (added !== undefined) return added;
    const at = this.location(key);
    if (!at) return undefined;
    let bytes: Buffer | undefined;
    try {
      bytes = this.read(at);
    } catch {
      return undefined;
    }
    let value: unknown;
    try {
      value = bytes && JSON.parse(bytes.toString('utf8'));
    } catch {
      // Damaged, as below.
    }
    if (value !== undefined && this.valid(value)) {
      this.used.add(key);
      return value;
    }
    rmSync(this.segmentFile(at[0]), { force: true });
    this.sizes.set(at[0], undefined);
    return undefined;
  }

  async get(key: string): Promise<T | undefined> {
    return this.getNow(key);
  }

  /** Keep `value` under `key` (written by `save`). */
  put(key: string, value: T): void {
    this.added.set(key, value);
    this.used.add(key);
  }

  /**
   * Write what this run added, and an index of the entries it used (the
   * others are dropped). Nothing is written when nothing changed.
   */
  save(): void {
    try {
      this.write();
    } finally {
      for (const fd of this.fds.values()) closeSync(fd);
      this.fds.clear();
    }
  }

  private write(): void {
    const kept = [...this.used].filter((key) => !this.added.has(key) && this.location(key) !== undefined);
    const unchanged = this.added.size === 0 && kept.length === Object.keys(this.index.entries).length;
    if (unchanged) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      const live = new Map<number, number>();
      for (const key of kept) {
        const [segment, , length] = this.index.entries[key]!;
        live.set(segment, (live.get(segment) ?? 0) + length);
      }
      let liveBytes = 0;
      let allBytes = 0;
      for (const [segment, bytes] of live) {
        liveBytes += bytes;
        allBytes += this.sizes.get(segment) ?? 0;
      }
      const compact = live.size + 1 > MAX_SEGMENTS || allBytes - liveBytes > liveBytes;
      const next: PackIndex = { segments: [], entries: {} };
      const values = new Map<string, string | Buffer>();
      if (compact) {
        for (const key of kept) {
          const bytes = this.read(this.index.entries[key]!);
          if (bytes) values.set(key, bytes);
        }
      } else {
        const renumber = new Map<number, number>();
        for (const key of kept) {
          const [segment, offset, length] = this.index.entries[key]!;
          if (!renumber.has(segment)) {
            renumber.set(segment, next.segments.length);
            next.segments.push(this.index.segments[segment]!);
          }
          next.entries[key] = [renumber.get(segment)!, offset, length];
        }
      }
      for (const [key, value] of this.added) values.set(key, JSON.stringify(value));
      if (values.size > 0) this.writeSegment(values, next);
      const temp = path.join(this.dir, `.${this.name}.json.${process.pid}.tmp`);
      const fd = openSync(temp, 'w');
      try {
        writeSync(fd, JSON.stringify(next));
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.indexFile);
      this.removeUnlisted(next);
    } catch (err) {
      throw fileError(err, 'OUTPUT', 'write the cache (build.cache)', this.dir);
    }
  }

  /** One new segment holding `values`, entered into `index`. */
  private writeSegment(values: Map<string, string | Buffer>, index: PackIndex): void {
    const name = `${this.name}-${randomBytes(8).toString('hex')}.pack`;
    const temp = path.join(this.dir, `.${name}.${process.pid}.tmp`);
    const segment = index.segments.length;
    const fd = openSync(temp, 'w');
    try {
      let offset = 0;
      let pieces: Buffer[] = [];
      let pending = 0;
      for (const [key, value] of values) {
        const bytes = typeof value === 'string' ? Buffer.from(value) : value;
        index.entries[key] = [segment, offset, bytes.length];
        offset += bytes.length;
        pieces.push(bytes);
        pending += bytes.length;
        if (pending >= CHUNK) {
          writeSync(fd, Buffer.concat(pieces));
          pieces = [];
          pending = 0;
        }
      }
      if (pieces.length > 0) writeSync(fd, Buffer.concat(pieces));
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path.join(this.dir, name));
    index.segments.push(name);
  }

  /** Remove this cache's segments the index no longer lists, and temporary files of runs that ended. */
  private removeUnlisted(index: PackIndex): void {
    const listed = new Set(index.segments);
    for (const file of readdirSync(this.dir)) {
      const segment = SEGMENT.exec(file);
      const temporary = TEMPORARY.exec(file);
      const ours =
        segment?.[1] === this.name ? !listed.has(file) : temporary?.[1] === this.name ? !processAlive(Number(temporary[2])) : this.former?.test(file) === true;
      if (ours) rmSync(path.join(this.dir, file), { force: true });
    }
  }
}
