import type { SendMailOptions } from 'nodemailer';
import { type Config, need } from '../config/index.js';
import { type Carrier, type CarrierChoice, carrierError, outboxCarrier, smtpCarrier } from './carrier.js';
import { classify } from './classify.js';

/** A relay a campaign sends through: its carrier, its share and its limits (`[[smtp]]`). */
export interface Relay {
  /** Its name in the config (its host when it has none), recorded in the ledger with each message it carried. */
  name: string;
  carrier: Carrier;
  /** Its share of the messages, against the others' weights. */
  weight: number;
  /** Messages a second at most through it, every sender together; 0: no limit. */
  rateLimit: number;
  /** Messages in any 24 hours at most through it, every sender and issue together; 0: no limit. */
  dailyLimit: number;
}

/** The configured relays, each with its carrier (one outbox on a dry run). */
export async function openRelays(config: Config, choice: CarrierChoice): Promise<Relay[]> {
  if (choice.dryRun) return [{ name: 'outbox', carrier: await outboxCarrier(config, choice.outboxDir), weight: 1, rateLimit: 0, dailyLimit: 0 }];
  const relays: Relay[] = [];
  for (const smtp of need(config, 'smtp')) {
    relays.push({ name: smtp.name, carrier: await smtpCarrier(config, smtp), weight: smtp.weight, rateLimit: smtp.rateLimit, dailyLimit: smtp.dailyLimit });
  }
  return relays;
}

/** `relay-a (smtp://a.example.com:587), relay-b (…)`, or one relay's description alone. */
export function describeRelays(relays: Relay[]): string {
  return relays.length === 1 ? relays[0]!.carrier.description : relays.map((r) => `${r.name} (${r.carrier.description})`).join(', ');
}

/**
 * Whether a relay's failure says the relay is unusable, not the message or
 * its recipient: no session (refused, unreachable, TLS, the greeting), the
 * login or the sender refused, a policy refusal. The message was not taken,
 * so another relay may carry it.
 */
export function relayRefused(err: unknown): boolean {
  const { verdict } = classify(err);
  return verdict === 'connection' || verdict === 'fatal';
}

/** One carrier over several relays, in order: a message goes to the next only when a relay refuses it as a relay. */
export function failover(relays: Relay[]): Carrier {
  return {
    description: describeRelays(relays),
    kind: relays[0]!.carrier.kind,
    async send(message) {
      let last: unknown;
      for (const relay of relays) {
        try {
          return await relay.carrier.send(message);
        } catch (err) {
          if (!relayRefused(err)) throw err;
          last = err;
        }
      }
      throw last;
    },
    close() {
      for (const relay of relays) relay.carrier.close();
    },
  };
}

/**
 * One-off messages (a test copy, confirmations, invitations) through the
 * relays, an outbox on a dry run: each message tries the relays from the
 * heaviest, and goes to the next only when one refuses the session or the
 * sender (then it was not taken). No SMTP configured is an error: writing
 * files instead is asked for, never a fallback.
 */
export async function openCarrier(config: Config, choice: CarrierChoice): Promise<Carrier> {
  const relays = await openRelays(config, choice);
  return relays.length === 1 ? relays[0]!.carrier : failover(relays.sort((a, b) => b.weight - a.weight));
}

/**
 * Send one message now, outside any campaign (a test copy; later, a
 * confirmation), through the same carrier and DKIM as `gazette send`.
 */
export async function sendOne(
  config: Config,
  choice: CarrierChoice,
  message: SendMailOptions,
): Promise<{ response: string; via: string; kind: Carrier['kind'] }> {
  const carrier = await openCarrier(config, choice);
  try {
    const info = await carrier.send(message);
    return { response: info.response, via: carrier.description, kind: carrier.kind };
  } catch (err) {
    throw carrierError(err, carrier.description);
  } finally {
    carrier.close();
  }
}
