#!/usr/bin/env node
// The anchor for bench/send.mjs: a bare nodemailer pool sending the same message to
// every address in a file, over the same number of connections, and nothing else.
//   node bench/bare-pool.mjs <smtp-url> <message.json> <addresses.txt> <connections>
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';

const [url, messageFile, addressFile, connections] = process.argv.slice(2);
const message = JSON.parse(readFileSync(messageFile, 'utf8'));
const addresses = readFileSync(addressFile, 'utf8').split('\n').filter(Boolean);
const transport = nodemailer.createTransport(`${url}?pool=true&maxConnections=${connections}&maxMessages=1000`);
let next = 0;
let sent = 0;
const worker = async () => {
  while (next < addresses.length) {
    const to = addresses[next++];
    await transport.sendMail({ ...message, to });
    sent++;
  }
};
await Promise.all(Array.from({ length: Number(connections) }, worker));
transport.close();
console.log(`sent ${sent}`);
