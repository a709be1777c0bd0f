import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sentSite, statusOf } from '../../helpers/reports.js';
import { SECRET } from '../../helpers/send.js';
import { ROOT } from '../../helpers/site.js';

/** Run `gazette bounces import FILE` in its own process; its peak memory (bytes) and what it printed. */
function importMeasured(site: { dir: string; config: string }, file: string): Promise<{ code: number | null; stdout: string; stderr: string; peak: number }> {
  return new Promise((resolve) => {
    const report = path.join(site.dir, 'peak.mjs');
    const child = spawn(process.execPath, ['--import', report, path.join(ROOT, 'bin/gazette.js'), 'bounces', 'import', file, '--config', site.config], {
      env: { ...process.env, GAZETTE_SECRET: SECRET },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      const m = /peak-rss=(\d+)/.exec(stderr);
      resolve({ code, stdout, stderr: stderr.replace(/peak-rss=\d+\n?/, ''), peak: m ? Number(m[1]) * 1024 : Number.NaN });
    });
  });
}

const MB = 1024 * 1024;

describe('one bounce message cannot take the machine', () => {
  it('a 24 MB report (a DSN quoting a huge original, a failure notice naming half a million addresses) is read in under 256 MB', async () => {
    const site = await sentSite(1);
    await writeFile(path.join(site.dir, 'peak.mjs'), "process.on('exit', () => process.stderr.write('peak-rss=' + process.resourceUsage().maxRSS + '\\n'));\n");
    const sent = site.sent('sub0@example.org');
    const huge = `${'word '.repeat(20)}\r\n`.repeat(240_000);
    const dsn = [
      'Return-Path: <>',
      `Delivered-To: ${sent.verp}`,
      'From: Mail Delivery System <MAILER-DAEMON@mx.example.org>',
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <huge-dsn@mx.example.org>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
      '',
      '--B',
      'Content-Type: text/plain',
      '',
      'The mail system could not deliver your message.',
      '--B',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.org',
      '',
      'Final-Recipient: rfc822; sub0@example.org',
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 user unknown',
      '',
      '--B',
      'Content-Type: message/rfc822',
      '',
      `Message-ID: ${sent.messageId}`,
      'Subject: Issue one',
      '',
      huge,
      '--B--',
      '',
    ].join('\r\n');
    expect(dsn.length).toBeGreaterThan(23 * MB);
    const dsnFile = path.join(site.dir, 'huge-dsn.eml');
    await writeFile(dsnFile, dsn);
    const run = await importMeasured(site, dsnFile);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('sub0@example.org: bounced (hard bounce, matched by envelope)');
    expect(run.peak).toBeLessThan(256 * MB);
    expect((await statusOf(site.database, 'sub0@example.org')).status).toBe('bounced');

    const many = Array.from({ length: 480_000 }, (_, i) => `<user${i}@example.org>:\r\n550 5.1.1 user unknown\r\n`).join('\r\n');
    const qmail = `From: MAILER-DAEMON@mx.example.org\r\nSubject: failure notice\r\nMessage-ID: <huge-qmail@mx.example.org>\r\n\r\nHi. This is the qmail-send program.\r\n\r\n${many}`;
    expect(qmail.length).toBeGreaterThan(23 * MB);
    const qmailFile = path.join(site.dir, 'huge-qmail.eml');
    await writeFile(qmailFile, qmail);
    const second = await importMeasured(site, qmailFile);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('1 report');
    expect(second.peak).toBeLessThan(256 * MB);
  });
});
