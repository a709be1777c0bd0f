import type { Browser, Page } from 'playwright-core';

/**
 * The words of Latin letters or digits (with their joiners: `Qwen3-32B`,
 * `v1.2`) inside table cells that the browser broke over more than one
 * line, as laid out on `page`.
 */
export function brokenWordsInCells(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const broken: string[] = [];
    for (const cell of Array.from(document.querySelectorAll('td, th'))) {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      // A word may span text nodes (the span that keeps it whole); rebuild each cell's text with its nodes.
      const pieces: Array<{ node: Text; start: number }> = [];
      let text = '';
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        pieces.push({ node: n as Text, start: text.length });
        text += (n as Text).data;
      }
      for (const match of text.matchAll(/[A-Za-z0-9]+(?:[-./_+:][A-Za-z0-9]+)*/g)) {
        const at = (offset: number, end: boolean) => {
          const piece = pieces.filter((p) => (end ? p.start < offset : p.start <= offset)).at(-1)!;
          return [piece.node, offset - piece.start] as const;
        };
        const range = document.createRange();
        range.setStart(...at(match.index, false));
        range.setEnd(...at(match.index + match[0].length, true));
        const tops = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
    return broken;
  });
}

/** A table of the kind a daily AI digest carries: Chinese text beside model names, version numbers and scores. */
export const MODEL_TABLE = [
  '| 模型 | 参数量 | 上下文 | 许可 | 评测 | 备注 |',
  '|---|---|---|---|---|---|',
  '| Qwen3-32B | 32B | 128K | Apache-2.0 | MMLU-Pro 71.9 | 阿里巴巴发布的开源稠密模型，支持思考模式切换 |',
  '| DeepSeek-V3.1-Terminus | 671B-A37B | 128K | MIT | SWE-bench-Verified 68.4 | 混合推理架构，工具调用能力增强 |',
  '| Llama-4-Maverick-17B-128E | 400B | 1M | Llama-4-Community | LiveCodeBench 43.4 | 多模态，原生支持图像输入 |',
].join('\n');

/**
 * Open `url` at 375 px, save a screenshot, and measure the table: words broken in its cells, the
 * document's width, and the scrolling box (`scroller`, a selector) against what it holds.
 */
export async function tableAt375(browser: Browser, url: string, shot: string, scroller: string) {
  const page = await browser.newPage({ viewport: { width: 375, height: 900 } });
  try {
    await page.goto(url);
    await page.screenshot({ path: shot, fullPage: true });
    const broken = await brokenWordsInCells(page);
    const box = await page.evaluate((selector) => {
      const element = document.querySelector(selector)!;
      return { page: document.documentElement.scrollWidth, visible: element.clientWidth, content: element.scrollWidth };
    }, scroller);
    return { broken, ...box };
  } finally {
    await page.close();
  }
}
