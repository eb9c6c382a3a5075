/**
 * Runs the echo bot: `node --import tsx examples/echo-bot/main.ts [port] [host]`.
 */
import { startEchoBot } from './echoBot.js';

const port = Number(process.argv[2] ?? 8765);
const host = process.argv[3] ?? '127.0.0.1';
const bot = await startEchoBot({ port, host });
console.log(`echo bot listening on ws://${host}:${bot.port}/`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void bot.close().then(() => process.exit(0));
  });
}
