import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv, readCsv } from '../../../src/util/csv.js';
import { gazetteWith, sendConfig } from '../../helpers/send.js';
import { makeSite } from '../../helpers/site.js';

async function site() {
  const dir = await makeSite({ 'content/a.md': '+++\ntitle = "A"\ndate = 2026-01-01\n+++\nA\n' }, sendConfig());
  return { dir, config: path.join(dir, 'gazette.toml') };
}

const cli = (config: string, ...args: string[]) => gazetteWith({}, 'subscribers', ...args, '--config', config);

const MESSY = [
  '\uFEFF Email , Name ,STATUS',
  'ada@example.org,Ada Lovelace,',
  '  BOB@Example.org  ,"Builder, Bob",subscribed',
  '"carol@example.org","Carol ""CJ"" Jones",',
  'bob@example.ORG,Bob again,',
  'not-an-email,Nobody,',
  'dave@example.org,Dave,unsubscribed',
  'erin@example.org,Erin,maybe',
  '',
  '"frank@example.org","Frank',
  'on two lines",',
  'grace@exa mple.org,Grace,',
  'heidi@example.org,"Heidi" trailing,',
  'ivan@example.org',
].join('\r\n');

describe('CSV', () => {
  it('parses BOMs, CRLF, quotes, doubled quotes, embedded line breaks and spaces, with line numbers', () => {
    const records = parseCsv(MESSY);
    expect(records[0]!.fields).toEqual(['Email', 'Name', 'STATUS']);
    expect(records[2]).toEqual({ line: 3, fields: ['BOB@Example.org', 'Builder, Bob', 'subscribed'] });
    expect(records[3]!.fields).toEqual(['carol@example.org', 'Carol "CJ" Jones', '']);
    const frank = records.find((r) => r.fields[0] === 'frank@example.org')!;
    expect(frank).toEqual({ line: 10, fields: ['frank@example.org', 'Frank\r\non two lines', ''] });
    const heidi = records.find((r) => r.fields[0] === 'heidi@example.org')!;
    expect(heidi.error).toMatch(/text after a closing quote/);
    expect(records.at(-1)).toEqual({ line: 14, fields: ['ivan@example.org'] });
  });

  it('reads a stream in any chunking exactly as the whole text, so a file of any length is read in flat memory', async () => {
    const texts = [`${MESSY}\r\nO"Brien,x\r\n"multi\r\nline",y`, 'sep=;\r\nE-mail;Name\r\nzhang@例子.中国;张三\r\n', 'email\nlast@example.org'];
    for (const text of texts) {
      const whole = parseCsv(text);
      for (let size = 1; size <= 41; size += 4) {
        const chunks: string[] = [];
        for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
        const streamed = [];
        for await (const record of readCsv(chunks)) streamed.push(record);
        expect(streamed, `chunks of ${size}`).toEqual(whole);
      }
    }
  });
});

describe('gazette subscribers', () => {
  it('imports a messy CSV, reporting every invalid row with its line, and imports the valid ones', async () => {
    const { dir, config } = await site();
    const file = path.join(dir, 'list.csv');
    await writeFile(file, MESSY);
    const run = await cli(config, 'import', file);
    expect(run.code).toBe(1);
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors).toEqual([
      expect.stringMatching(/list\.csv:6: "not-an-email" is not an email address/),
      expect.stringMatching(/list\.csv:8: status "maybe" is not one of/),
      expect.stringMatching(/list\.csv:12: "grace@exa mple\.org" is not an email address/),
      expect.stringMatching(/list\.csv:13: text after a closing quote/),
    ]);
    expect(run.stderr).toMatch(/note: .*list\.csv:5: bob@example\.ORG repeats line 3; skipped/);
    expect(run.stdout).toMatch(/Imported .*list\.csv: 6 added, 0 updated, 0 unchanged\./);
    const list = (await cli(config, 'list')).stdout;
    expect(list).toContain('BOB@Example.org\tsubscribed\tBuilder, Bob');
    expect(list).toContain('dave@example.org\tunsubscribed\tDave');
    expect(list).toContain('frank@example.org\tsubscribed\tFrank on two lines');
    expect((await cli(config, 'count')).stdout).toBe('5 subscribed, 0 pending, 1 unsubscribed, 0 bounced');

    // The same file again changes nothing.
    const again = await cli(config, 'import', file);
    expect(again.stdout).toMatch(/0 added, 0 updated, 6 unchanged\./);
    expect((await cli(config, 'list')).stdout).toBe(list);
  });

  it('reads the CSVs that mailing tools and spreadsheets write: semicolons, tabs, UTF-16, their column names', async () => {
    const { dir, config } = await site();
    await writeFile(
      path.join(dir, 'mailchimp.csv'),
      'Email Address;First Name;Last Name;MEMBER_RATING\r\nann@example.org;Ann;Lee;2\r\n"Bo <bo@example.org>";;;1\r\nmailto:cy@example.org;Cy;;3\r\n',
    );
    const run = await cli(config, 'import', path.join(dir, 'mailchimp.csv'));
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/3 added/);
    await writeFile(path.join(dir, 'excel.csv'), 'sep=;\r\nE-mail;Name\r\nzhang@例子.中国;张三\r\n');
    const excel = await cli(config, 'import', path.join(dir, 'excel.csv'));
    expect(excel.stderr).toBe('');
    expect(excel.stdout).toMatch(/1 added/);
    const tsv = '\uFEFFemail\tname\r\ndi@example.org\tDi, the second\r\n';
    await writeFile(path.join(dir, 'excel.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(tsv.slice(1), 'utf16le')]));
    expect((await cli(config, 'import', path.join(dir, 'excel.txt'))).code).toBe(0);
    const list = (await cli(config, 'list')).stdout;
    expect(list).toContain('ann@example.org\tsubscribed\tAnn Lee');
    expect(list).toContain('bo@example.org\tsubscribed\tBo');
    expect(list).toContain('cy@example.org\tsubscribed\tCy');
    expect(list).toContain('di@example.org\tsubscribed\tDi, the second');
    expect(list).toContain('zhang@xn--fsqu00a.xn--fiqs8s\tsubscribed\t张三');
  });

  it('never turns an unsubscribed or bounced address back into a subscribed one, but honours new opt-outs', async () => {
    const { dir, config } = await site();
    await cli(config, 'add', 'ann@example.org');
    await cli(config, 'add', 'ben@example.org');
    await cli(config, 'remove', 'ANN@example.org');
    const file = path.join(dir, 'again.csv');
    await writeFile(file, 'email,status\nann@example.org,subscribed\nAnn@Example.org,\nben@example.org,unsubscribed\n');
    const run = await cli(config, 'import', file);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('1 left unsubscribed or bounced');
    const list = (await cli(config, 'list')).stdout;
    expect(list).toContain('ann@example.org\tunsubscribed');
    expect(list).toContain('ben@example.org\tunsubscribed');
  });

  it('add, remove (keeping the record), list, count and export', async () => {
    const { config } = await site();
    expect((await cli(config, 'add', 'zoe@example.org', '--name', 'Zoë')).stdout).toBe('Added zoe@example.org (subscribed).');
    expect((await cli(config, 'add', 'ZOE@example.org')).stdout).toBe('zoe@example.org is already subscribed.');
    const bad = await cli(config, 'add', 'zoe@@example');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: "zoe@@example" is not an email address/);
    expect((await cli(config, 'remove', 'zoe@example.org')).code).toBe(0);
    const refused = await cli(config, 'add', 'zoe@example.org');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is unsubscribed');
    expect((await cli(config, 'add', 'zoe@example.org', '--force')).code).toBe(0);
    await cli(config, 'add', 'quote@example.org', '--name', 'Say "hi", please');
    const exported = (await cli(config, 'export')).stdout.split('\n');
    expect(exported[0]).toBe('email,name,status,source,created_at,subscribed_at,unsubscribed_at,unsubscribed_how,topics,frequency');
    expect(exported[1]).toMatch(/^zoe@example\.org,Zoë,subscribed,cli,/);
    expect(exported[2]).toMatch(/^quote@example\.org,"Say ""hi"", please",subscribed,cli,/);
    expect((await cli(config, 'remove', 'nobody@example.org')).code).toBe(1);
  });

  it('exports cells a spreadsheet would run as formulas escaped, and imports them back as they were', async () => {
    const a = await site();
    await cli(a.config, 'add', 'calc@example.org', '--name', '=HYPERLINK("http://evil.example","click")');
    await cli(a.config, 'add', 'plus@example.org', '--name', '+1 555');
    const csv = (await cli(a.config, 'export')).stdout;
    expect(csv).toContain(`calc@example.org,"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(csv).toContain("plus@example.org,'+1 555,");
    const b = await site();
    const file = path.join(b.dir, 'export.csv');
    await writeFile(file, csv);
    expect((await cli(b.config, 'import', file)).code).toBe(0);
    const list = (await cli(b.config, 'list')).stdout;
    expect(list).toContain('calc@example.org\tsubscribed\t=HYPERLINK("http://evil.example","click")');
    expect(list).toContain('plus@example.org\tsubscribed\t+1 555');
  });

  it('a file that turns out not to be UTF-8 after its valid rows imports nothing', async () => {
    const { dir, config } = await site();
    const rows = Array.from({ length: 5000 }, (_, i) => `row${i}@example.org,Row ${i}`).join('\n');
    await writeFile(path.join(dir, 'late.csv'), Buffer.concat([Buffer.from(`email,name\n${rows}\n`), Buffer.from([0xd6, 0xd0, 0x0a])]));
    const run = await cli(config, 'import', path.join(dir, 'late.csv'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/late\.csv: not valid UTF-8 text/);
    expect((await cli(config, 'count')).stdout).toBe('0 subscribed, 0 pending, 0 unsubscribed, 0 bounced');
  });

  it('a file that is not a database is one clear error', async () => {
    const { dir, config } = await site();
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(dir, 'data'), { recursive: true });
    await writeFile(path.join(dir, 'data', 'gazette.db'), 'this is not sqlite, just text '.repeat(100));
    const run = await cli(config, 'count');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: \S*gazette\.db: cannot use the subscriber database: file is not a database \(subscribers\.database\)$/);
  });

  it('export and import round-trip', async () => {
    const a = await site();
    await cli(a.config, 'add', 'x@example.org', '--name', 'X, "the" one');
    await cli(a.config, 'add', 'y@example.org');
    await cli(a.config, 'remove', 'y@example.org');
    const csv = (await cli(a.config, 'export')).stdout;
    const b = await site();
    const file = path.join(b.dir, 'export.csv');
    await writeFile(file, csv);
    expect((await cli(b.config, 'import', file)).code).toBe(0);
    const firstThree = (list: string) => list.replace(/^((?:[^\t]*\t){2}[^\t]*).*$/gm, '$1');
    expect(firstThree((await cli(b.config, 'list')).stdout)).toBe(firstThree((await cli(a.config, 'list')).stdout));
    expect((await cli(a.config, 'list')).stdout).toMatch(/y@example\.org\tunsubscribed\t\t\S+\teverything\tdaily\t\S+ \(command\)/);
  });

  it('rejects a CSV without an email column, a missing file and a non-UTF-8 file, importing nothing', async () => {
    const { dir, config } = await site();
    await writeFile(path.join(dir, 'h.csv'), 'address,name\na@example.org,A\n');
    const noHeader = await cli(config, 'import', path.join(dir, 'h.csv'));
    expect(noHeader.code).toBe(1);
    expect(noHeader.stderr).toMatch(/h\.csv:1: the header row has no "email" column \(it has: address, name\)/);
    expect((await cli(config, 'import', path.join(dir, 'missing.csv'))).stderr).toContain('no such file');
    await writeFile(path.join(dir, 'gbk.csv'), Buffer.from([0x65, 0x6d, 0x61, 0x69, 0x6c, 0x0a, 0xd6, 0xd0, 0x0a]));
    expect((await cli(config, 'import', path.join(dir, 'gbk.csv'))).stderr).toContain('not valid UTF-8');
    expect((await cli(config, 'count')).stdout).toBe('0 subscribed, 0 pending, 0 unsubscribed, 0 bounced');
  });
});
