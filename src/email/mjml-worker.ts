/** A worker thread that turns MJML into HTML (see mjml.ts). */
import { parentPort } from 'node:worker_threads';
import mjml2html, { type MjmlError, type MjmlOptions } from 'mjml';

interface Job {
  id: number;
  mjml: string;
  options: MjmlOptions;
}

parentPort!.on('message', async ({ id, mjml, options }: Job) => {
  try {
    const result = await mjml2html(mjml, options);
    parentPort!.postMessage({ id, html: result.html, errors: result.errors.map(plain) });
  } catch (err) {
    const e = err as Error & { errors?: MjmlError[] };
    parentPort!.postMessage({ id, failure: { message: e.message, errors: e.errors?.map(plain) } });
  }
});

function plain(e: MjmlError): MjmlError {
  return { line: e.line, message: e.message, tagName: e.tagName, formattedMessage: e.formattedMessage };
}
