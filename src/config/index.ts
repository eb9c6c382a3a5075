/**
 * The config room: the operator's YAML file plus environment overrides, validated against one schema,
 * defaults applied, frozen. The only room that reads process.env.
 */
export * from './types.js';
export {
  loadConfig,
  configFilePath,
  describeProblem,
  readIn,
  ConfigError,
  DEFAULT_CONFIG_FILE,
  DEFAULT_REDIS_URL,
  ENV_VARIABLES,
  type LoadOptions,
  type LoadedConfig,
} from './load.js';
export { CONFIG_SCHEMA } from './schema.js';
export { processEnv } from './env.js';
