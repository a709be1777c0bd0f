import nodemailer from 'nodemailer';
import { loadConfig } from './dist/config/index.js';
import { loadIssues } from './dist/content/index.js';
import { renderEmails } from './dist/build/index.js';
import { composeMessage } from './dist/send/index.js';
import { execFileSync } from 'node:child_process';
const { config } = await loadConfig(process.argv[2]);
const { issues } = await loadIssues(config);
const emails = await renderEmails(config, issues, { validationLevel: 'strict', warn: console.warn });
const issue = issues[0];
const msg = composeMessage({ config, issue, email: emails.get(issue), subscriber: { email: 'reader@example.org', name: 'Reader' }, unsubscribeUrl: 'https://example.com/unsubscribe?token=abc' });
const t = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
const info = await t.sendMail(msg);
const raw = info.message.toString();
console.log(raw.slice(0, 1500));
try { console.log(execFileSync('spamassassin', ['-L', '-t'], { input: raw }).toString().split('\n').filter(l => /^(X-Spam-Status|Content analysis|\s*-?[0-9.]+ [A-Z_]+)|pts rule/.test(l)).join('\n')); } catch (e) { console.log('sa', e.status, e.stdout?.toString().slice(-3000)); }
