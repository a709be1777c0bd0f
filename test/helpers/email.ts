import { readFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { type Config, loadConfig } from '../../src/config/index.js';
import { type Issue, loadIssues } from '../../src/content/index.js';
import type { RenderedEmail } from '../../src/email/index.js';
import { renderEmails } from '../../src/email/index.js';
import { composeMessage, transferEncoding } from '../../src/mail/index.js';
import { BASE_CONFIG, DIGEST, makeSite } from './site.js';

export interface RenderedSite {
  dir: string;
  config: Config;
  issues: Issue[];
  emails: Map<Issue, RenderedEmail>;
  warnings: string[];
}

/** Build a site's issues and render their emails with MJML's strict validation. */
export async function renderSite(files: Record<string, string | Uint8Array>, config = BASE_CONFIG): Promise<RenderedSite> {
  const dir = await makeSite(files, config);
  const loaded = await loadConfig(path.join(dir, 'gazette.toml'));
  const { issues } = await loadIssues(loaded.config, { now: new Date('2026-12-01T00:00:00Z') });
  const warnings: string[] = [];
  const emails = await renderEmails(loaded.config, issues, { validationLevel: 'strict', warn: (w) => warnings.push(w) });
  return { dir, config: loaded.config, issues, emails, warnings };
}

export async function renderSeed(): Promise<RenderedSite & { issue: Issue; email: RenderedEmail }> {
  const site = await renderSite({ 'content/seed-digest.md': await readFile(DIGEST) });
  const issue = site.issues[0]!;
  return { ...site, issue, email: site.emails.get(issue)! };
}

/** The complete message a subscriber receives, composed as `gazette send` does, written by nodemailer's stream transport. */
export async function rawMessage(site: RenderedSite, issue: Issue): Promise<string> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const info = await transport.sendMail(
    composeMessage({
      config: site.config,
      email: site.emails.get(issue)!,
      to: { email: 'reader@example.org', name: 'Reader' },
      unsubscribeUrl: 'https://news.example.com/unsubscribe?token=abc123',
      date: new Date('2026-02-23T00:05:00Z'),
      textEncoding: transferEncoding(site.emails.get(issue)!.text),
    }),
  );
  return (info.message as Buffer).toString('utf8');
}
