import path from 'node:path';
import type { Config } from '../config/index.js';
import type { Issue } from '../content/index.js';
import { cacheKey, codeVersion, DiskCache } from '../util/disk-cache.js';
import type { RenderedEmail } from './render.js';
import type { EmailTemplate } from './template.js';

function isRenderedEmail(value: unknown): value is RenderedEmail {
  const v = value as RenderedEmail;
  return (
    typeof v?.html === 'string' && typeof v.text === 'string' && typeof v.subject === 'string' && typeof v.nonce === 'string' && /^[0-9A-F]{16}$/.test(v.nonce)
  );
}

/**
 * Rendered emails kept between builds (`build.cache`/email), keyed on
 * everything an email is made of: the issue, the site and email config, the
 * template and the renderer's code. An unchanged issue is not rendered again.
 */
export class EmailCache extends DiskCache<RenderedEmail> {
  constructor(cacheDir: string) {
    super(path.join(cacheDir, 'email'), isRenderedEmail);
  }

  async key(issue: Issue, config: Config, template: EmailTemplate): Promise<string> {
    const { bundleDir: _dir, file: _file, fingerprint: _fingerprint, ...content } = issue;
    const { template: _path, ...email } = config.email;
    return cacheKey(
      await codeVersion(import.meta.url, new URL('../content/index.js', import.meta.url).href),
      template.source,
      JSON.stringify({ content, site: config.site, email }),
    );
  }
}
