/** A worker thread that renders issues' Markdown for a cold build (see load.ts). */
import { parentPort } from 'node:worker_threads';
import { createMarkdownRenderer, type MarkdownRenderer } from './markdown.js';
import { deriveSummary } from './summary.js';

interface Job {
  id: number;
  markdown: string;
  url: string;
  language: string;
  summaryLength: number;
}

const renderers = new Map<string, MarkdownRenderer>();

parentPort!.on('message', ({ id, markdown, url, language, summaryLength }: Job) => {
  try {
    let renderer = renderers.get(language);
    if (!renderer) {
      renderer = createMarkdownRenderer(language);
      renderers.set(language, renderer);
    }
    const r = renderer.render(markdown, url);
    parentPort!.postMessage({ id, html: r.html, summary: deriveSummary(r.tree, r.hast, summaryLength) });
  } catch (err) {
    parentPort!.postMessage({ id, failure: { message: (err as Error).message, tooDeep: err instanceof RangeError } });
  }
});
