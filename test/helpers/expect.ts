import { expect } from 'vitest';
import { GazetteError } from '../../src/errors.js';

/** The error a promise fails with, which must be one of Gazette's (a user's mistake, with its code and one line). */
export async function failure(p: Promise<unknown>): Promise<GazetteError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GazetteError);
  return err as GazetteError;
}
