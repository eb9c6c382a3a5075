import type { Leg, LegRepository, LegStatus } from '../../domain/index.js';
import type { CallListFilter, CallPage, CallView } from './CallsServiceTypes.js';

/** The most legs one list request reads (a list past this many legs is cut short). */
export const CALL_SCAN_LIMIT = 10_000;

/** A leg as a call record: when it was answered and how long it lasted. */
export function callView(leg: Leg): CallView {
  const startTime = leg.statusHistory.find((step) => step.status === 'answered')?.date ?? null;
  const duration =
    startTime === null || leg.endedAt === null
      ? null
      : Math.max(0, Math.round((Date.parse(leg.endedAt) - Date.parse(startTime)) / 1000));

  return { leg, startTime, duration };
}

/** The leg statuses a Vonage status filter matches (`unanswered` is a ringing timeout here). */
function statusesOf(status: CallListFilter['status']): readonly LegStatus[] | null {
  if (status === undefined) {
    return null;
  }

  return status === 'unanswered' ? ['timeout'] : [status];
}

/**
 * One page of call records with Vonage's offset paging: the application's legs (or one conversation's) in
 * creation order, filtered by status and creation date, `count` matching in all, then `pageSize` from
 * `recordIndex`. Reads at most {@link CALL_SCAN_LIMIT} legs.
 */
export async function callPage(
  legs: Pick<LegRepository, 'list'>,
  applicationId: string,
  filter: CallListFilter,
): Promise<CallPage> {
  const statuses = statusesOf(filter.status);
  const from = filter.dateStart?.getTime() ?? -Infinity;
  const until = filter.dateEnd?.getTime() ?? Infinity;
  const matches = (leg: Leg): boolean => {
    const created = Date.parse(leg.createdAt);

    return (statuses === null || statuses.includes(leg.status)) && created >= from && created <= until;
  };
  const calls: CallView[] = [];
  let count = 0;
  let scanned = 0;
  let cursor: string | undefined;
  do {
    const page = await legs.list(
      applicationId,
      { pageSize: 100, order: filter.order, ...(cursor === undefined ? {} : { cursor }) },
      filter.conversationId === undefined ? {} : { conversationId: filter.conversationId },
    );
    scanned += page.items.length;
    for (const leg of page.items) {
      if (matches(leg)) {
        if (count >= filter.recordIndex && calls.length < filter.pageSize) {
          calls.push(callView(leg));
        }
        count += 1;
      }
    }
    cursor = page.next;
  } while (cursor !== undefined && scanned < CALL_SCAN_LIMIT);

  return { count, recordIndex: filter.recordIndex, calls };
}
