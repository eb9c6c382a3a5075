import { Command, CommanderError, Option } from 'commander';
import { loadConfig, processEnv, ConfigError, ENV_VARIABLES, type LoadedConfig } from './config/index.js';
import type { Logger } from './log/index.js';
import { configCheck } from './cli/config-check.js';
import { CliExit, EXIT_USAGE } from './cli/exit.js';

// Exit codes: 0 success, 1 a failure at run time, 2 bad usage or bad configuration.
//
// A command imports what it runs only when it runs: the gateway (HTTP, SIP, media, the queue) takes about
// a second to load, which `--help`, `token` or `keys generate` have no use for.

function loadOrExit(file: string | undefined): LoadedConfig {
  try {
    return loadConfig({ file, env: processEnv() });
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new CliExit(error.message, EXIT_USAGE);
    }
    throw error;
  }
}

async function makeLogger(loaded: LoadedConfig, role: string): Promise<Logger> {
  const { createLogger } = await import('./log/index.js');
  const { log } = loaded.config;
  const pretty = log.pretty === 'auto' ? process.stdout.isTTY : log.pretty;
  const logger = createLogger({ level: log.level, pretty, base: { role } });
  for (const warning of loaded.warnings) {
    logger.warn(warning);
  }

  return logger;
}

/** Runs roles until SIGINT/SIGTERM, then drains and exits 0. */
async function run(
  file: string | undefined,
  roles: { http: boolean; worker: boolean },
  strict: boolean,
  role: string,
): Promise<void> {
  const loaded = loadOrExit(file);
  const logger = await makeLogger(loaded, role);
  const { startConfab, StartupError } = await import('./main.js');
  logger.info({ config: loaded.config.source, roles }, 'starting confab');
  let running;
  try {
    running = await startConfab({
      config: loaded.config,
      logger,
      roles,
      strict: strict || loaded.config.redis.strict,
      searchPath: processEnv().PATH ?? '',
    });
  } catch (error) {
    if (error instanceof StartupError) {
      logger.error(error.message);
      logger.flush();
      throw new CliExit(`confab: ${error.message}`, 1);
    }
    throw error;
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    void running.stop(signal).then(() => {
      logger.flush();
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Builds the `confab` command line. */
export function buildProgram(): Command {
  const program = new Command('confab')
    .description('confab: a self-hosted Conversation API and telephony media gateway')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `\nEnvironment: ${ENV_VARIABLES.join(', ')}.`);
  const configOption = (): Option =>
    new Option('-c, --config <file>', 'configuration file (else $CONFAB_CONFIG, else config/confab.yaml)');

  program
    .command('start')
    .description('run every role in one process: HTTP API, SIP, media and the event worker')
    .addOption(configOption())
    .option('--no-worker', 'leave the event worker out (run `confab worker` processes instead)')
    .option('--strict', 'refuse to start when Redis may evict keys or does not persist')
    .action(async (opts: { config?: string; worker: boolean; strict?: boolean }) => {
      await run(opts.config, { http: true, worker: opts.worker }, opts.strict === true, 'start');
    });

  program
    .command('worker')
    .description('run the event worker alone (start several to scale out)')
    .addOption(configOption())
    .option('--strict', 'refuse to start when Redis may evict keys or does not persist')
    .action(async (opts: { config?: string; strict?: boolean }) => {
      await run(opts.config, { http: false, worker: true }, opts.strict === true, 'worker');
    });

  const config = program.command('config').description('configuration tools');
  config
    .command('check')
    .description('validate a configuration file and print a summary of applications, numbers and trunks')
    .argument('[file]', 'the file to check (else --config, $CONFAB_CONFIG or config/confab.yaml)')
    .addOption(configOption())
    .action((file: string | undefined, opts: { config?: string }) => {
      console.log(configCheck(loadOrExit(file ?? opts.config)));
    });

  const keys = program.command('keys').description('application key pairs');
  keys
    .command('generate')
    .description('write an RSA key pair for an application under config/keys/ and print the YAML to paste')
    .argument('<name>', 'the application name')
    .option('--dir <dir>', 'where to write the keys', 'config/keys')
    .option('--if-missing', 'do nothing when the key pair already exists')
    .option('--force', 'overwrite an existing key pair')
    .action(async (name: string, opts: { dir: string; ifMissing?: boolean; force?: boolean }) => {
      const { keysGenerate } = await import('./cli/keys.js');
      const out = await keysGenerate(name, opts.dir, {
        ifMissing: opts.ifMissing === true,
        force: opts.force === true,
      });
      if (out.length > 0) {
        console.log(out);
      }
    });

  program
    .command('token')
    .description("mint an RS256 JWT with an application's private key (for curl and tests)")
    .requiredOption('--app <id|name>', 'the application, by id or name')
    .option('--sub <user>', 'a user name: makes a client token instead of an admin token')
    .option('--ttl <duration>', 'lifetime such as 90s, 15m, 2h (at most 24h)', '15m')
    .addOption(
      new Option('--acl <preset>', 'ACL of a client token').choices(['client', 'none']).default('client'),
    )
    .addOption(configOption())
    .action(
      async (opts: { app: string; sub?: string; ttl: string; acl: 'client' | 'none'; config?: string }) => {
        const { mintCommand } = await import('./cli/token.js');
        console.log(await mintCommand(loadOrExit(opts.config).config, opts));
      },
    );

  const webhooks = program.command('webhooks').description('webhook deliveries that exhausted their retries');
  webhooks
    .command('failed')
    .description('list the dead letters (deliveries given up after every retry)')
    .option('--app <id|name>', 'only this application')
    .option('--json', 'print JSON')
    .addOption(configOption())
    .action(async (opts: { app?: string; json?: boolean; config?: string }) => {
      const { webhooksCommand } = await import('./cli/webhooks.js');
      console.log(await webhooksCommand(loadOrExit(opts.config).config, 'failed', opts));
    });
  webhooks
    .command('replay')
    .description('deliver dead letters again, once each; delivered ones are removed')
    .argument('[ids...]', 'only these dead letters (as `webhooks failed` lists them)')
    .option('--app <id|name>', 'only this application')
    .option('--json', 'print JSON')
    .addOption(configOption())
    .action(async (ids: string[], opts: { app?: string; json?: boolean; config?: string }) => {
      const { webhooksCommand } = await import('./cli/webhooks.js');
      console.log(await webhooksCommand(loadOrExit(opts.config).config, 'replay', { ...opts, ids }));
    });

  return program;
}

/** Parses argv and runs the command; maps failures to exit codes (2 for usage and configuration). */
export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) {
      sub.exitOverride();
    }
  }
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      const ok =
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0;
      process.exitCode = ok ? 0 : EXIT_USAGE;

      return;
    }
    if (error instanceof CliExit) {
      console.error(error.message);
      process.exitCode = error.exitCode;

      return;
    }
    console.error(error);
    process.exitCode = 1;
  }
}
