import { ConfabError, isConfabError, type EventPort } from '../domain/index.js';

/**
 * Wraps the event port so that a failure of the pipeline itself (not confirmed in time, producer closed,
 * Redis away) reaches callers as `system:error:unavailable` (503) rather than an anonymous 500. The
 * original error stays on `cause` for the logs. The event may still be recorded later (exactly once), so
 * the detail says the outcome is unknown.
 */
export function guardEventPort(port: EventPort): EventPort {
  return {
    emit: async (event) => {
      try {
        return await port.emit(event);
      } catch (error) {
        if (isConfabError(error)) {
          throw error;
        }
        const unavailable = new ConfabError(
          'system:error:unavailable',
          'The event could not be confirmed; it may still be recorded. Retry later.',
        );
        unavailable.cause = error;
        throw unavailable;
      }
    },
  };
}
