import type { Services } from '../../services/index.js';

/** What every /v1 resource plugin is built with. */
export interface ApiContext {
  readonly services: Services;
  /** The public base URL of absolute links, without a trailing slash. */
  readonly publicUrl: string;
}
