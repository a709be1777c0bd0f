import stringWidth from 'string-width';

/**
 * Rows as columns that line up on a terminal: each column as wide as its
 * widest cell, counted in terminal columns (a Chinese character takes two;
 * `string-width` knows which), numbers to the right. The last column is not
 * padded, so a long title wraps rather than pushing the rest.
 */
export function alignedTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, numeric: readonly boolean[] = []): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => stringWidth(row[c] ?? ''))));
  return all.map((row) =>
    row
      .map((cell, c) => {
        if (c === row.length - 1 && !numeric[c]) return cell;
        const pad = ' '.repeat(widths[c]! - stringWidth(cell));
        return numeric[c] ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}
