import type { ConfabConfig } from '../config/index.js';
import { listDeadLetters, replayDeadLetters, type DeadLetter } from '../events/index.js';
import { toApplications } from '../main.js';
import { createRedis, KeyScheme, redisAnswers } from '../store/index.js';
import { CliExit } from './exit.js';

/** Options of `confab webhooks failed|replay`. */
export interface WebhooksOptions {
  /** Only this application (id or name); every configured one when absent. */
  app?: string;
  /** `replay`: only these dead letters (ids as `failed` lists them). */
  ids?: string[];
  /** Print JSON instead of a table. */
  json?: boolean;
}

/** Lists (`failed`) or delivers again (`replay`) the webhook deliveries that exhausted their retries. */
export async function webhooksCommand(
  config: ConfabConfig,
  action: 'failed' | 'replay',
  options: WebhooksOptions,
): Promise<string> {
  const applications = toApplications(config).filter(
    (app) => options.app === undefined || app.id === options.app.toLowerCase() || app.name === options.app,
  );
  if (applications.length === 0) {
    throw new CliExit(`confab: no application "${options.app ?? ''}" in ${config.source}`, 2);
  }
  if (!(await redisAnswers(config.redis.url, 2000))) {
    throw new CliExit(`confab: no Redis answers at ${config.redis.url}`, 1);
  }
  const redis = createRedis({ url: config.redis.url, name: 'confab-cli' });
  await redis.connect();
  const keys = new KeyScheme(config.redis.prefix);
  try {
    if (action === 'failed') {
      const letters = await listDeadLetters({ redis, keys, applicationIds: applications.map((a) => a.id) });

      return options.json === true ? JSON.stringify(letters, null, 2) : table(letters, 'dead letters');
    }
    const result = await replayDeadLetters({
      redis,
      keys,
      applications,
      timeoutMs: config.events.webhookTimeoutMs,
      publicUrl: config.http.publicUrl,
      ...(options.ids === undefined || options.ids.length === 0 ? {} : { ids: options.ids }),
    });
    if (options.json === true) {
      return JSON.stringify(result, null, 2);
    }

    return [table(result.delivered, 'delivered'), table(result.failed, 'still failing')].join('\n\n');
  } finally {
    await redis.quit();
  }
}

function table(letters: readonly DeadLetter[], title: string): string {
  const lines = [`${title}: ${letters.length}`];
  for (const letter of letters) {
    lines.push(
      `  ${letter.id}  ${letter.failedAt}  attempts ${letter.attempts}  ${letter.url}  ${letter.lastError}`,
    );
  }

  return lines.join('\n');
}
