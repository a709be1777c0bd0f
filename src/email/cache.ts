import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/index.js';
import type { Issue } from '../content/index.js';
import type { RenderedEmail } from './render.js';
import type { EmailTemplate } from './template.js';

const here = path.dirname(fileURLToPath(import.meta.url));
let codeHash: Promise<string> | undefined;

/** A hash of this module's own code: a new Gazette renders everything afresh. */
function rendererVersion(): Promise<string> {
  codeHash ??= (async () => {
    const hash = createHash('sha256');
    for (const name of (await readdir(here)).filter((n) => /\.(js|ts)$/.test(n)).sort()) {
      hash.update(name).update(await readFile(path.join(here, name)));
    }
    return hash.digest('hex');
  })();
  return codeHash;
}

/**
 * Rendered emails kept between builds in `email.cache`, keyed on everything
 * the email is made of: the issue, the site and email config, the template
 * and the renderer's code. An unchanged issue is not rendered again.
 */
export class EmailCache {
  private readonly dir: string;
  private readonly used = new Set<string>();

  constructor(cacheDir: string) {
    this.dir = path.join(cacheDir, 'email');
  }

  async key(issue: Issue, config: Config, template: EmailTemplate): Promise<string> {
    const { tree: _tree, hast: _hast, bundleDir: _dir, file: _file, ...content } = issue;
    const { cache: _cache, template: _path, ...email } = config.email;
    return createHash('sha256')
      .update(await rendererVersion())
      .update(template.source)
      .update(JSON.stringify({ content, site: config.site, email }))
      .digest('hex');
  }

  async get(key: string): Promise<RenderedEmail | undefined> {
    this.used.add(key);
    try {
      const value = JSON.parse(await readFile(path.join(this.dir, `${key}.json`), 'utf8')) as RenderedEmail;
      return typeof value.html === 'string' && typeof value.text === 'string' && typeof value.subject === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /** Written to a temporary name and renamed, so a crash never leaves half an entry. */
  async put(key: string, value: RenderedEmail): Promise<void> {
    this.used.add(key);
    await mkdir(this.dir, { recursive: true });
    const temp = path.join(this.dir, `.${key}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(temp, JSON.stringify(value));
    await rename(temp, path.join(this.dir, `${key}.json`));
  }

  /** Forget entries this build did not use. */
  async prune(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((name) => !this.used.has(name.replace(/\.json$/, '')))
        .map((name) => rm(path.join(this.dir, name), { force: true })),
    );
  }
}
